/* untagstep.c - the untag step (2.8 -> 2.9: oc tag -d IS:latest once the section's dcs no
 * longer trigger on it): read the image stream, delete the tag unless it is gone; after a
 * failure that may have passed, read again and decide again. */
#include "engine_int.h"
#include "assess.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static void untag_decide(struct engine *e, const json_t *is);

static void
untag_read(struct engine *e, batch_fn next)
{
	char what[128];

	snprintf(what, sizeof(what), "imagestream/%s", PLAN_IS(&e->plan, e->plan.steps[e->step].section));
	read_one(e, READ_OPTIONAL, what, next);
}

/* after oc tag -d: the tag must be gone */
static void
untag_checked(struct batch *b)
{
	struct engine *e = b->e;
	const struct step *s = &e->plan.steps[e->step];

	if (!is_has_spec_tag(b->slots[0].doc, e->plan.hop->untag)) {
		step_end(e, STEP_DONE, NULL);
		return;
	}
	report_error("image stream %s still has tag %s after oc tag -d", PLAN_IS(&e->plan, s->section), e->plan.hop->untag);
	stop(e, 1);
}

static void
untag_check(struct engine *e)
{
	untag_read(e, untag_checked);
}

static void
untag_redecided(struct batch *b)
{
	untag_decide(b->e, b->slots[0].doc);
}

static void
untag_redo(struct engine *e)
{
	untag_read(e, untag_redecided);
}

static void
untag_decide(struct engine *e, const json_t *is)
{
	if (!is_has_spec_tag(is, e->plan.hop->untag)) {
		if (e->attempts > 0)
			step_end(e, STEP_DONE, "read back: the tag is gone");
		else
			step_end(e, STEP_SKIPPED, "%s", is ? "the tag is already gone" : "the image stream is not there");
		return;
	}
	e->nqueue = plan_step_commands(&e->plan, &e->plan.steps[e->step], e->o->oc, e->ns, e->queue, MAXQUEUE);
	queue_start(e, untag_check, untag_redo);
}

static void
untag_first(struct batch *b)
{
	untag_decide(b->e, b->slots[0].doc);
}

void
untag_step(struct engine *e)
{
	untag_read(e, untag_first);
}
