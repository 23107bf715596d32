/* release.c - the version number step: the guide's patch of the release ConfigMap's key
 * (AMP_RELEASE in cm/system-environment) to <to>, then the read back the guide asks for */
#include "engine_int.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* the key's value in the ConfigMap cm, or NULL */
static const char *
release_value(const struct engine *e, const json_t *cm)
{
	return json_string_value(json_object_get(json_object_get(cm, "data"), e->plan.hop->release_key));
}

int
release_done(const struct engine *e)
{
	const char *v = release_value(e, e->cm);

	return v && strcmp(v, e->plan.to) == 0;
}

/* read the ConfigMap again into e->cm, then next(b) */
static void
release_read(struct engine *e, batch_fn next)
{
	char what[96];

	snprintf(what, sizeof(what), "cm/%s", e->plan.hop->release_cm);
	read_one(e, READ_JSON, what, next);
}

/* after the patch: the key must now be <to> */
static void
release_checked(struct batch *b)
{
	struct engine *e = b->e;
	const struct hop *h = e->plan.hop;
	const char *v;

	json_decref(e->cm);
	e->cm = batch_take(b, 0);
	if (release_done(e)) {
		step_end(e, STEP_DONE, "read back: %s is %s", h->release_key, e->plan.to);
		return;
	}
	v = release_value(e, e->cm);
	report_error("cm/%s: %s is '%s' after the patch, not '%s'", h->release_cm, h->release_key, v ? v : "(none)",
		     e->plan.to);
	report_hint("check who else changes cm/%s (oc get cm/%s -n %s -o json)", h->release_cm, h->release_cm, e->ns);
	stop(e, 1);
}

static void
release_check(struct engine *e)
{
	release_read(e, release_checked);
}

/* after a patch that failed in a way that may have passed: decide again */
static void
release_redecided(struct batch *b)
{
	struct engine *e = b->e;

	json_decref(e->cm);
	e->cm = batch_take(b, 0);
	release_step(e);
}

static void
release_redo(struct engine *e)
{
	release_read(e, release_redecided);
}

void
release_step(struct engine *e)
{
	const struct hop *h = e->plan.hop;

	if (release_done(e)) {
		if (e->attempts > 0)
			step_end(e, STEP_DONE, "read back: %s is %s", h->release_key, e->plan.to);
		else
			step_end(e, STEP_SKIPPED, "%s is already %s", h->release_key, e->plan.to);
		return;
	}
	e->nqueue = plan_step_commands(&e->plan, &e->plan.steps[e->step], e->o->oc, e->ns, e->queue, MAXQUEUE);
	queue_start(e, release_check, release_redo);
}
