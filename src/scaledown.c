/* scaledown.c - the scale-down command, and the polled wait over several dcs it shares with the replicas step */
#include "engine_int.h"
#include "assess.h"
#include "report.h"

#include <stdio.h>

/* --- scale-down ---------------------------------------------------------------------- */

static void scale_down_reread(struct engine *e);

static void
scale_down_done(struct engine *e)
{
	summary(e, "scale-down", 0);
	finish(e, 0);
}

/* queue what the dcs (e->dcs) still need; 1 if anything */
static int
scale_down_queue(struct engine *e, int say)
{
	int list[PLAN_MAX_DCS], n = system_dcs(e, list), k;

	e->nqueue = 0;
	e->dcset = 0;
	for (k = 0; k < n; k++) {
		int i = list[k];
		long r = dc_replicas(e->dcs[i]);
		long rec = dc_recorded_replicas(e->dcs[i]);
		const char *name = PLAN_DC_NAME(&e->plan, i);

		if (r > 0) {
			/* the annotation first: a stop between the two keeps the count */
			if (rec != r)
				cmd_annotate_replicas(&e->queue[e->nqueue++], e->o->oc, e->ns, name, r);
			cmd_scale(&e->queue[e->nqueue++], e->o->oc, e->ns, name, 0);
			if (say) {
				report_info("dc/%s: %ld replica%s recorded in %s, scaling to 0", name, r, r == 1 ? "" : "s",
					    REPLICAS_ANNOTATION);
				e->ndone++;
			}
		} else if (say && rec >= 0) {
			report_info("dc/%s: already at 0, %ld recorded", name, rec);
			e->nskipped++;
		} else if (say) {
			report_warning("dc/%s is already at 0 replicas and has no recorded count", name);
			e->nskipped++;
		}
		e->dcset |= 1u << i;
	}
	return e->nqueue > 0;
}

static void
scale_down_reread_done(struct batch *b)
{
	struct engine *e = b->e;
	int list[PLAN_MAX_DCS], n = system_dcs(e, list), k;

	for (k = 0; k < n; k++) {
		json_decref(e->dcs[list[k]]);
		e->dcs[list[k]] = batch_take(b, k);
	}
	scale_down_queue(e, 0);
	queue_start(e, multi_wait, scale_down_reread);
}

static void
scale_down_reread(struct engine *e)
{
	batch_clear(&e->main);
	batch_add_system_dcs(&e->main);
	batch_start(&e->main, scale_down_reread_done);
}

void
scale_down(struct engine *e)
{
	report_begin("scale-down", e->ns, &e->plan, e->plan.to, e->detected);
	if (scale_down_queue(e, 1) && !confirm(e, "scale the system dcs down to 0")) {
		report_error("not confirmed: nothing was changed");
		stop(e, 3);
		return;
	}
	e->preflight = 0;
	signals_start(e);
	e->multi_next = scale_down_done;
	queue_start(e, multi_wait, scale_down_reread);
}

/* waits over several dcs (replicas restored, scale-down): all done, then multi_next */
static void multi_poll(struct engine *e);

static void
multi_read(struct batch *b)
{
	struct engine *e = b->e;
	int i, k = 0;

	for (i = 0; i < e->plan.ndcs; i++) {
		struct rollout_view rv;
		char what[300];

		if (!(e->dcset & (1u << i)))
			continue;
		rollout_assess(b->slots[3 * k].doc, b->slots[3 * k + 1].doc, b->slots[3 * k + 2].doc, 0, 0, &rv);
		k++;
		if (rv.state == ROLLOUT_DONE)
			continue;
		if (rv.state == ROLLOUT_FAILED) {
			report_error("dc/%s: %s: %s", PLAN_DC_NAME(&e->plan, i), rv.reason, rv.message);
			stop(e, 1);
			return;
		}
		snprintf(what, sizeof(what), "dc/%s: %s", PLAN_DC_NAME(&e->plan, i), rv.waiting);
		progress(e, what);
		schedule(e, POLL_MS, multi_poll);
		return;
	}
	uv_timer_stop(&e->deadline);
	e->multi_next(e);
}

static void
multi_poll(struct engine *e)
{
	int i;

	batch_clear(&e->main);
	for (i = 0; i < e->plan.ndcs; i++)
		if (e->dcset & (1u << i))
			batch_add_rollout(&e->main, i);
	batch_start(&e->main, multi_read);
}

void
multi_wait(struct engine *e)
{
	wait_begin(e, "the scaled system dcs");
	multi_poll(e);
}
