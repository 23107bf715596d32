/* secretstep.c - the secret step (2.8 -> 2.9: BASE_URL out of secret system-master-apicast):
 * a JSON-patch remove of the key unless it is gone already. A remove of a missing path is
 * an error, so the step reads first, and after a failure that may have passed it reads
 * again and decides again; it never repeats the patch blindly. No value of the secret is
 * ever printed: the step only asks whether the key is there. */
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

/* read the secret again into e->secret (absent: NULL), then next(b) */
static void
secret_read(struct engine *e, batch_fn next)
{
	char what[96];

	snprintf(what, sizeof(what), "secret/%s", e->plan.hop->secret);
	read_one(e, READ_OPTIONAL, what, next);
}

static void
secret_take(struct engine *e, struct batch *b)
{
	json_decref(e->secret);
	e->secret = batch_take(b, 0);
}

/* after the patch: the key must be gone */
static void
secret_checked(struct batch *b)
{
	struct engine *e = b->e;
	const struct hop *h = e->plan.hop;

	secret_take(e, b);
	if (!secret_key_present(e)) {
		step_end(e, STEP_DONE, "read back: %s is gone", h->secret_key);
		return;
	}
	report_error("secret/%s still has %s after the patch", h->secret, h->secret_key);
	report_hint("check who else changes secret/%s (oc get secret/%s -n %s)", h->secret, h->secret, e->ns);
	stop(e, 1);
}

static void
secret_check(struct engine *e)
{
	secret_read(e, secret_checked);
}

static void
secret_redecided(struct batch *b)
{
	secret_take(b->e, b);
	secret_step(b->e);
}

static void
secret_redo(struct engine *e)
{
	secret_read(e, secret_redecided);
}

void
secret_step(struct engine *e)
{
	const struct hop *h = e->plan.hop;

	if (!secret_key_present(e)) {
		if (e->attempts > 0)
			step_end(e, STEP_DONE, "read back: %s is gone", h->secret_key);
		else
			step_end(e, STEP_SKIPPED, "%s", e->secret ? "the key is already gone" : "the secret is not there");
		return;
	}
	e->nqueue = plan_step_commands(&e->plan, &e->plan.steps[e->step], e->o->oc, e->ns, e->queue, MAXQUEUE);
	queue_start(e, secret_check, secret_redo);
}
