/* engine.c - the step engine: preflight, then the plan's steps, on one libuv loop */
#include "engine.h"
#include "engine_int.h"
#include "assess.h"
#include "objset.h"
#include "ocerror.h"
#include "proc.h"
#include "report.h"
#include "util.h"
#include "watch.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

/* the command that continues this run */
static const char *
resume_command(struct engine *e, char *buf, size_t n)
{
	strlcopy(buf, "3scale-upgrade run", n);
	if (e->o->only) {
		strlcopy(buf + strlen(buf), " --only ", n - strlen(buf));
		shell_quote_append(buf, n, e->o->only);
	}
	if (e->o->skip) {
		strlcopy(buf + strlen(buf), " --skip ", n - strlen(buf));
		shell_quote_append(buf, n, e->o->skip);
	}
	snprintf(buf + strlen(buf), n - strlen(buf), " -n %s --from %s --to %s --database %s",
		 e->ns ? e->ns : "NAMESPACE", e->plan.from, e->o->to, database_name(e->plan.db));
	if (strcmp(e->o->oc, "oc") != 0) {
		strlcopy(buf + strlen(buf), " --oc ", n - strlen(buf));
		shell_quote_append(buf, n, e->o->oc);
	}
	if (e->o->timeout_ms != DEFAULT_TIMEOUT_MS) {
		unsigned long long ms = e->o->timeout_ms;

		if (ms % 60000 == 0)
			snprintf(buf + strlen(buf), n - strlen(buf), " --timeout %llum", ms / 60000);
		else if (ms % 1000 == 0)
			snprintf(buf + strlen(buf), n - strlen(buf), " --timeout %llus", ms / 1000);
		else
			snprintf(buf + strlen(buf), n - strlen(buf), " --timeout %llums", ms);
	}
	if (e->o->parallel)
		strlcopy(buf + strlen(buf), " --parallel", n - strlen(buf));
	return buf;
}

uint32_t
jitter(struct engine *e)
{
	/* xorshift: spreads retries of concurrent runs; no need for quality */
	e->rnd ^= e->rnd << 13;
	e->rnd ^= e->rnd >> 17;
	e->rnd ^= e->rnd << 5;
	return e->rnd;
}

/* --- the end of a run --------------------------------------------------------------- */

/* the run's summary is due: it is reported once the oc processes still running have
 * ended, so that it counts them and comes after their command events */
void
summary(struct engine *e, const char *command, int status)
{
	e->summary_command = command;
	e->summary_status = status;
	e->summary_ms = now_ms() - e->t0;
}

static void
on_grace(uv_timer_t *t)
{
	(void)t;
	proc_kill_all(SIGKILL);
}

void
finish(struct engine *e, int status)
{
	int i;

	if (e->finished)
		return;
	e->finished = 1;
	e->status = status;
	uv_timer_stop(&e->timer);
	uv_timer_stop(&e->deadline);
	batch_cancel(&e->main);
	for (i = 0; i < MAXW; i++) {
		batch_cancel(&e->w[i].rd);
		batch_cancel(&e->w[i].b);
		batch_cancel(&e->w[i].pre);
		dcwait_end(&e->w[i]);
		uv_timer_stop(&e->w[i].later);
		uv_timer_stop(&e->w[i].deadline);
	}
	if (e->iswatch) {
		e->iswatch->data = NULL;
		watch_stop(e->iswatch);
		e->iswatch = NULL;
	}
	/* reads still running belong to a batch that no longer matters; an oc that does
	 * not end on SIGTERM gets SIGKILL after a grace period */
	proc_kill_all(SIGTERM);
	uv_timer_start(&e->timer, on_grace, KILL_GRACE_MS, 0);
	uv_unref((uv_handle_t *)&e->timer);
}

/* stop with status, saying what is done and how to continue */
void
stop(struct engine *e, int status)
{
	char buf[512];

	if (e->finished)
		return;
	/* a later hop's checks failed: the hops before it changed the cluster */
	if (e->hop > 0 && status == 3)
		status = 1;
	if ((!e->preflight || e->hop > 0) && e->o->command == CMD_RUN && status != 0) {
		char steps[64], what[256];
		int lanes = !e->preflight && e->step < e->plan.nsteps ?
			    dc_steps_under_way(e, steps, sizeof(steps), what, sizeof(what)) : 0;

		if (e->preflight)
			report_hint("stopped before the %s -> %s hop began; the hop%s before it %s done", e->plan.from,
				    e->plan.to, e->hop > 1 ? "s" : "", e->hop > 1 ? "are" : "is");
		else if (lanes > 0)
			report_hint("stopped at step%s %s of %d (--parallel: %s); steps before step %d are done, and "
				    "so are those after it that said so", lanes > 1 ? "s" : "", steps, e->plan.nsteps, what,
				    e->step + 1);
		else if (e->step < e->plan.nsteps)
			report_hint("stopped at step %d of %d (%s); steps before it are done", e->step + 1,
				    e->plan.nsteps, e->plan.steps[e->step].title);
		report_hint("to continue, %sre-run: %s", e->interrupted ? "" : "fix the cause and ",
			    resume_command(e, buf, sizeof(buf)));
	}
	if (!e->preflight || e->hop > 0 || report_json())
		summary(e, e->o->command_name, status);
	finish(e, status);
}

/* --- mutating commands, one after another ------------------------------------------------ */

static void queue_step(struct engine *e);

enum change_result
change_ended(struct engine *e, const struct args *cmd, const struct proc_result *r, int can_redo, int *attempts,
	     uint64_t *delay)
{
	char msg[1536], d[32];
	enum oc_error k = oc_error_classify(r->spawn_error, r->exit_status, r->term_signal, r->timed_out, r->err);

	if (k == OCE_NONE)
		return CHANGE_OK;
	oc_failed(e, cmd, r, msg, sizeof(msg));
	/*
	 * Never repeat a change blindly: it may have taken effect (a timeout after the
	 * server applied it). Read the state back and decide again what is left to do.
	 */
	if ((k == OCE_TRANSIENT || k == OCE_CONFLICT) && can_redo && ++*attempts < CHANGE_ATTEMPTS) {
		*delay = backoff_ms(*attempts + 1, 500, READ_RETRY_CAP_MS, jitter(e));
		report_warning("%s; reading the state back in %s before deciding what is left to do "
			       "(attempt %d of %d)", msg, fmt_duration(*delay, d, sizeof(d)), *attempts + 1,
			       CHANGE_ATTEMPTS);
		return CHANGE_READ_BACK;
	}
	report_error("%s", msg);
	hint_for(e, r);
	if (e->change_hint[0])
		report_hint("%s", e->change_hint);
	return CHANGE_STOP;
}

static void
on_queued_done(struct proc_result *r, void *arg)
{
	struct engine *e = arg;
	struct args *cmd = &e->queue[e->qpos];
	uint64_t delay = 0;

	report_command_end(cmd, 1, oc_status(r), r->timed_out, r->elapsed_ms);
	if (e->finished)
		return;
	switch (change_ended(e, cmd, r, e->redo != NULL, &e->attempts, &delay)) {
	case CHANGE_OK:
		e->qpos++;
		queue_step(e);
		return;
	case CHANGE_READ_BACK:
		e->nqueue = 0;
		schedule(e, delay, e->redo);
		return;
	case CHANGE_STOP:
		stop(e, 1);
		return;
	}
}

static void
queue_step(struct engine *e)
{
	if (e->qpos == e->nqueue) {
		e->nqueue = 0;
		e->queue_next(e);
		return;
	}
	report_command_start(&e->queue[e->qpos]);
	e->changed = 1;
	proc_spawn(&e->loop, e->queue[e->qpos].v, e->o->call_timeout_ms, on_queued_done, e);
}

/* run the queued commands in order; next(e) when all succeeded. On a failure that may
 * have passed, redo(e) reads the state back and decides again (NULL: stop). */
void
queue_start(struct engine *e, cont_fn next, cont_fn redo)
{
	e->qpos = 0;
	e->queue_next = next;
	e->redo = redo;
	queue_step(e);
}

/* --- timers ------------------------------------------------------------------------ */

static void
on_timer(uv_timer_t *t)
{
	struct engine *e = t->data;

	if (!e->finished)
		e->timer_fn(e);
}

void
schedule(struct engine *e, uint64_t ms, cont_fn fn)
{
	e->timer_fn = fn;
	uv_timer_start(&e->timer, on_timer, ms, 0);
}

static void
on_deadline(uv_timer_t *t)
{
	struct engine *e = t->data;
	char d[32];

	if (e->finished)
		return;
	report_error("timed out after %s waiting for %s: %s", fmt_duration(e->o->timeout_ms, d, sizeof(d)),
		     e->wait_what, e->waiting_for[0] ? e->waiting_for : "no progress seen");
	report_hint("what was applied stays applied and the cluster may still finish it; re-running continues "
		    "the wait (a longer --timeout gives it more time)");
	stop(e, 4);
}

/* a wait begins: arm its deadline */
void
wait_begin(struct engine *e, const char *what)
{
	strlcopy(e->wait_what, what, sizeof(e->wait_what));
	e->waiting_for[0] = '\0';
	uv_timer_start(&e->deadline, on_deadline, e->o->timeout_ms, 0);
}

/* report what the wait waits for, when it changed */
void
progress_at(struct engine *e, int index, const char *what)
{
	if (strcmp(what, e->waiting_for) == 0)
		return;
	strlcopy(e->waiting_for, what, sizeof(e->waiting_for));
	report_progress(&e->plan, index, what);
}

void
progress(struct engine *e, const char *what)
{
	progress_at(e, e->step < e->plan.nsteps ? e->step : e->plan.nsteps - 1, what);
}

/* --- steps ------------------------------------------------------------------------- */


/* record the end of step index */
void
record_step(struct engine *e, int index, enum step_status st, uint64_t ms, const char *detail)
{
	char *ids = st == STEP_DONE ? e->done_ids : st == STEP_NOT_THERE ? e->absent_ids : e->skipped_ids;
	size_t size = st == STEP_NOT_THERE ? sizeof(e->absent_ids) : sizeof(e->done_ids);
	size_t len = strlen(ids);

	report_step_end(&e->plan, index, st, ms, detail);
	/* a run of several hops: "2.9:dc/system-app", the step of the hop to 2.9 */
	snprintf(ids + len, size - len, "%s%s%s%s", len ? ", " : "", e->nhops > 1 ? e->plan.to : "",
		 e->nhops > 1 ? ":" : "", e->plan.steps[index].id);
	if (st == STEP_DONE)
		e->ndone++;
	else if (st == STEP_NOT_THERE)
		e->nabsent++;
	else
		e->nskipped++;
}

void
step_end(struct engine *e, enum step_status st, const char *fmt, ...)
{
	char detail[512] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	uv_timer_stop(&e->deadline);
	record_step(e, e->step, st, now_ms() - e->tstep, detail);
	e->step++;
	step_next(e);
}

int
system_dcs(const struct engine *e, int list[PLAN_MAX_DCS])
{
	int i, n = 0;

	for (i = 0; i < e->plan.ndcs; i++)
		if (e->plan.dcs[i].section == e->plan.sys && e->plan.dcs[i].present)
			list[n++] = i;
	return n;
}

void
step_next(struct engine *e)
{
	if (e->finished)
		return;
	if (e->step >= e->plan.nsteps) {
		if (version_cmp(e->plan.to, e->o->to) < 0) {
			hop_next(e);
			return;
		}
		summary(e, "run", 0);
		finish(e, 0);
		return;
	}
	e->tstep = now_ms();
	e->waiting_for[0] = '\0';
	e->attempts = 0;
	e->nw = 0;
	e->change_hint[0] = '\0';
	report_step_start(&e->plan, e->step);
	switch (e->plan.steps[e->step].kind) {
	case STEP_BACKUP: backup_step(e); break;
	case STEP_RELEASE: release_step(e); break;
	case STEP_SECRET: secret_step(e); break;
	case STEP_HOOK_ENV: hook_step(e); break;
	case STEP_EDIT: dc_step(e); break;
	case STEP_UNTAG: untag_step(e); break;
	case STEP_TAG: tag_step(e); break;
	case STEP_IMPORT: import_step(e); break;
	case STEP_DC: dc_step(e); break;
	case STEP_CONFIRM: confirm_step(e); break;
	case STEP_ABSENT: step_end(e, STEP_NOT_THERE, "not in namespace %s", e->ns); break;
	case STEP_REPLICAS: replicas_step(e); break;
	}
}

/* --- signals ------------------------------------------------------------------------ */

static void
on_signal(uv_signal_t *h, int signum)
{
	struct engine *e = h->data;
	const char *name = signum == SIGINT ? "SIGINT" : "SIGTERM";

	if (e->interrupted || e->finished) {
		proc_kill_all(SIGKILL);
		report_clear();
		fprintf(stderr, "error: %s again: exiting at once\n", name);
		_exit(128 + signum);
	}
	e->interrupted = signum;
	report_error("interrupted by %s: stopping the running oc commands", name);
	stop(e, 128 + signum);
}

/* after confirmation: from now on a signal stops the run cleanly */
void
signals_start(struct engine *e)
{
	uv_signal_start(&e->sigint, on_signal, SIGINT);
	uv_signal_start(&e->sigterm, on_signal, SIGTERM);
	uv_unref((uv_handle_t *)&e->sigint);
	uv_unref((uv_handle_t *)&e->sigterm);
}

/* --- confirmation -------------------------------------------------------------------- */

int
confirm(struct engine *e, const char *what)
{
	char line[64];

	if (e->o->yes)
		return 1;
	fprintf(stderr, "%s in namespace %s? [y/N] ", what, e->ns);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	return line[0] == 'y' || line[0] == 'Y';
}

static void
begin(struct engine *e)
{
	struct args *a;

	if (e->o->command == CMD_PLAN && e->o->database != DB_AUTO) {
		/* everything is known: no cluster needed; every hop from --from to --to */
		const struct hop *h;
		int n = 0;

		for (h = procedure_hop_from(e->from); h; h = strcmp(h->to, e->o->to) ? procedure_hop_from(h->to) : NULL) {
			plan_build(&e->plan, h->from, h->to, e->o->database, e->o->only, e->o->skip, NULL, NULL);
			if (n++ > 0)
				plan_drop_backup(&e->plan);
			if (e->o->parallel)
				plan_parallel(&e->plan);
			report_plan(&e->plan, e->o->oc, e->ns, 0);
		}
		if (report_json())
			summary(e, "plan", 0);
		finish(e, 0);
		return;
	}
	a = batch_add(&e->main, READ_TEXT);
	args_init(a, e->o->oc);
	args_add(a, "whoami");
	if (e->ns) {
		/* the namespace is known: who we are is read together with the rest */
		preflight_reads(e);
		return;
	}
	a = batch_add(&e->main, READ_TEXT);
	args_init(a, e->o->oc);
	args_add(a, "project");
	args_add(a, "-q");
	batch_start(&e->main, preflight_identity);
}

static void
on_tick(uv_timer_t *t)
{
	(void)t;
	report_tick();
}

int
engine_run(const struct options *o)
{
	struct engine *e = xmalloc(sizeof(*e));
	int status, i, k;

	memset(e, 0, sizeof(*e));
	e->o = o;
	/* without --from: the hop that ends at --to until the preflight reads what runs */
	e->from = o->from ? o->from : procedure_hop_to(o->to)->from;
	e->to = procedure_hop_from(e->from)->to;
	e->nhops = 1;
	e->ns = o->ns;
	e->preflight = 1;
	e->t0 = now_ms();
	e->rnd = (unsigned)(e->t0 ^ ((uint64_t)getpid() << 16)) | 1u;
	plan_build(&e->plan, e->from, e->to, o->database == DB_ORACLE ? DB_ORACLE : DB_OTHER, o->only, o->skip,
		   NULL, NULL);
	if ((o->command == CMD_RUN || o->command == CMD_SCALE_DOWN) && !o->yes && !isatty(STDIN_FILENO)) {
		report_error("refusing to change the cluster without confirmation: standard input is not a "
			     "terminal; pass --yes");
		free(e);
		return 2;
	}
	uv_loop_init(&e->loop);
	uv_timer_init(&e->loop, &e->timer);
	uv_timer_init(&e->loop, &e->deadline);
	uv_signal_init(&e->loop, &e->sigint);
	uv_signal_init(&e->loop, &e->sigterm);
	e->timer.data = e->deadline.data = e->sigint.data = e->sigterm.data = e;
	batch_init(e, &e->main, NULL, MAXSLOTS);
	for (i = 0; i < MAXW; i++) {
		struct dcwait *w = &e->w[i];

		w->e = e;
		w->lane = -1;
		batch_init(e, &w->rd, w, DCSLOTS);
		batch_init(e, &w->b, w, DCSLOTS);
		batch_init(e, &w->pre, w, DCSLOTS);
		w->b.fail = dcwait_list_failed;
		for (k = 0; k < NKINDS; k++)
			objset_init(&w->sets[k]);
		uv_timer_init(&e->loop, &w->restart[0]);
		uv_timer_init(&e->loop, &w->quiet);
		uv_timer_init(&e->loop, &w->gone);
		uv_timer_init(&e->loop, &w->later);
		uv_timer_init(&e->loop, &w->deadline);
		w->restart[0].data = w->quiet.data = w->gone.data = w->later.data = w->deadline.data = w;
		w->gone_ms = GONE_BASE_MS;
	}

	uv_timer_init(&e->loop, &e->ticker);
	uv_timer_start(&e->ticker, on_tick, 1000, 1000);
	uv_unref((uv_handle_t *)&e->ticker);

	begin(e);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	if (e->summary_command) {
		struct run_totals t = { e->ndone, e->nskipped, e->nabsent, e->done_ids, e->skipped_ids, e->absent_ids };

		report_end(e->summary_command, e->summary_status, e->summary_ms, &t, proc_started());
	}

	uv_close((uv_handle_t *)&e->timer, NULL);
	uv_close((uv_handle_t *)&e->ticker, NULL);
	uv_close((uv_handle_t *)&e->deadline, NULL);
	uv_close((uv_handle_t *)&e->sigint, NULL);
	uv_close((uv_handle_t *)&e->sigterm, NULL);
	batch_close(&e->main);
	for (i = 0; i < MAXW; i++) {
		batch_close(&e->w[i].rd);
		batch_close(&e->w[i].b);
		batch_close(&e->w[i].pre);
		uv_close((uv_handle_t *)&e->w[i].restart[0], NULL);
		uv_close((uv_handle_t *)&e->w[i].quiet, NULL);
		uv_close((uv_handle_t *)&e->w[i].gone, NULL);
		uv_close((uv_handle_t *)&e->w[i].later, NULL);
		uv_close((uv_handle_t *)&e->w[i].deadline, NULL);
	}
	uv_run(&e->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&e->loop) != 0)
		fprintf(stderr, "3scale-upgrade: internal error: handles left open at exit\n");
	batch_free(&e->main);
	for (i = 0; i < MAXW; i++) {
		pre_clear(&e->w[i]);
		batch_free(&e->w[i].pre);
		batch_free(&e->w[i].rd);
		batch_free(&e->w[i].b);
		for (k = 0; k < NKINDS; k++)
			objset_free(&e->w[i].sets[k]);
	}
	for (i = 0; i < PLAN_MAX_SECTIONS; i++)
		json_decref(e->secs[i].is);
	for (i = 0; i < PLAN_MAX_DCS; i++)
		json_decref(e->dcs[i]);
	json_decref(e->cm);
	json_decref(e->secret);
	status = e->status;
	free(e);
	return status;
}
