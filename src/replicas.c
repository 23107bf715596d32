/* replicas.c - the replicas step: scale the system dcs back to what scale-down recorded */
#include "engine_int.h"
#include "assess.h"
#include "report.h"

#include <stdio.h>

static void
replicas_done(struct engine *e)
{
	step_end(e, STEP_DONE, "replicas restored and ready");
}

/* docs[k]: the system dc list[k] */
static void
replicas_decide(struct engine *e, const int list[], const json_t *const docs[], int n)
{
	int k;

	e->nqueue = 0;
	e->dcset = 0;
	for (k = 0; k < n; k++) {
		int i = list[k];
		const json_t *dc = docs[k];
		long rec = dc_recorded_replicas(dc);
		const char *name = PLAN_DC_NAME(&e->plan, i);

		if (rec >= 0) {
			if (dc_replicas(dc) != rec)
				cmd_scale(&e->queue[e->nqueue++], e->o->oc, e->ns, name, rec);
			cmd_annotate_replicas(&e->queue[e->nqueue++], e->o->oc, e->ns, name, -1);
			e->dcset |= 1u << i;
		} else if (dc_replicas(dc) == 0) {
			report_warning("dc/%s has 0 replicas and no count recorded by scale-down; scale it back up with: "
				       "oc scale dc/%s --replicas=1 -n %s", name, name, e->ns);
		}
	}
	if (!e->nqueue) {
		step_end(e, e->attempts > 0 ? STEP_DONE : STEP_SKIPPED, e->attempts > 0 ?
			 "read back: replicas restored" : "no replicas recorded by scale-down");
		return;
	}
	e->multi_next = replicas_done;
	queue_start(e, multi_wait, replicas_step);
}

static void
replicas_read(struct batch *b)
{
	struct engine *e = b->e;
	const json_t *docs[PLAN_MAX_DCS];
	int list[PLAN_MAX_DCS], n = system_dcs(e, list), k;

	for (k = 0; k < n; k++)
		docs[k] = b->slots[k].doc;
	replicas_decide(e, list, docs, n);
}

/* read the system dcs, then scale back what scale-down recorded (also the read back);
 * when the preflight saw no record, nothing in the run made one: its reads decide */
void
replicas_step(struct engine *e)
{
	const json_t *docs[PLAN_MAX_DCS];
	int list[PLAN_MAX_DCS], n = system_dcs(e, list), k, recorded = 0;

	for (k = 0; k < n; k++) {
		docs[k] = e->dcs[list[k]];
		recorded |= dc_recorded_replicas(docs[k]) >= 0;
	}
	if (!recorded && e->attempts == 0) {
		replicas_decide(e, list, docs, n);
		return;
	}
	batch_clear(&e->main);
	batch_add_system_dcs(&e->main);
	batch_start(&e->main, replicas_read);
}
