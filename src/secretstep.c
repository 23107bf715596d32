/* secretstep.c - the secret step (2.8 -> 2.9: BASE_URL out of secret system-master-apicast):
 * a JSON-patch remove of the key unless it is gone already. A remove of a missing path is
 * an error, so the step decides from the secret as read (objstep.c), never repeating the
 * patch blindly. No value of the secret is ever printed: the step only asks whether the
 * key is there. */
#include "engine_int.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

int
secret_key_present(const struct engine *e)
{
	return json_object_get(json_object_get(e->secret, "data"), e->plan.hop->secret_key) != NULL;
}

static void
secret_what(const struct engine *e, char *buf, size_t n)
{
	snprintf(buf, n, "secret/%s", e->plan.hop->secret);
}

static json_t **
secret_kept(struct engine *e)
{
	return &e->secret;
}

static int
secret_gone(struct engine *e, const json_t *secret, char *skipped, size_t n, char *done, size_t m)
{
	snprintf(skipped, n, "%s", secret ? "the key is already gone" : "the secret is not there");
	snprintf(done, m, "read back: %s is gone", e->plan.hop->secret_key);
	return !secret_key_present(e);
}

static void
secret_unchanged(struct engine *e, const json_t *secret)
{
	const struct hop *h = e->plan.hop;

	(void)secret;
	report_error("secret/%s still has %s after the patch", h->secret, h->secret_key);
	report_hint("check who else changes secret/%s (oc get secret/%s -n %s)", h->secret, h->secret, e->ns);
}

static const struct objstep secret_object = {
	READ_OPTIONAL, secret_what, secret_kept, secret_gone, NULL, secret_unchanged
};

void
secret_step(struct engine *e)
{
	objstep_start(e, &secret_object);
}
