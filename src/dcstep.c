/* dcstep.c - the dc steps: read the dc (ahead, while the step before waits), move its
 * trigger, wait; with --parallel, the sections of a group side by side, each section's
 * dcs one after another (a lane each, at most MAXW at once, the rest queued) */
#include "engine_int.h"
#include "assess.h"
#include "edits.h"
#include "report.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

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

static void dcw_read(struct dcwait *w);

/* a STEP_EDIT on document dc: *match, why, and (s not NULL) s->skip and s->patch; 1 if a
 * command is left */
static int
edit_decide(struct step *s, const struct dc_edit *ed, const json_t *dc, int *match, char *why, size_t n)
{
	struct annotations_view av;
	unsigned skip = 0;
	char key[128];
	int k;

	switch (ed->kind) {
	case EDIT_ENV:
		*match = env_done(dc, ed);
		snprintf(why, n, "%s %s %s in every container", ed->key, *match ? "is" : "is not yet", ed->value);
		if (s)
			s->skip = *match ? SKIP_PATCH : 0;
		return !*match;
	case EDIT_ANNOTATIONS:
		annotations_assess(dc, ed, &av);
		*match = av.on_template;
		skip = av.on_template ? SKIP_PATCH : 0;
		for (k = 0; procedure_edit_key(ed, k, key, sizeof(key)); k++)
			if (!(av.on_dc & (1u << k)))
				skip |= SKIP_KEY(k);
		if (s) {
			s->skip = skip;
			if (av.on_dc)
				annotations_patch(dc, ed, s->patch, sizeof(s->patch));
		}
		snprintf(why, n, "%s", av.on_dc ? "the annotations are still on the dc" : av.template_any ?
			 "the annotations are on the pod template, none on the dc" :
			 "the dc has none of the annotations: nothing to move");
		return av.on_dc != 0;
	case EDIT_RESOURCES:
		switch (resources_assess(dc, ed)) {
		case RES_CHANGE:
			*match = 0;
			snprintf(why, n, "the resources of %s are below the guide's", ed->key);
			if (s)
				s->skip = 0;
			return 1;
		case RES_DONE:
			snprintf(why, n, "limits %s/%s, requests %s/%s", ed->limits_memory, ed->limits_cpu,
				 ed->requests_memory, ed->requests_cpu);
			break;
		case RES_NO_LIMIT:
			snprintf(why, n, "%s has no memory limit: left as it is, as the guide says", ed->key);
			break;
		case RES_HIGHER:
			snprintf(why, n, "%s's memory limit %s is higher than %s: left as it is, as the guide says",
				 ed->key, resources_memory_limit(dc, ed->key), ed->limits_memory);
			break;
		case RES_NO_CONTAINER:
			snprintf(why, n, "the pod template has no container %s", ed->key);
			break;
		}
		*match = 1;
		if (s)
			s->skip = SKIP_PATCH;
		return 0;
	default:
		*match = 1;
		return 0;
	}
}

int
dc_step_decide(struct engine *e, int index, const json_t *dc, int *match, char *why, size_t n)
{
	struct step *s = &e->plan.steps[index];
	const struct plan_section *ps;
	struct trigger_view tv;
	int cmd_ok = 1;

	if (s->kind == STEP_EDIT)
		return edit_decide(s, STEP_EDIT_OF(&e->plan, s), dc, match, why, n);
	ps = PLAN_DC_SECTION(&e->plan, s->dc);
	dc_triggers(e, s->dc, dc, &tv);
	if (ps->sec->command)
		cmd_ok = container_command_is(dc, PLAN_DC_NAME(&e->plan, s->dc), ps->sec->command);
	s->skip = (tv.has_old ? 0 : SKIP_REMOVE) | (tv.has_new && tv.new_containers_ok ? SKIP_ADD : 0) |
		  (ps->sec->command && cmd_ok ? SKIP_COMMAND : 0);
	*match = dc_runs_new(e, s->dc, dc) && cmd_ok;
	snprintf(why, n, "trigger on %s:%s, runs %s%s", ps->sec->imagestream, ps->new_tag, DC_DIGEST(e, s->dc),
		 ps->sec->command && cmd_ok ? " with its command" : "");
	return s->skip != (SKIP_REMOVE | SKIP_ADD | (ps->sec->command ? SKIP_COMMAND : 0u));
}

int
dc_step_applied(const struct engine *e, int index, const json_t *dc)
{
	const struct step *s = &e->plan.steps[index];
	const struct plan_section *ps = PLAN_DC_SECTION(&e->plan, s->dc);
	char why[8];
	int match;

	if (s->kind == STEP_EDIT) {
		edit_decide(NULL, STEP_EDIT_OF(&e->plan, s), dc, &match, why, sizeof(why));
		return match;
	}
	return dc_runs_new(e, s->dc, dc) &&
	       (!ps->sec->command || container_command_is(dc, PLAN_DC_NAME(&e->plan, s->dc), ps->sec->command));
}

int
dc_step_interim(const struct engine *e, int index)
{
	const struct step *s = &e->plan.steps[index];

	return s->kind == STEP_DC && PLAN_DC_SECTION(&e->plan, s->dc)->sec->command != NULL;
}

/* --- w's changes, one after another ------------------------------------------------- */

static void dcw_queue_step(struct dcwait *w);

static void
on_later(uv_timer_t *t)
{
	struct dcwait *w = t->data;

	if (!w->e->finished)
		dcw_read(w);
}

static void
on_dcw_queued(struct proc_result *r, void *arg)
{
	struct dcwait *w = arg;
	struct engine *e = w->e;
	struct args *cmd = &w->q[w->qpos];
	uint64_t delay = 0;

	report_command_end(cmd, 1, oc_status(r), r->timed_out, r->elapsed_ms);
	if (e->finished)
		return;
	switch (change_ended(e, cmd, r, 1, &w->attempts, &delay)) {
	case CHANGE_OK:
		w->qpos++;
		dcw_queue_step(w);
		return;
	case CHANGE_READ_BACK:
		/* read the dc back and decide again what is left to do */
		w->nq = 0;
		uv_timer_start(&w->later, on_later, delay, 0);
		return;
	case CHANGE_STOP:
		stop(e, 1);
		return;
	}
}

static void
dcw_queue_step(struct dcwait *w)
{
	struct engine *e = w->e;

	if (w->qpos == w->nq) {
		w->nq = 0;
		dcwait_begin(w);
		return;
	}
	report_command_start(&w->q[w->qpos]);
	e->changed = 1;
	proc_spawn(&e->loop, w->q[w->qpos].v, e->o->call_timeout_ms, on_dcw_queued, w);
}

/* run w's queued changes, then wait */
static void
dcw_queue_start(struct dcwait *w)
{
	w->qpos = 0;
	dcw_queue_step(w);
}

/* queue the commands the dc still needs (dc_step_decide left out the others) */
static void
queue_changes(struct dcwait *w)
{
	struct engine *e = w->e;

	w->nq = plan_step_commands(&e->plan, &e->plan.steps[w->step], e->o->oc, e->ns, w->q, DCQ);
}

/* --- deciding ----------------------------------------------------------------------- */

/* decide what the dc needs, from a fresh read of it (slot 0), its RCs and its pods */
static void
dcw_decide(struct batch *b)
{
	struct dcwait *w = b->ctx;
	struct engine *e = b->e;
	const json_t *dc = b->slots[0].doc;
	struct rollout_view rv;
	char detail[400], why[256];
	int match, need;

	w->nq = 0;
	need = dc_step_decide(e, w->step, dc, &match, why, sizeof(why));
	rollout_assess(dc, b->slots[1].doc, b->slots[2].doc, 0, 0, &rv);
	w->rv = rv;
	if (!need && match && rv.state == ROLLOUT_DONE) {
		/* nothing to do */
		w->done = 1;
		snprintf(detail, sizeof(detail), "%s%s, rollout #%ld complete", w->attempts > 0 ? "read back: " : "",
			 why, rv.latest);
		record_step(e, w->step, w->attempts > 0 ? STEP_DONE : STEP_SKIPPED, now_ms() - w->tstep, detail);
		dc_step_over(w);
		return;
	}
	w->baseline = rv.latest;
	w->expect_new = !match;
	/* its pod template has what the step brings and its rollout is over: once the rest
	 * has changed (a trigger, the dc's own annotations), no rollout can come */
	w->settled = need && match && rv.state == ROLLOUT_DONE;
	if (!need && match && rv.state == ROLLOUT_FAILED) {
		if (!rollout_failed(w, &rv, 1))
			return;
	} else {
		queue_changes(w);
	}
	dcw_queue_start(w);
}

/* the dc read alone: when it still has a change to make that rolls it out, that is all it
 * takes; else read its RCs and pods too, to judge the rollout that is there */
static void
dcw_decide_quick(struct dcwait *w, const json_t *dc)
{
	struct engine *e = w->e;
	char why[256];
	int match, need = dc_step_decide(e, w->step, dc, &match, why, sizeof(why));

	if (!need || match) {
		batch_clear(&w->rd);
		batch_add_rollout(&w->rd, w->dc);
		batch_start(&w->rd, dcw_decide);
		return;
	}
	w->nq = 0;
	w->baseline = (long)json_integer_value(json_object_get(json_object_get(dc, "status"), "latestVersion"));
	w->expect_new = 1;
	queue_changes(w);
	dcw_queue_start(w);
}

static void
dcw_decide_read(struct batch *b)
{
	struct dcwait *w = b->ctx;
	json_t *dc = batch_take(b, 0);

	dcw_decide_quick(w, dc);
	json_decref(dc);
}

/* --- reading ahead -------------------------------------------------------------------- */

void
pre_clear(struct dcwait *w)
{
	w->pre_wanted = 0;
	if (w->pre_state == 1) {
		/* still reading: what it reads is for no step */
		w->pre_step = -1;
		return;
	}
	batch_clear(&w->pre);
	w->pre_state = 0;
	w->pre_full = 0;
}

static void
pre_read(struct batch *b)
{
	struct dcwait *w = b->ctx;

	w->pre_state = 2;
	if (w->pre_wanted) {
		w->pre_wanted = 0;
		dcw_read(w);
	}
}

/* read the dc of step index into w's read-ahead (a database image with its RCs and pods) */
static void
pre_read_start(struct dcwait *w, int index)
{
	struct engine *e = w->e;
	int dc = e->plan.steps[index].dc;

	if (w->pre_state == 1)
		return;
	pre_clear(w);
	w->pre_state = 1;
	w->pre_step = index;
	/* a dc that ran the new image at the preflight (a database image) gets no rollout:
	 * its RCs and pods, read now, tell whether the one there is done */
	w->pre_full = dc_step_applied(e, index, e->dcs[dc]);
	if (w->pre_full)
		batch_add_rollout(&w->pre, dc);
	else
		batch_add_dc(&w->pre, dc);
	batch_start(&w->pre, pre_read);
}

/* the sections of the group that begins at index, in the order of their first step,
 * into secs; how many */
static int
group_sections(const struct engine *e, int index, int secs[PLAN_MAX_SECTIONS], int firsts[PLAN_MAX_SECTIONS])
{
	int group = e->plan.steps[index].group, i, k, n = 0;

	for (i = index; i < e->plan.nsteps && e->plan.steps[i].kind == STEP_DC && e->plan.steps[i].group == group; i++) {
		for (k = 0; k < n && secs[k] != e->plan.steps[i].section; k++)
			;
		if (k == n && n < PLAN_MAX_SECTIONS) {
			secs[n] = e->plan.steps[i].section;
			firsts[n++] = i;
		}
	}
	return n;
}

/*
 * While a dc waits for its rollout (or an image for its import), read the dc of the next
 * dc step (next is its index; of a group, the first dc of each of its first MAXW
 * sections): nothing of ours changes it meanwhile, and that step then starts with its
 * first change. (A change by someone else in between is caught by the wait, which also
 * requires the dc's pod template to run the new image.)
 */
void
pre_start(struct engine *e, int next)
{
	int secs[PLAN_MAX_SECTIONS], firsts[PLAN_MAX_SECTIONS], k, n;

	if (next >= e->plan.nsteps || (e->plan.steps[next].kind != STEP_DC && e->plan.steps[next].kind != STEP_EDIT))
		return;
	if (!e->plan.steps[next].group) {
		pre_read_start(&e->w[0], next);
		return;
	}
	n = group_sections(e, next, secs, firsts);
	for (k = 0; k < n && k < MAXW; k++)
		pre_read_start(&e->w[k], firsts[k]);
}

/* read w's dc (or take what was read ahead); also how a failed change is read back */
static void
dcw_read(struct dcwait *w)
{
	if (w->pre_state && w->pre_step == w->step && w->attempts == 0) {
		if (w->pre_state == 1) {
			w->pre_wanted = 1;
			return;
		}
		if (w->pre_full) {
			/* consumed: the documents stay in the batch until its next use */
			w->pre_state = 0;
			w->pre_full = 0;
			dcw_decide(&w->pre);
			return;
		}
		{
			json_t *dc = batch_take(&w->pre, 0);

			pre_clear(w);
			dcw_decide_quick(w, dc);
			json_decref(dc);
		}
		return;
	}
	pre_clear(w);
	batch_clear(&w->rd);
	batch_add_dc(&w->rd, w->dc);
	batch_start(&w->rd, dcw_decide_read);
}

/* --- the steps ------------------------------------------------------------------------- */

/* w takes step index: decide, change, wait */
static void
dcw_step_start(struct dcwait *w, int index, int report_start)
{
	w->step = index;
	w->dc = w->e->plan.steps[index].dc;
	w->done = 0;
	w->retried = 0;
	w->settled = 0;
	w->attempts = 0;
	w->nq = 0;
	w->waiting_for[0] = '\0';
	memset(&w->rv, 0, sizeof(w->rv));
	w->tstep = now_ms();
	if (report_start)
		report_step_start(&w->e->plan, index);
	dcw_read(w);
}

/* the next step of w's lane after step index: its section's next dc step in the group */
static int
lane_next(const struct engine *e, const struct dcwait *w, int index)
{
	int i;

	for (i = index + 1; i < e->group_end; i++)
		if (e->plan.steps[i].section == w->lane)
			return i;
	return -1;
}

/* a section of the group no lane has taken yet: the index of its first step, or -1 */
static int
lane_queued(const struct engine *e)
{
	int i;

	for (i = e->step; i < e->group_end; i++)
		if (!(e->lanes_taken & (1u << e->plan.steps[i].section)))
			return i;
	return -1;
}

/* the step after w's: its lane's next (none: -1) */
void
dc_read_ahead(struct dcwait *w)
{
	struct engine *e = w->e;
	int next;

	if (w->lane < 0) {
		pre_start(e, w->step + 1);
		return;
	}
	next = lane_next(e, w, w->step);
	if (next >= 0)
		pre_read_start(w, next);
}

int
dc_steps_under_way(const struct engine *e, char *steps, size_t n, char *what, size_t m)
{
	int k, count = 0;

	steps[0] = what[0] = '\0';
	for (k = 0; k < e->nw && e->plan.steps[e->step].group; k++) {
		const struct dcwait *w = &e->w[k];
		size_t a = strlen(steps), b = strlen(what);

		if (w->lane < 0 || w->done)
			continue;
		snprintf(steps + a, n - a, "%s%d", count ? ", " : "", w->step + 1);
		snprintf(what + b, m - b, "%sdc/%s", count ? ", " : "", PLAN_DC_NAME(&e->plan, w->dc));
		count++;
	}
	return count;
}

void
dc_step_over(struct dcwait *w)
{
	struct engine *e = w->e;
	int next;

	if (e->finished)
		return;
	if (w->lane < 0) {
		e->step++;
		step_next(e);
		return;
	}
	next = lane_next(e, w, w->step);
	if (next >= 0) {
		dcw_step_start(w, next, 1);
		return;
	}
	/* its section is done: the next section waiting for a lane, if any */
	next = lane_queued(e);
	if (next >= 0) {
		w->lane = e->plan.steps[next].section;
		e->lanes_taken |= 1u << w->lane;
		dcw_step_start(w, next, 1);
		return;
	}
	if (--e->lanes_busy > 0)
		return;
	for (next = 0; next < e->nw; next++)
		e->w[next].lane = -1;
	e->step = e->group_end;
	step_next(e);
}

/* the group of dc steps that begins at e->step: a lane per section, at most MAXW */
static void
group_start(struct engine *e)
{
	int secs[PLAN_MAX_SECTIONS], firsts[PLAN_MAX_SECTIONS], k, n, group = e->plan.steps[e->step].group;

	for (e->group_end = e->step; e->group_end < e->plan.nsteps && e->plan.steps[e->group_end].kind == STEP_DC &&
	     e->plan.steps[e->group_end].group == group; e->group_end++)
		;
	n = group_sections(e, e->step, secs, firsts);
	e->nw = n < MAXW ? n : MAXW;
	e->lanes_busy = e->nw;
	e->lanes_taken = 0;
	for (k = 0; k < e->nw; k++) {
		e->w[k].lane = secs[k];
		e->lanes_taken |= 1u << secs[k];
	}
	/* the first lane's first step is e->step, whose start step_next reported */
	for (k = 0; k < e->nw && !e->finished; k++)
		dcw_step_start(&e->w[k], firsts[k], k > 0);
}

void
dc_step(struct engine *e)
{
	if (e->plan.steps[e->step].group) {
		group_start(e);
		return;
	}
	e->nw = 1;
	e->w[0].lane = -1;
	dcw_step_start(&e->w[0], e->step, 0);
}
