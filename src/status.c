/* status.c - the status command: every step of the plan judged from the cluster's state */
#include "engine_int.h"
#include "assess.h"
#include "report.h"

#include <stdio.h>
#include <string.h>

/* --- status -------------------------------------------------------------------------- */

void
status_read(struct batch *b)
{
	struct engine *e = b->e;
	int complete = 1, i;
	char detail[1024];

	for (i = 0; i < e->plan.nsteps; i++) {
		const struct step *s = &e->plan.steps[i];
		enum step_status st = STEP_PENDING;

		detail[0] = '\0';
		switch (s->kind) {
		case STEP_TAG:
			if (e->tag.in_spec && strcmp(e->tag.from_name, e->plan.image) == 0)
				st = STEP_DONE;
			else
				snprintf(detail, sizeof(detail), "no tag %s", e->plan.to);
			break;
		case STEP_IMPORT:
			if (e->tag.state == TAG_IMPORTED)
				st = STEP_DONE;
			else if (e->tag.state == TAG_FAILED) {
				st = STEP_FAILED;
				snprintf(detail, sizeof(detail), "%s: %s", e->tag.reason, e->tag.message);
			}
			break;
		case STEP_DC: {
			const json_t *dc = e->dcs[s->dc];
			struct trigger_view tv;
			struct rollout_view rv;
			int match = dc_runs_digest(dc, system_dcs[s->dc].containers, e->digest);

			trigger_assess(dc, e->plan.old_tag, e->plan.new_tag, system_dcs[s->dc].containers, &tv);
			rollout_assess(dc, b->slots[2 * s->dc].doc, b->slots[2 * s->dc + 1].doc, 0, 0, &rv);
			if (!tv.has_old && tv.has_new && tv.new_containers_ok && match && rv.state == ROLLOUT_DONE) {
				st = STEP_DONE;
				snprintf(detail, sizeof(detail), "rollout #%ld complete", rv.latest);
			} else if (rv.state == ROLLOUT_FAILED) {
				st = STEP_FAILED;
				snprintf(detail, sizeof(detail), "rollout #%ld: %s: %s", rv.latest, rv.reason, rv.message);
			} else if (tv.has_old)
				snprintf(detail, sizeof(detail), "trigger still on " IMAGESTREAM ":%s", e->plan.old_tag);
			else if (!tv.has_new)
				snprintf(detail, sizeof(detail), "no image trigger on " IMAGESTREAM ":%s", e->plan.new_tag);
			else if (!match)
				snprintf(detail, sizeof(detail), "trigger moved; waiting for the new image to roll out");
			else
				snprintf(detail, sizeof(detail), "%s", rv.waiting);
			break;
		}
		case STEP_REPLICAS: {
			int k, any = 0;

			st = STEP_DONE;
			for (k = 0; k < NDCS; k++) {
				long rec = dc_recorded_replicas(e->dcs[k]);
				size_t len = strlen(detail);

				if (rec < 0)
					continue;
				st = STEP_PENDING;
				snprintf(detail + len, sizeof(detail) - len, "%s%s=%ld", any++ ? ", " : "recorded: ",
					 system_dcs[k].name, rec);
			}
			break;
		}
		}
		if (st != STEP_DONE)
			complete = 0;
		report_status_step(&e->plan, i, st, detail);
	}
	report_status_end(e->ns, &e->plan, complete);
	if (report_json())
		summary(e, "status", complete ? 0 : 1);
	finish(e, complete ? 0 : 1);
}
