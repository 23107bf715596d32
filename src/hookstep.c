/* hookstep.c - the pre hook env step (2.10 -> 2.11: BACKEND_ROUTE of system-app's pre hook, the
 * guide's interactive `oc edit`): read the dc, find the entry by name, and send a JSON patch
 * that tests the entry exactly as read before it replaces it, so a dc changed in between is
 * refused by the server, never patched blindly (objstep.c reads it back, and reads it again
 * after a failure that may have passed). The hook is not the pod template: nothing rolls out. */
#include "engine_int.h"
#include "edits.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static const struct dc_edit *
hook_edit(const struct engine *e)
{
	return STEP_EDIT_OF(&e->plan, &e->plan.steps[e->step]);
}

static void
hook_what(const struct engine *e, char *buf, size_t n)
{
	snprintf(buf, n, "dc/%s", hook_edit(e)->dc);
}

static int
hook_is_done(struct engine *e, const json_t *dc, char *skipped, size_t n, char *done, size_t m)
{
	const struct dc_edit *ed = hook_edit(e);

	snprintf(skipped, n, "%s is already %s", ed->key, ed->value);
	snprintf(done, m, "read back: %s is %s", ed->key, ed->value);
	return hook_env_done(dc, ed);
}

/* the patch tests the entry as read now */
static int
hook_prepare(struct engine *e, const json_t *dc)
{
	const struct dc_edit *ed = hook_edit(e);
	struct step *s = &e->plan.steps[e->step];

	if (hook_env_patch(dc, ed, s->patch, sizeof(s->patch)) < 0) {
		report_error("dc/%s's pre hook has no env entry %s to change", ed->dc, ed->key);
		report_hint("compare dc/%s with the %s template (spec.strategy.rollingParams.pre.execNewPod.env)",
			    ed->dc, e->plan.from);
		return -1;
	}
	snprintf(e->change_hint, sizeof(e->change_hint), "the patch tests the entry as it was read: a refusal means "
		 "dc/%s changed since; look at it (oc get dc/%s -n %s -o json), then re-run to read it afresh", ed->dc,
		 ed->dc, e->ns);
	return 0;
}

static void
hook_unchanged(struct engine *e, const json_t *dc)
{
	const struct dc_edit *ed = hook_edit(e);

	(void)dc;
	report_error("dc/%s: the pre hook's %s is not '%s' after the patch", ed->dc, ed->key, ed->value);
	report_hint("check who else changes dc/%s (oc get dc/%s -n %s -o json)", ed->dc, ed->dc, e->ns);
}

static const struct objstep hook_object = {
	READ_JSON, hook_what, NULL, hook_is_done, hook_prepare, hook_unchanged
};

void
hook_step(struct engine *e)
{
	objstep_start(e, &hook_object);
}
