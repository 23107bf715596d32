/* rolloutwait.c - the wait for one dc's rollout: watches of the dc, its RCs and its pods, and lists */
#include "engine_int.h"
#include "assess.h"
#include "objset.h"
#include "ocerror.h"
#include "report.h"
#include "util.h"
#include "watch.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* a watch ended early or broke: 0 and the delay before starting it again, or -1 (stopped) */
int64_t
watch_ended(struct engine *e, struct watch *wt, struct proc_result *r, int *fails)
{
	char subj[256], why[1200];
	enum oc_error k = oc_error_classify(r->spawn_error, r->exit_status, r->term_signal, r->timed_out, r->err);

	args_subject(&wt->cmd, subj, sizeof(subj));
	if (!wt->plain && watch_events_unsupported(r)) {
		/* a capability answer, not a failure: this and every later watch of the run
		 * reads plain streams, starting again at once */
		if (!e->plain_watch)
			report_info("this oc has no --output-watch-events (a client older than 4.3, such as oc 3.11's): "
				    "waits read plain 'oc get -w' streams and confirm by listing that old pods are gone");
		e->plain_watch = 1;
		watch_capability_known(e);
		return 0;
	}
	if ((k == OCE_NONE || r->timed_out) && !wt->bad[0] && (wt->events > 0 || wt->plain)) {
		/* the server closed the watch, as it may at any time, or it reached its
		 * deadline (--call-timeout) while healthy: reconnect at once. An oc 3.11
		 * plain watch ends like this at the first change, printing nothing of it
		 * (kubernetes#66554), and an empty selection prints nothing before: its end
		 * is news; only one that ends at once, again and again, waits a little */
		if (wt->plain && r->elapsed_ms < PLAIN_RESTART_MIN_MS)
			return ++*fails > 1 ? (int64_t)backoff_ms(*fails, READ_RETRY_BASE_MS, WATCH_RESTART_CAP_MS,
								  jitter(e)) : 0;
		*fails = 0;
		return 0;
	}
	if (k != OCE_NONE && !oc_error_retryable(k) && !wt->bad[0]) {
		char msg[1536];

		oc_failed(e, &wt->cmd, r, msg, sizeof(msg));
		report_error("%s", msg);
		hint_for(e, r);
		stop(e, 1);
		return -1;
	}
	++*fails;
	if (wt->bad[0])
		report_warning("'%s' printed %s; watching again", subj, wt->bad);
	else if (k != OCE_NONE)
		report_warning("'%s' ended (%s); watching again", subj, oc_why(e, r, why, sizeof(why)));
	return (int64_t)backoff_ms(*fails + 1, READ_RETRY_BASE_MS, WATCH_RESTART_CAP_MS, jitter(e));
}

static void dcwait_start(struct dcwait *w);
static void dcwait_list(struct dcwait *w, int with_dc);

/* the watch that asked oc for --output-watch-events ended without an answer: another
 * wait under way may ask */
static void
asking_ended(struct engine *e)
{
	e->asking = NULL;
	if (!WATCH_KNOWN(e) && !e->finished)
		watch_capability_known(e);
}

/* stop following w's dc: watches, timers */
void
dcwait_end(struct dcwait *w)
{
	int k;

	if (!w->e)
		return;
	w->active = 0;
	for (k = 0; k < NKINDS; k++) {
		if (w->watches[k]) {
			if (w->e->asking == w->watches[k])
				asking_ended(w->e);
			w->watches[k]->data = NULL;
			watch_stop(w->watches[k]);
			w->watches[k] = NULL;
		}
	}
	uv_timer_stop(&w->restart[0]);
	uv_timer_stop(&w->quiet);
	uv_timer_stop(&w->gone);
	w->relist = 0;
	w->list_only = 0;
}

/* w's step ended: its lane's next step, or the run's */
static void
dcwait_step_end(struct dcwait *w, enum step_status st, const char *fmt, ...)
{
	struct engine *e = w->e;
	char detail[512] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	dcwait_end(w);
	uv_timer_stop(&w->deadline);
	w->done = 1;
	record_step(e, w->step, st, now_ms() - w->tstep, detail);
	dc_step_over(w);
}

/* why no rollout comes for w's step */
static const char *
already(const struct dcwait *w)
{
	return w->e->plan.steps[w->step].kind == STEP_EDIT ? "the pod template has the change already" :
	       "already runs the new image";
}

/* a failed rollout: 1 if a retry was queued (--retry-failed, earlier run), else stopped */
int
rollout_failed(struct dcwait *w, const struct rollout_view *rv, int earlier)
{
	struct engine *e = w->e;
	const char *name = PLAN_DC_NAME(&e->plan, w->dc);
	int paused = strcmp(rv->reason, "DeploymentConfigPaused") == 0;

	if (earlier && e->o->retry_failed && !w->retried && !paused) {
		w->retried = 1;
		w->baseline = rv->latest;
		w->expect_new = 0;
		cmd_rollout_retry(&w->q[w->nq++], e->o->oc, e->ns, name);
		return 1;
	}
	if (paused) {
		report_error("dc/%s is paused: %s", name, rv->message);
		report_hint("resume it with: oc rollout resume dc/%s -n %s", name, e->ns);
		stop(e, 1);
		return 0;
	}
	report_error("rollout #%ld of dc/%s failed%s: replication controller %s, %s: %s", rv->latest, name,
		     earlier ? " (in an earlier run)" : "", rv->rc, rv->reason, rv->message);
	report_hint("read the logs: oc logs pod/%s -n %s", rv->log_pod, e->ns);
	if (rv->hook_pod[0])
		report_hint("the pre hook (database migrations) logs: oc logs pod/%s -n %s", rv->hook_pod, e->ns);
	report_hint("the %s, so nothing starts a new rollout by itself: once the cause is fixed, run 'oc rollout "
		    "retry dc/%s -n %s' (or re-run with --retry-failed)", e->plan.steps[w->step].kind == STEP_EDIT ?
		    "change is made" : "trigger has already fired", name, e->ns);
	stop(e, 1);
	return 0;
}

/* judge w's rollout from what its watches and lists have shown */
static void
dcwait_assess(struct dcwait *w)
{
	struct engine *e = w->e;
	struct rollout_view rv;
	struct rollout_progress rp = { 0 };
	json_t *rcs, *pods;
	char what[300];
	int k;

	if (!w->active || e->finished)
		return;
	for (k = 0; k < NKINDS; k++)
		if (!w->sets[k].listed)
			return;
	rcs = objset_as_list(&w->sets[K_RC]);
	pods = objset_as_list(&w->sets[K_POD]);
	rollout_assess(objset_single(&w->sets[K_DC]), rcs, pods, w->baseline, w->expect_new, &rv);
	json_decref(rcs);
	json_decref(pods);
	if ((rv.state == ROLLOUT_DONE || (rv.state == ROLLOUT_FAILED && dc_step_interim(e, w->step))) &&
	    w->expect_new && !dc_step_applied(e, w->step, objset_single(&w->sets[K_DC]))) {
		/* a rollout newer than we saw ended, but not of what the step brings: someone
		 * else's, or (2.11 redis) that of the command patched before the new trigger */
		rv.state = ROLLOUT_PROGRESSING;
		snprintf(rv.waiting, sizeof(rv.waiting), "%s", e->plan.steps[w->step].kind == STEP_EDIT ?
			 "waiting for the changed pod template to roll out" :
			 "waiting for the image trigger to put the new image in the pod template");
	}
	w->rv = rv;
	switch (rv.state) {
	case ROLLOUT_DONE:
		if (w->expect_new)
			dcwait_step_end(w, STEP_DONE, "rollout #%ld complete, %ld of %ld pods ready, old pods gone",
					rv.latest, rv.ready_new, rv.desired);
		else
			dcwait_step_end(w, STEP_DONE, "%s: no new rollout needed; rollout #%ld complete, %ld of %ld "
					"pods ready, old pods gone", already(w), rv.latest, rv.ready_new, rv.desired);
		return;
	case ROLLOUT_FAILED:
		dcwait_end(w);
		rollout_failed(w, &rv, 0);
		return;
	default:
		if (e->nw > 1)
			snprintf(what, sizeof(what), "dc/%s: %s", PLAN_DC_NAME(&e->plan, w->dc), rv.waiting);
		else
			snprintf(what, sizeof(what), "%s", rv.waiting);
		if (strcmp(what, w->waiting_for) != 0) {
			strlcopy(w->waiting_for, what, sizeof(w->waiting_for));
			report_progress(&e->plan, w->step, what);
		}
		rp.dc = PLAN_DC_NAME(&e->plan, w->dc);
		rp.rollout = rv.latest;
		rp.phase = rv.phase;
		rp.ready = rv.ready_new;
		rp.desired = rv.desired;
		rp.old_pods = rv.old_pods;
		rp.terminating = rv.terminating;
		rp.elapsed_ms = now_ms() - w->tstep;
		report_rollout(&e->plan, w->step, &rp);
	}
}

static void
on_quiet(uv_timer_t *t)
{
	struct dcwait *w = t->data;

	if (!w->active || w->e->finished)
		return;
	/* nothing heard for a while: read everything once (a missed event, a watch that
	 * stopped delivering); the interval doubles while it stays quiet */
	dcwait_list(w, 1);
	if (w->quiet_ms < RELIST_MAX_MS)
		w->quiet_ms *= 2;
	uv_timer_start(&w->quiet, on_quiet, w->quiet_ms, 0);
}

static void
quiet_rearm(struct dcwait *w)
{
	w->quiet_ms = RELIST_MIN_MS;
	uv_timer_start(&w->quiet, on_quiet, w->quiet_ms, 0);
}

static void
on_gone(uv_timer_t *t)
{
	struct dcwait *w = t->data;

	if (!w->active || w->e->finished)
		return;
	if (w->listing)
		w->relist = 1;
	else
		dcwait_list(w, 0);
}

/* plain watches: list the RCs and pods to learn whether the terminating pods are gone,
 * soon after news of one (fresh), else after a delay that doubles while one is left */
static void
confirm_gone(struct dcwait *w, int fresh)
{
	uint64_t ms = GONE_FIRST_MS;

	if (fresh && w->listing) {
		w->relist = 1;
		return;
	}
	if (fresh) {
		w->gone_ms = GONE_BASE_MS;
	} else {
		ms = w->gone_ms;
		if (w->gone_ms < GONE_CAP_MS)
			w->gone_ms *= 2;
	}
	uv_timer_start(&w->gone, on_gone, ms, 0);
}

static void
on_dc_event(struct watch *wt, const char *type, const json_t *obj)
{
	struct dcwait *w = wt->data;
	int k, changed;

	if (!w || !w->active)
		return;
	for (k = 0; k < NKINDS && w->watches[k] != wt; k++)
		;
	if (k == NKINDS)
		return;
	if (!wt->plain && !w->e->watch_known) {
		/* --output-watch-events works: the other watches can start */
		w->e->watch_known = 1;
		watch_capability_known(w->e);
	}
	changed = objset_event(&w->sets[k], type, obj);
	if (wt->plain && k == K_POD && changed && objset_is_terminating(obj))
		/* maybe its deletion, maybe not: a plain stream cannot tell */
		confirm_gone(w, 1);
	if (k == K_DC && !w->sets[K_DC].listed) {
		/* a watch of one object starts with the whole object */
		w->sets[K_DC].listed = 1;
		changed = 1;
	}
	w->wfails[k] = 0;
	if (changed) {
		quiet_rearm(w);
		dcwait_assess(w);
	}
}

static void dcwait_watch(struct dcwait *w, int k);

static void
on_restart(uv_timer_t *t)
{
	struct dcwait *w = t->data;
	int k, any = 0;

	if (!w->active || w->e->finished)
		return;
	for (k = 0; k < NKINDS; k++)
		if (!w->watches[k] && (k == K_DC ? MAY_ASK(w->e) : WATCH_KNOWN(w->e))) {
			dcwait_watch(w, k);
			any = 1;
		}
	/* what happened while no watch ran is only in a list (a plain watch starts by
	 * printing the dc, and its RCs and pods, but never says what was deleted) */
	if (any)
		dcwait_list(w, !w->e->plain_watch);
}

static void
on_dc_watch_end(struct watch *wt, struct proc_result *r)
{
	struct dcwait *w = wt->data;
	int k;

	report_command_end(&wt->cmd, 0, oc_status(r), r->timed_out, r->elapsed_ms);
	if (w && w->active && !w->e->finished) {
		for (k = 0; k < NKINDS && w->watches[k] != wt; k++)
			;
		if (k < NKINDS) {
			int64_t delay;

			w->watches[k] = NULL;
			if (w->e->asking == wt)
				w->e->asking = NULL;
			delay = watch_ended(w->e, wt, r, &w->wfails[k]);
			if (delay >= 0 && !uv_is_active((uv_handle_t *)&w->restart[0]))
				uv_timer_start(&w->restart[0], on_restart, (uint64_t)delay, 0);
		}
	}
	free(wt);
}

/* start the watch of kind k */
static void
dcwait_watch(struct dcwait *w, int k)
{
	struct engine *e = w->e;
	struct watch *wt = xmalloc(sizeof(*wt));
	char what[96], sel[128];

	memset(wt, 0, sizeof(*wt));
	switch (k) {
	case K_DC:
		snprintf(what, sizeof(what), "dc/%s", PLAN_DC_NAME(&e->plan, w->dc));
		cmd_get(&wt->cmd, e->o->oc, e->ns, what, NULL);
		break;
	case K_RC:
		cmd_get(&wt->cmd, e->o->oc, e->ns, "rc", rc_selector(&e->plan, w->dc, sel, sizeof(sel)));
		break;
	default:
		cmd_get(&wt->cmd, e->o->oc, e->ns, "pods", pod_selector(&e->plan, w->dc, sel, sizeof(sel)));
	}
	wt->plain = e->plain_watch;
	watch_args(wt);
	wt->on_event = on_dc_event;
	wt->on_end = on_dc_watch_end;
	wt->data = w;
	w->watches[k] = wt;
	if (!WATCH_KNOWN(e))
		e->asking = wt;
	watch_start(&e->loop, wt, e->o->call_timeout_ms);
}

/* follow the dc, its RCs and its pods: watches, then a list (what happened before the
 * watches started is only in a list) */
static void
dcwait_follow(struct dcwait *w)
{
	int k;

	w->list_only = 0;
	/* until the run knows what oc can, one dc's watch alone asks (the lists follow the
	 * RCs and pods meanwhile, and the other dcs' waits with --parallel) */
	for (k = 0; k < NKINDS; k++)
		if (k == K_DC ? MAY_ASK(w->e) : WATCH_KNOWN(w->e))
			dcwait_watch(w, k);
	dcwait_list(w, 0);
	quiet_rearm(w);
}

void
watch_capability_known(struct engine *e)
{
	int i, k;

	for (i = 0; i < MAXW; i++) {
		struct dcwait *w = &e->w[i];
		int missing = 0;

		for (k = 0; k < NKINDS; k++)
			missing |= !w->watches[k];
		if (w->e && w->active && !w->list_only && missing && !uv_is_active((uv_handle_t *)&w->restart[0]))
			uv_timer_start(&w->restart[0], on_restart, 0, 0);
	}
}

static void
dcwait_listed(struct batch *b)
{
	struct dcwait *w = b->ctx;
	int k, i = 0, changed = 0;

	w->listing = 0;
	if (!w->active)
		return;
	if (w->list_gen != w->gen) {
		/* the list of an earlier wait (another dc) ended: this wait needs its own */
		dcwait_list(w, 1);
		return;
	}
	for (k = b->nslots == 3 ? K_DC : K_RC; k < NKINDS; k++, i++)
		changed |= objset_list(&w->sets[k], b->slots[i].doc, w->floors[k]);
	if (changed || w->list_only)
		dcwait_assess(w);
	if (w->active && w->list_only) {
		/* that rollout is not done yet: wait for it as for any */
		dcwait_follow(w);
		return;
	}
	if (!w->active || !w->e->plain_watch)
		return;
	if (w->relist) {
		/* news of a terminating pod came while this list ran: it may predate its deletion */
		w->relist = 0;
		dcwait_list(w, 0);
	} else if (objset_count_terminating(&w->sets[K_POD]) > 0) {
		confirm_gone(w, 0);
	}
}

/* read the RCs and pods (and the dc) once: the watches of a list start with nothing
 * when nothing matches, and events may be missed while no watch runs */
static void
dcwait_list(struct dcwait *w, int with_dc)
{
	int k;

	if (w->listing || !w->active)
		return;
	w->listing = 1;
	w->list_gen = w->gen;
	for (k = 0; k < NKINDS; k++)
		w->floors[k] = w->sets[k].maxrv;
	batch_clear(&w->b);
	if (with_dc)
		batch_add_dc(&w->b, w->dc);
	batch_add_rcs_pods(&w->b, w->dc);
	batch_start(&w->b, dcwait_listed);
}

void
dcwait_list_failed(struct batch *b)
{
	struct dcwait *w = b->ctx;

	w->listing = 0;
	stop(b->e, 1);
}

static void
dcwait_start(struct dcwait *w)
{
	int k;

	for (k = 0; k < NKINDS; k++) {
		objset_clear(&w->sets[k]);
		w->wfails[k] = 0;
	}
	w->active = 1;
	w->gen++;
	if (!w->expect_new) {
		/* it already runs the new image: no rollout can come, one list tells whether
		 * the one there is done */
		w->list_only = 1;
		dcwait_list(w, 1);
		return;
	}
	dcwait_follow(w);
}

/* w's --timeout passed: say what it and every other wait under way waited for */
static void
on_dc_deadline(uv_timer_t *t)
{
	struct dcwait *w = t->data;
	struct engine *e = w->e;
	char d[32], others[1024] = "";
	int k;

	if (e->finished)
		return;
	report_error("timed out after %s waiting for the rollout of dc/%s: %s", fmt_duration(e->o->timeout_ms, d, sizeof(d)),
		     PLAN_DC_NAME(&e->plan, w->dc), w->rv.waiting[0] ? w->rv.waiting : "no progress seen");
	for (k = 0; k < e->nw; k++) {
		size_t len = strlen(others);

		if (&e->w[k] != w && e->w[k].lane >= 0 && !e->w[k].done)
			snprintf(others + len, sizeof(others) - len, "%sdc/%s (%s)", len ? "; " : "",
				 PLAN_DC_NAME(&e->plan, e->w[k].dc),
				 e->w[k].rv.waiting[0] ? e->w[k].rv.waiting : "no progress seen");
	}
	if (others[0])
		report_hint("still under way beside it (--parallel): %s", others);
	report_hint("what was applied stays applied and the cluster may still finish it; re-running continues "
		    "the wait (a longer --timeout gives it more time)");
	stop(e, 4);
}

void
dcwait_begin(struct dcwait *w)
{
	struct engine *e = w->e;

	uv_timer_start(&w->deadline, on_dc_deadline, e->o->timeout_ms, 0);
	if (!w->settled)
		dcwait_start(w);
	dc_read_ahead(w);
	/* a settled dc ends now: the trigger has moved, and no rollout can come */
	if (w->settled && !e->finished)
		dcwait_step_end(w, STEP_DONE, "%s: no new rollout needed; rollout #%ld complete, %ld of %ld pods "
				"ready, old pods gone", already(w), w->rv.latest, w->rv.ready_new, w->rv.desired);
}
