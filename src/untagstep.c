/* untagstep.c - the untag step (2.8 -> 2.9: oc tag -d IS:latest once the section's dcs no
 * longer trigger on it): read the image stream, delete the tag unless it is gone, read it
 * back (objstep.c). */
#include "engine_int.h"
#include "assess.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static void
untag_what(const struct engine *e, char *buf, size_t n)
{
	snprintf(buf, n, "imagestream/%s", PLAN_IS(&e->plan, e->plan.steps[e->step].section));
}

static int
untag_gone(struct engine *e, const json_t *is, char *skipped, size_t n, char *done, size_t m)
{
	snprintf(skipped, n, "%s", is ? "the tag is already gone" : "the image stream is not there");
	snprintf(done, m, "read back: the tag is gone");
	return !is_has_spec_tag(is, e->plan.hop->untag);
}

static void
untag_unchanged(struct engine *e, const json_t *is)
{
	(void)is;
	report_error("image stream %s still has tag %s after oc tag -d",
		     PLAN_IS(&e->plan, e->plan.steps[e->step].section), e->plan.hop->untag);
}

static const struct objstep untag_object = {
	READ_OPTIONAL, untag_what, NULL, untag_gone, NULL, untag_unchanged
};

void
untag_step(struct engine *e)
{
	objstep_start(e, &untag_object);
}
