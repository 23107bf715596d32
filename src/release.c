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

static void
release_what(const struct engine *e, char *buf, size_t n)
{
	snprintf(buf, n, "cm/%s", e->plan.hop->release_cm);
}

static json_t **
release_kept(struct engine *e)
{
	return &e->cm;
}

static int
release_is_done(struct engine *e, const json_t *cm, char *skipped, size_t n, char *done, size_t m)
{
	const struct hop *h = e->plan.hop;

	(void)cm;  /* kept in e->cm */
	snprintf(skipped, n, "%s is already %s", h->release_key, e->plan.to);
	snprintf(done, m, "read back: %s is %s", h->release_key, e->plan.to);
	return release_done(e);
}

static void
release_unchanged(struct engine *e, const json_t *cm)
{
	const struct hop *h = e->plan.hop;
	const char *v = release_value(e, cm);

	report_error("cm/%s: %s is '%s' after the patch, not '%s'", h->release_cm, h->release_key, v ? v : "(none)",
		     e->plan.to);
	report_hint("check who else changes cm/%s (oc get cm/%s -n %s -o json)", h->release_cm, h->release_cm, e->ns);
}

static const struct objstep release_object = {
	READ_JSON, release_what, release_kept, release_is_done, NULL, release_unchanged
};

void
release_step(struct engine *e)
{
	objstep_start(e, &release_object);
}
