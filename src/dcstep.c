/* dcstep.c - the dc steps: read the dcs (ahead, while the step before waits), move the triggers, wait */
#include "engine_int.h"
#include "assess.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

/* --- the dc steps: move the trigger, then wait for the rollout -------------------------- */

void
dc_triggers(const struct engine *e, int i, const json_t *dc, struct trigger_view *tv)
{
	const struct plan_section *ps = PLAN_DC_SECTION(&e->plan, i);

	trigger_assess(dc, ps->sec->imagestream, ps->old_tag, ps->new_tag, e->plan.dcs[i].spec->containers, tv);
}

int
dc_runs_new(const struct engine *e, int i, const json_t *dc)
{
	return dc_runs_digest(dc, e->plan.dcs[i].spec->containers, DC_DIGEST(e, i));
}

static void dc_read_state(struct engine *e);

/* 1 if the dc's image triggers still have to move (the old one there, or the new one
 * missing or on other containers) */
static int
trigger_needs_change(const struct trigger_view *tv)
{
	return tv->has_old || !tv->has_new || !tv->new_containers_ok;
}

/* queue the documented remove and add commands that the dc still needs */
static void
queue_trigger_changes(struct engine *e, int dc, const struct trigger_view *tv)
{
	if (tv->has_old)
		cmd_trigger(&e->queue[e->nqueue++], &e->plan, e->o->oc, e->ns, dc, 1);
	if (!tv->has_new || !tv->new_containers_ok)
		cmd_trigger(&e->queue[e->nqueue++], &e->plan, e->o->oc, e->ns, dc, 0);
}

/* decide what each dc of the step needs, from a fresh read */
static void
dc_decide(struct batch *b)
{
	struct engine *e = b->e;
	int k, waiting = 0;

	e->nqueue = 0;
	for (k = 0; k < e->nw; k++) {
		struct dcwait *w = &e->w[k];
		int i = w->dc;
		const json_t *dc = b->slots[3 * k].doc;
		struct trigger_view tv;
		struct rollout_view rv;
		int match, need;

		if (w->done)
			continue;
		dc_triggers(e, i, dc, &tv);
		match = dc_runs_new(e, i, dc);
		need = trigger_needs_change(&tv);
		rollout_assess(dc, b->slots[3 * k + 1].doc, b->slots[3 * k + 2].doc, 0, 0, &rv);
		if (!need && match && rv.state == ROLLOUT_DONE) {
			/* leave the step end to the loop's end: it may advance the plan */
			w->done = -1;
			w->rv = rv;
			continue;
		}
		w->baseline = rv.latest;
		w->expect_new = !match;
		/* it runs the new image already and its rollout is over: once the trigger has
		 * moved, no rollout can come, and nothing is left to wait for */
		w->settled = need && match && rv.state == ROLLOUT_DONE;
		w->rv = rv;
		waiting++;
		if (!need && match && rv.state == ROLLOUT_FAILED) {
			if (!rollout_failed(w, &rv, 1))
				return;
			continue;
		}
		queue_trigger_changes(e, i, &tv);
	}
	if (waiting) {
		/* the skipped ones are recorded now; the step advances when the others end */
		for (k = 0; k < e->nw; k++)
			if (e->w[k].done == -1) {
				e->w[k].done = 1;
				record_step(e, e->w[k].step, STEP_SKIPPED, now_ms() - e->w[k].tstep,
					    "trigger already on the new tag, runs the new image, rollout complete");
			}
		queue_start(e, dc_waits_start, dc_read_state);
		return;
	}
	/* nothing to do for any of them */
	for (k = 0; k < e->nw; k++) {
		struct dcwait *w = &e->w[k];
		char detail[400];

		w->done = 1;
		snprintf(detail, sizeof(detail), "%strigger on %s:%s, runs %s, rollout #%ld complete",
			 e->attempts > 0 ? "read back: " : "", DC_IS(e, w->dc), PLAN_DC_SECTION(&e->plan, w->dc)->new_tag,
			 DC_DIGEST(e, w->dc), w->rv.latest);
		record_step(e, w->step, e->attempts > 0 ? STEP_DONE : STEP_SKIPPED, now_ms() - w->tstep, detail);
	}
	e->step += e->nw;
	step_next(e);
}

/* the dcs read alone (docs[k] for e->w[k]): when each still has a trigger to move, that
 * is all it takes; else read their RCs and pods too, to judge the rollout that is there */
static void
dc_decide_quick(struct engine *e, json_t *const docs[])
{
	int k;

	for (k = 0; k < e->nw; k++) {
		struct trigger_view tv;

		dc_triggers(e, e->w[k].dc, docs[k], &tv);
		if (!trigger_needs_change(&tv))
			break;
	}
	if (k < e->nw) {
		batch_clear(&e->main);
		for (k = 0; k < e->nw; k++)
			batch_add_rollout(&e->main, e->w[k].dc);
		batch_start(&e->main, dc_decide);
		return;
	}
	e->nqueue = 0;
	for (k = 0; k < e->nw; k++) {
		struct dcwait *w = &e->w[k];
		const json_t *dc = docs[k];
		struct trigger_view tv;

		dc_triggers(e, w->dc, dc, &tv);
		w->baseline = (long)json_integer_value(json_object_get(json_object_get(dc, "status"), "latestVersion"));
		w->expect_new = !dc_runs_new(e, w->dc, dc);
		queue_trigger_changes(e, w->dc, &tv);
	}
	queue_start(e, dc_waits_start, dc_read_state);
}

static void
dc_decide_read(struct batch *b)
{
	json_t *docs[MAXW] = { NULL };
	int k;

	for (k = 0; k < b->nslots && k < MAXW; k++)
		docs[k] = b->slots[k].doc;
	dc_decide_quick(b->e, docs);
}

/* the dcs a dc step starting at index moves together: 1, or its group (--parallel) */
static int
dc_step_width(const struct engine *e, int index)
{
	int group = e->plan.steps[index].group, n = 1;

	while (group && n < MAXW && index + n < e->plan.nsteps && e->plan.steps[index + n].kind == STEP_DC &&
	       e->plan.steps[index + n].group == group)
		n++;
	return n;
}

void
pre_clear(struct engine *e)
{
	int k;

	for (k = 0; k < MAXW; k++) {
		json_decref(e->pre_docs[k]);
		e->pre_docs[k] = NULL;
	}
	e->pre_state = 0;
	e->pre_wanted = 0;
}

static void
pre_read(struct batch *b)
{
	struct engine *e = b->e;
	int k;

	/* the full reads stay in the batch, for dc_decide */
	for (k = 0; k < b->nslots && k < MAXW && !e->pre_full; k++)
		e->pre_docs[k] = batch_take(b, k);
	e->pre_state = 2;
	if (e->pre_wanted) {
		e->pre_wanted = 0;
		dc_read_state(e);
	}
}

/*
 * While a dc waits for its rollout (or the image for its import), read the dcs of the
 * next dc step (next is its index): nothing of ours
 * changes them meanwhile, and the next step then starts with its first change. (A
 * change by someone else in between is caught by the wait, which also requires the
 * dc's pod template to run the new image.)
 */
void
pre_start(struct engine *e, int next)
{
	int k, n;

	if (e->pre_state || next >= e->plan.nsteps || e->plan.steps[next].kind != STEP_DC)
		return;
	n = dc_step_width(e, next);
	e->pre_state = 1;
	e->pre_step = next;
	/* a dc that ran the new image at the preflight (a database image) gets no rollout:
	 * its RCs and pods, read now, tell whether the one there is done */
	e->pre_full = 0;
	for (k = 0; k < n; k++)
		e->pre_full |= dc_runs_new(e, e->plan.steps[next + k].dc, e->dcs[e->plan.steps[next + k].dc]);
	batch_clear(&e->pre);
	for (k = 0; k < n; k++) {
		if (e->pre_full)
			batch_add_rollout(&e->pre, e->plan.steps[next + k].dc);
		else
			batch_add_dc(&e->pre, e->plan.steps[next + k].dc);
	}
	batch_start(&e->pre, pre_read);
}

/* read the step's dcs; also how a failed change is read back */
static void
dc_read_state(struct engine *e)
{
	int k;

	if (e->pre_state && e->pre_step == e->step && e->attempts == 0) {
		if (e->pre_state == 1) {
			e->pre_wanted = 1;
			return;
		}
		if (e->pre_full) {
			/* consumed: the documents stay in the batch until its next use */
			e->pre_state = 0;
			e->pre_full = 0;
			dc_decide(&e->pre);
			return;
		}
		dc_decide_quick(e, e->pre_docs);
		pre_clear(e);
		return;
	}
	pre_clear(e);
	batch_clear(&e->main);
	for (k = 0; k < e->nw; k++)
		batch_add_dc(&e->main, e->w[k].dc);
	batch_start(&e->main, dc_decide_read);
}

void
dc_step(struct engine *e)
{
	int k;

	e->nw = dc_step_width(e, e->step);
	for (k = 0; k < e->nw; k++) {
		struct dcwait *w = &e->w[k];

		w->step = e->step + k;
		w->dc = e->plan.steps[w->step].dc;
		w->done = 0;
		w->retried = 0;
		w->settled = 0;
		memset(&w->rv, 0, sizeof(w->rv));
		w->tstep = now_ms();
		if (k > 0)
			report_step_start(&e->plan, w->step);
	}
	e->attempts = 0;
	dc_read_state(e);
}
