/* engine.c - the step engine: preflight, then the plan's steps, on one libuv loop */
#include "engine.h"
#include "assess.h"
#include "objset.h"
#include "ocerror.h"
#include "proc.h"
#include "report.h"
#include "util.h"
#include "watch.h"

#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define POLL_MS 500                 /* between two reads of a polled wait (scale-down, replicas) */
#define MAXSLOTS 12
#define MAXQUEUE 8
#define READ_RETRY_BASE_MS 250      /* first delay before a failed read runs again */
#define READ_RETRY_CAP_MS 8000      /* the longest delay between two tries */
#define READ_RETRY_BUDGET_MS 60000  /* a read is not tried again after this since its first try */
#define CHANGE_ATTEMPTS 4           /* tries of one step's changes, with a read back between */
#define RELIST_MIN_MS 2000          /* a wait that heard nothing for this long reads again */
#define RELIST_MAX_MS 16000         /* ... doubling up to this */
#define WATCH_RESTART_CAP_MS 8000   /* the longest delay before a failed watch starts again */
#define KILL_GRACE_MS 3000          /* after SIGTERM, the time an oc child has before SIGKILL */
#define PLAIN_RESTART_MIN_MS 200    /* a plain watch that ended sooner twice in a row backs off */
#define GONE_FIRST_MS 50            /* plain watches: a terminating pod's news is confirmed by a list this soon */
#define GONE_BASE_MS 250            /* ... then again after this while it is still there, */
#define GONE_CAP_MS 1000            /* ... doubling up to this */

struct engine;
struct batch;
typedef void (*cont_fn)(struct engine *);
typedef void (*batch_fn)(struct batch *);

/* how a read's output is taken */
enum { READ_TEXT, READ_JSON, READ_YESNO /* oc auth can-i: "no" with exit 1 is an answer */ };

/* one oc read of a batch that runs concurrently; transient failures run it again */
struct slot {
	struct batch *b;
	struct args cmd;
	int parse;          /* READ_JSON: stdout into doc; READ_TEXT, READ_YESNO: first line into text */
	json_t *doc;
	char text[256];     /* else: the first line of stdout */
	int attempt;        /* 1 for the first try */
	uint64_t first;     /* when the first try started */
	uv_timer_t retry;   /* the delay before the next try */
};

/* reads that run together; next(b) when all succeeded, else fail(b) (default: stop) */
struct batch {
	struct engine *e;
	void *ctx;
	struct slot slots[MAXSLOTS];
	int nslots, pending, failed;
	batch_fn next, fail;
};

/* the kinds of object a rollout wait follows */
enum { K_DC, K_RC, K_POD, NKINDS };

/* the wait for one dc's rollout: watches of the dc, its RCs and its pods */
struct dcwait {
	struct engine *e;
	int step, dc;             /* the plan step and the system dc */
	int active;               /* waiting */
	int done;                 /* its step ended */
	long baseline;            /* latestVersion before the trigger change */
	int expect_new;           /* a new rollout is expected */
	int retried;              /* --retry-failed used */
	uint64_t tstep;           /* when its step started */
	struct batch b;           /* decision read, confirming list, re-lists */
	struct objset sets[NKINDS];
	uint64_t floors[NKINDS];  /* each set's maxrv when the running list started */
	int listing;              /* a list is running */
	unsigned gen, list_gen;   /* the wait's number, and that of the wait the running list is for */
	struct watch *watches[NKINDS];
	int wfails[NKINDS];       /* consecutive watches that ended badly */
	uv_timer_t restart[NKINDS];
	uv_timer_t quiet;         /* re-list when nothing was heard for quiet_ms */
	uint64_t quiet_ms;
	uv_timer_t gone;          /* plain watches: list to learn whether terminating pods are gone */
	uint64_t gone_ms;
	int relist;               /* list again when the running list ends */
	struct rollout_view rv;   /* the last assessment */
};

struct engine {
	uv_loop_t loop;
	const struct options *o;
	struct plan plan;
	const char *ns;
	char nsbuf[64];
	char user[128];           /* oc whoami */
	int detected;             /* the database was detected, not given */
	int status;               /* exit status */
	int finished;
	int preflight;            /* nothing changed yet: failures exit 3 */
	int interrupted;          /* the signal that interrupted the run */
	int changed;              /* a mutating command was started */
	int plain_watch;          /* oc has no --output-watch-events: learnt from the first watch's answer */
	uint64_t t0, tstep;
	unsigned rnd;             /* jitter */

	uv_timer_t timer;         /* next poll, or the delay before a read back */
	uv_timer_t deadline;      /* --timeout of the current wait */
	uv_signal_t sigint, sigterm;
	cont_fn timer_fn;
	char wait_what[96];       /* the subject of the current wait */
	char waiting_for[256];    /* what it waited for at the last read */

	struct batch main;        /* the reads of the current step */
	struct batch pre;         /* the next dc step's dcs, read while this one waits */
	int pre_state;            /* 0 none, 1 reading, 2 read */
	int pre_step;             /* the step they are for */
	int pre_wanted;           /* that step waits for them */
	json_t *pre_docs[2];

	struct args queue[MAXQUEUE];  /* mutating commands, run one after another */
	int nqueue, qpos;
	cont_fn queue_next;
	int attempts;             /* tries of the current step's changes */
	cont_fn redo;             /* reads the state back and decides again */

	json_t *is, *dcs[NDCS];   /* read by the preflight */
	struct tag_view tag;      /* the tag <to>, as last read */
	int tag_added;            /* this run added the tag */
	int tag_reread;           /* read the image stream again before the tag step */
	char digest[80];          /* the image the new trigger resolves to */

	const char *summary_command;  /* the summary is due (see summary()) */
	int summary_status;
	uint64_t summary_ms;
	uv_timer_t ticker;        /* the status line's clock */

	int step, ndone, nskipped;
	char done_ids[256], skipped_ids[256];  /* "tag, import, ..." for the summary */
	struct dcwait w[2];       /* dc steps: one, or two with --parallel */
	int nw;                   /* dc waits in the current step */
	struct watch *iswatch;    /* the import wait's watch of the image stream */
	unsigned dcset;           /* dcs a multi-dc wait is about */
	cont_fn multi_next;
};

static void stop(struct engine *e, int status);
static void pre_start(struct engine *e, int next);

/* --- messages -------------------------------------------------------------------- */

/* the first non-empty line of s, trimmed, into buf */
static const char *
first_line(const char *s, char *buf, size_t n)
{
	const char *end;

	while (*s && isspace((unsigned char)*s))
		s++;
	end = strchr(s, '\n');
	if (!end)
		end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	snprintf(buf, n, "%.*s", (int)(end - s), s);
	return buf;
}

/* what went wrong with the oc process, in words (without the command) */
static const char *
oc_why(const struct engine *e, const struct proc_result *r, char *buf, size_t n)
{
	char line[1024], d[32];

	if (r->spawn_error)
		snprintf(buf, n, "%s", uv_strerror(r->spawn_error));
	else if (r->timed_out)
		snprintf(buf, n, "did not finish within %s (--call-timeout) and was killed",
			 fmt_duration(e->o->call_timeout_ms, d, sizeof(d)));
	else if (r->term_signal)
		snprintf(buf, n, "killed by signal %d", r->term_signal);
	else
		snprintf(buf, n, "exit %d: %s", (int)r->exit_status,
			 first_line(r->errlen ? r->err : r->out, line, sizeof(line)));
	return buf;
}

/* an oc process's status for reports: exit status, minus the signal that ended it, or
 * 127 when it could not be started (as a shell would say) */
static int64_t
oc_status(const struct proc_result *r)
{
	return r->spawn_error ? 127 : r->term_signal ? -r->term_signal : r->exit_status;
}

/* 1 and a message if the oc command did not succeed */
static int
oc_failed(const struct engine *e, const struct args *cmd, const struct proc_result *r, char *msg, size_t n)
{
	char subj[256], why[1100], line[1024];

	if (oc_error_classify(r->spawn_error, r->exit_status, r->term_signal, r->timed_out, r->err) == OCE_NONE)
		return 0;
	args_subject(cmd, subj, sizeof(subj));
	if (r->spawn_error)
		snprintf(msg, n, "cannot run '%s': %s", cmd->v[0], uv_strerror(r->spawn_error));
	else if (r->timed_out || r->term_signal)
		snprintf(msg, n, "'%s' %s", subj, oc_why(e, r, why, sizeof(why)));
	else
		snprintf(msg, n, "'%s' failed (exit %d): %s", subj, (int)r->exit_status,
			 first_line(r->errlen ? r->err : r->out, line, sizeof(line)));
	return 1;
}

/* a hint for a failed oc command, from what it printed */
static void
hint_for(struct engine *e, const struct proc_result *r)
{
	const char *ns = e->ns ? e->ns : "NAMESPACE";

	switch (oc_error_classify(r->spawn_error, r->exit_status, r->term_signal, r->timed_out, r->err)) {
	case OCE_SPAWN:
		report_hint("install the OpenShift client, or name it with --oc PATH or $OC");
		return;
	case OCE_UNAUTHORIZED:
		report_hint("log in again with 'oc login', then re-run");
		return;
	case OCE_FORBIDDEN:
		report_hint("ask for edit rights on project %s (check with: oc auth can-i patch "
			    "deploymentconfigs -n %s)", e->ns ? e->ns : "?", ns);
		return;
	case OCE_NOTFOUND:
		report_hint("check the namespace: is 3scale installed in '%s'? (-n NAMESPACE)", e->ns ? e->ns : "?");
		return;
	case OCE_TRANSIENT:
		if (strstr(r->err, "Unable to connect") || strstr(r->err, "connection to the server") ||
		    strstr(r->err, "no such host"))
			report_hint("check that the cluster is reachable from here (oc whoami --show-server)");
		else
			report_hint("the cluster kept failing; check its health (oc get clusteroperators), then re-run");
		return;
	default:
		if (strstr(r->err, "no project has been set"))
			report_hint("pass -n NAMESPACE, or choose one with 'oc project NAME'");
	}
}

/* the command that continues this run */
static const char *
resume_command(struct engine *e, char *buf, size_t n)
{
	snprintf(buf, n, "3scale-upgrade run -n %s --from %s --to %s --database %s", e->ns ? e->ns : "NAMESPACE",
		 e->plan.from, e->plan.to, database_name(e->plan.db));
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

static uint32_t
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
static void
summary(struct engine *e, const char *command, int status)
{
	e->summary_command = command;
	e->summary_status = status;
	e->summary_ms = now_ms() - e->t0;
}

static void batch_cancel(struct batch *b);
static void dcwait_end(struct dcwait *w);

static void
on_grace(uv_timer_t *t)
{
	(void)t;
	proc_kill_all(SIGKILL);
}

static void
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
	batch_cancel(&e->pre);
	for (i = 0; i < 2; i++) {
		batch_cancel(&e->w[i].b);
		dcwait_end(&e->w[i]);
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
static void
stop(struct engine *e, int status)
{
	char buf[512];

	if (e->finished)
		return;
	if (!e->preflight && e->o->command == CMD_RUN && status != 0) {
		if (e->step < e->plan.nsteps)
			report_hint("stopped at step %d of %d (%s); steps before it are done", e->step + 1,
				    e->plan.nsteps, e->plan.steps[e->step].title);
		report_hint("to continue, %sre-run: %s", e->interrupted ? "" : "fix the cause and ",
			    resume_command(e, buf, sizeof(buf)));
	}
	if (!e->preflight || report_json())
		summary(e, e->o->command_name, status);
	finish(e, status);
}

/* --- batches of reads ------------------------------------------------------------- */

static void on_slot_retry(uv_timer_t *t);

static void
batch_init(struct engine *e, struct batch *b, void *ctx)
{
	int i;

	memset(b, 0, sizeof(*b));
	b->e = e;
	b->ctx = ctx;
	for (i = 0; i < MAXSLOTS; i++) {
		uv_timer_init(&e->loop, &b->slots[i].retry);
		b->slots[i].retry.data = &b->slots[i];
	}
}

static void
batch_close(struct batch *b)
{
	int i;

	for (i = 0; i < MAXSLOTS; i++)
		uv_close((uv_handle_t *)&b->slots[i].retry, NULL);
}

static void
batch_clear(struct batch *b)
{
	int i;

	for (i = 0; i < b->nslots; i++) {
		json_decref(b->slots[i].doc);
		b->slots[i].doc = NULL;
	}
	b->nslots = 0;
}

/* the run ends: no read of this batch runs again */
static void
batch_cancel(struct batch *b)
{
	int i;

	for (i = 0; i < MAXSLOTS; i++)
		uv_timer_stop(&b->slots[i].retry);
}

/* a read to add to the next batch; the caller fills the command */
static struct args *
batch_add(struct batch *b, int parse)
{
	struct slot *s = &b->slots[b->nslots++];

	s->b = b;
	s->parse = parse;
	s->doc = NULL;
	s->text[0] = '\0';
	return &s->cmd;
}

static void on_read_done(struct proc_result *r, void *arg);

static void
slot_spawn(struct slot *s)
{
	struct engine *e = s->b->e;

	if (s->attempt++ == 0)
		s->first = now_ms();
	proc_spawn(&e->loop, s->cmd.v, e->o->call_timeout_ms, on_read_done, s);
}

static void
on_slot_retry(uv_timer_t *t)
{
	struct slot *s = t->data;

	if (!s->b->e->finished)
		slot_spawn(s);
}

/* run s again after a delay if it failed in a way that may pass and time is left; 1 if so */
static int
slot_retry(struct slot *s, const char *why)
{
	struct engine *e = s->b->e;
	uint64_t delay = backoff_ms(s->attempt + 1, READ_RETRY_BASE_MS, READ_RETRY_CAP_MS, jitter(e));

	if (now_ms() - s->first + delay > READ_RETRY_BUDGET_MS)
		return 0;
	report_retry(&s->cmd, why, s->attempt + 1, delay);
	uv_timer_start(&s->retry, on_slot_retry, delay, 0);
	return 1;
}

static void
batch_failed(struct batch *b)
{
	if (b->fail)
		b->fail(b);
	else
		stop(b->e, b->e->preflight ? 3 : 1);
}

static void
on_read_done(struct proc_result *r, void *arg)
{
	struct slot *s = arg;
	struct batch *b = s->b;
	struct engine *e = b->e;
	char msg[1536], subj[256], why[1200];
	enum oc_error k = oc_error_classify(r->spawn_error, r->exit_status, r->term_signal, r->timed_out, r->err);

	report_command_end(&s->cmd, 0, oc_status(r), r->timed_out, r->elapsed_ms);
	if (e->finished || b->failed) {
		/* the batch already failed: the last read to end reports it */
		if (--b->pending == 0 && !e->finished)
			batch_failed(b);
		return;
	}
	if (s->parse == READ_YESNO && r->exit_status == 1 && strncmp(r->out, "no", 2) == 0) {
		strlcopy(s->text, "no", sizeof(s->text));
	} else if (k != OCE_NONE) {
		if (oc_error_retryable(k) && slot_retry(s, oc_why(e, r, why, sizeof(why))))
			return;
		oc_failed(e, &s->cmd, r, msg, sizeof(msg));
		b->failed = 1;
		report_error("%s", msg);
		hint_for(e, r);
	} else if (s->parse == READ_JSON) {
		json_error_t je;

		s->doc = json_loadb(r->out, r->outlen, 0, &je);
		if (!s->doc || !json_is_object(s->doc)) {
			if (s->doc)
				snprintf(why, sizeof(why), "printed JSON that is not an object");
			else
				snprintf(why, sizeof(why), "printed output that is not valid JSON: %s (line %d, column %d)",
					 je.text, je.line, je.column);
			json_decref(s->doc);
			s->doc = NULL;
			/* a cut or mangled answer (a proxy, a dropped connection) may not happen twice */
			if (slot_retry(s, why))
				return;
			b->failed = 1;
			report_error("'%s' %s", args_subject(&s->cmd, subj, sizeof(subj)), why);
		}
	} else {
		first_line(r->out, s->text, sizeof(s->text));
	}
	if (--b->pending == 0 && !e->finished) {
		if (!b->failed)
			b->next(b);
		else
			batch_failed(b);
	}
}

/* run the batch's reads concurrently; next(b) when all succeeded */
static void
batch_start(struct batch *b, batch_fn next)
{
	int i;

	b->next = next;
	b->failed = 0;
	b->pending = b->nslots;
	if (b->nslots == 0) {
		next(b);
		return;
	}
	for (i = 0; i < b->nslots; i++) {
		b->slots[i].attempt = 0;
		slot_spawn(&b->slots[i]);
	}
}

/* take the parsed document of slot i out of the batch */
static json_t *
batch_take(struct batch *b, int i)
{
	json_t *doc = b->slots[i].doc;

	b->slots[i].doc = NULL;
	return doc;
}

/* add a read of system dc number dc to the batch */
static void
batch_add_dc(struct batch *b, int dc)
{
	char what[96];

	snprintf(what, sizeof(what), "dc/%s", system_dcs[dc].name);
	cmd_get(batch_add(b, READ_JSON), b->e->o->oc, b->e->ns, what, NULL);
}

/* add reads of the three system dcs (slots k..k+2 in order) */
static void
batch_add_dcs(struct batch *b)
{
	int i;

	for (i = 0; i < NDCS; i++)
		batch_add_dc(b, i);
}

/* the label selectors of a dc's RCs and pods */
static const char *
rc_selector(int dc, char *buf, size_t n)
{
	snprintf(buf, n, "openshift.io/deployment-config.name=%s", system_dcs[dc].name);
	return buf;
}

static const char *
pod_selector(int dc, char *buf, size_t n)
{
	snprintf(buf, n, "deploymentconfig=%s", system_dcs[dc].name);
	return buf;
}

/* add reads of the RCs and the pods of system dc number dc to the batch */
static void
batch_add_rcs_pods(struct batch *b, int dc)
{
	char sel[128];

	cmd_get(batch_add(b, READ_JSON), b->e->o->oc, b->e->ns, "rc", rc_selector(dc, sel, sizeof(sel)));
	cmd_get(batch_add(b, READ_JSON), b->e->o->oc, b->e->ns, "pods", pod_selector(dc, sel, sizeof(sel)));
}

/* add reads of dc, its RCs and its pods to the batch (slots 3k, 3k+1, 3k+2) */
static void
batch_add_rollout(struct batch *b, int dc)
{
	batch_add_dc(b, dc);
	batch_add_rcs_pods(b, dc);
}

/* --- mutating commands, one after another ------------------------------------------------ */

static void queue_step(struct engine *e);
static void schedule(struct engine *e, uint64_t ms, cont_fn fn);

static void
on_queued_done(struct proc_result *r, void *arg)
{
	struct engine *e = arg;
	struct args *cmd = &e->queue[e->qpos];
	char msg[1536], d[32];
	enum oc_error k = oc_error_classify(r->spawn_error, r->exit_status, r->term_signal, r->timed_out, r->err);

	report_command_end(cmd, 1, oc_status(r), r->timed_out, r->elapsed_ms);
	if (e->finished)
		return;
	if (k != OCE_NONE) {
		oc_failed(e, cmd, r, msg, sizeof(msg));
		/*
		 * Never repeat a change blindly: it may have taken effect (a timeout after the
		 * server applied it). Read the state back and decide again what is left to do.
		 */
		if ((k == OCE_TRANSIENT || k == OCE_CONFLICT) && e->redo && ++e->attempts < CHANGE_ATTEMPTS) {
			uint64_t delay = backoff_ms(e->attempts + 1, 500, READ_RETRY_CAP_MS, jitter(e));

			report_warning("%s; reading the state back in %s before deciding what is left to do "
				       "(attempt %d of %d)", msg, fmt_duration(delay, d, sizeof(d)), e->attempts + 1,
				       CHANGE_ATTEMPTS);
			e->nqueue = 0;
			schedule(e, delay, e->redo);
			return;
		}
		report_error("%s", msg);
		hint_for(e, r);
		stop(e, 1);
		return;
	}
	e->qpos++;
	queue_step(e);
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
static void
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

static void
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
static void
wait_begin(struct engine *e, const char *what)
{
	strlcopy(e->wait_what, what, sizeof(e->wait_what));
	e->waiting_for[0] = '\0';
	uv_timer_start(&e->deadline, on_deadline, e->o->timeout_ms, 0);
}

/* report what the wait waits for, when it changed */
static void
progress_at(struct engine *e, int index, const char *what)
{
	if (strcmp(what, e->waiting_for) == 0)
		return;
	strlcopy(e->waiting_for, what, sizeof(e->waiting_for));
	report_progress(&e->plan, index, what);
}

static void
progress(struct engine *e, const char *what)
{
	progress_at(e, e->step < e->plan.nsteps ? e->step : e->plan.nsteps - 1, what);
}

/* --- steps ------------------------------------------------------------------------- */

static void step_next(struct engine *e);

/* record the end of step index */
static void
record_step(struct engine *e, int index, enum step_status st, uint64_t ms, const char *detail)
{
	char *ids = st == STEP_DONE ? e->done_ids : e->skipped_ids;
	size_t len = strlen(ids);

	report_step_end(&e->plan, index, st, ms, detail);
	snprintf(ids + len, sizeof(e->done_ids) - len, "%s%s", len ? ", " : "", e->plan.steps[index].id);
	if (st == STEP_DONE)
		e->ndone++;
	else
		e->nskipped++;
}

static void
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

/* the tag step: add tag <to> with the guide's patch unless it is there */
static void tag_reread(struct engine *e);

static void
tag_added(struct engine *e)
{
	e->tag_added = 1;
	step_end(e, STEP_DONE, NULL);
}

static void
tag_decide(struct engine *e)
{
	if (e->tag.in_spec && strcmp(e->tag.from_name, e->plan.image) == 0) {
		if (e->attempts > 0) {
			/* our patch took effect although oc reported a failure */
			e->tag_added = 1;
			step_end(e, STEP_DONE, "read back: tag %s is there, from %s", e->plan.to, e->plan.image);
		} else
			step_end(e, STEP_SKIPPED, "tag %s is already there, from %s", e->plan.to, e->plan.image);
		return;
	}
	e->nqueue = plan_step_commands(&e->plan, &e->plan.steps[e->step], e->o->oc, e->ns, e->queue, MAXQUEUE);
	queue_start(e, tag_added, tag_reread);
}

static void
tag_read(struct batch *b)
{
	struct engine *e = b->e;

	if (tag_assess(b->slots[0].doc, e->plan.to, &e->tag) < 0) {
		report_error("imagestream/" IMAGESTREAM " is not an object");
		stop(e, 1);
		return;
	}
	tag_decide(e);
}

static void
tag_reread(struct engine *e)
{
	batch_clear(&e->main);
	cmd_get(batch_add(&e->main, READ_JSON), e->o->oc, e->ns, "imagestream/" IMAGESTREAM, NULL);
	batch_start(&e->main, tag_read);
}

static void
tag_step(struct engine *e)
{
	if (e->tag_reread)
		tag_reread(e);
	else
		tag_decide(e);
}

/* the import step: watch the image stream until tag <to> has an image for its generation */
static void import_watch_start(struct engine *e);

static void
import_failed(struct engine *e, const struct tag_view *tv)
{
	report_error("the import of " IMAGESTREAM ":%s failed (%s): %s", e->plan.to,
		     tv->reason[0] ? tv->reason : "unknown reason", tv->message);
	report_hint("no trigger was changed. The usual cause is missing registry.redhat.io credentials: check the "
		    "secret threescale-registry-auth in %s, then re-import with: oc import-image " IMAGESTREAM ":%s -n %s",
		    e->ns, e->plan.to, e->ns);
	stop(e, 1);
}

static void
import_stop_watch(struct engine *e)
{
	if (e->iswatch) {
		e->iswatch->data = NULL;
		watch_stop(e->iswatch);
		e->iswatch = NULL;
	}
}

static void
on_is_event(struct watch *wt, const char *type, const json_t *obj)
{
	struct engine *e = wt->data;
	struct tag_view tv;

	if (!e || e->finished || strcmp(type, "DELETED") == 0 || tag_assess(obj, e->plan.to, &tv) < 0)
		return;
	e->attempts = 0;  /* a watch that delivers is healthy */
	switch (tv.state) {
	case TAG_IMPORTED:
		import_stop_watch(e);
		e->tag = tv;
		if (e->plan.db != DB_ORACLE)
			strlcopy(e->digest, tv.digest, sizeof(e->digest));
		step_end(e, STEP_DONE, "imported %s", tv.reference);
		return;
	case TAG_FAILED:
		import_stop_watch(e);
		import_failed(e, &tv);
		return;
	case TAG_ABSENT:
		/* it was added before this wait began: someone removed it since */
		import_stop_watch(e);
		report_error("image stream tag " IMAGESTREAM ":%s is gone from the image stream while waiting for its "
			     "import", e->plan.to);
		report_hint("check who changed imagestream/" IMAGESTREAM " (oc get imagestream/" IMAGESTREAM " -n %s -o "
			    "json); re-running adds the tag again", e->ns);
		stop(e, 1);
		return;
	default:
		progress(e, "waiting for the image import");
	}
}

/* a watch ended early or broke: 0 and the delay before starting it again, or -1 (stopped) */
static int64_t
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

static void
on_is_end(struct watch *wt, struct proc_result *r)
{
	struct engine *e = wt->data;
	int64_t delay;

	report_command_end(&wt->cmd, 0, oc_status(r), r->timed_out, r->elapsed_ms);
	if (e && !e->finished && e->iswatch == wt) {
		e->iswatch = NULL;
		delay = watch_ended(e, wt, r, &e->attempts);
		if (delay >= 0)
			schedule(e, (uint64_t)delay, import_watch_start);
	}
	free(wt);
}

static void
import_watch_start(struct engine *e)
{
	struct watch *wt = xmalloc(sizeof(*wt));

	memset(wt, 0, sizeof(*wt));
	cmd_get(&wt->cmd, e->o->oc, e->ns, "imagestream/" IMAGESTREAM, NULL);
	wt->plain = e->plain_watch;
	watch_args(wt);
	wt->on_event = on_is_event;
	wt->on_end = on_is_end;
	wt->data = e;
	e->iswatch = wt;
	watch_start(&e->loop, wt, e->o->call_timeout_ms);
}

static void
import_step(struct engine *e)
{
	char what[96];

	if (!e->tag_added && e->tag.state == TAG_IMPORTED) {
		step_end(e, STEP_SKIPPED, "imported %s", e->tag.reference);
		return;
	}
	if (!e->tag_added && e->tag.state == TAG_FAILED) {
		import_failed(e, &e->tag);
		return;
	}
	snprintf(what, sizeof(what), "the import of " IMAGESTREAM ":%s", e->plan.to);
	wait_begin(e, what);
	e->attempts = 0;
	/* a watch of one object starts with the object itself: no list call needed */
	import_watch_start(e);
	pre_start(e, e->step + 1);
}

/* --- the dc steps: move the trigger, then wait for the rollout -------------------------- */

static void dc_read_state(struct engine *e);
static void dcwait_start(struct dcwait *w);
static void dcwait_list(struct dcwait *w, int with_dc);

/* stop following w's dc: watches, timers */
static void
dcwait_end(struct dcwait *w)
{
	int k;

	if (!w->e)
		return;
	w->active = 0;
	for (k = 0; k < NKINDS; k++) {
		if (w->watches[k]) {
			w->watches[k]->data = NULL;
			watch_stop(w->watches[k]);
			w->watches[k] = NULL;
		}
	}
	uv_timer_stop(&w->restart[0]);
	uv_timer_stop(&w->quiet);
	uv_timer_stop(&w->gone);
	w->relist = 0;
}

/* w's step ended; when every wait of the step ended, go on */
static void
dcwait_step_end(struct dcwait *w, enum step_status st, const char *fmt, ...)
{
	struct engine *e = w->e;
	char detail[512] = "";
	va_list ap;
	int k;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	dcwait_end(w);
	w->done = 1;
	record_step(e, w->step, st, now_ms() - w->tstep, detail);
	for (k = 0; k < e->nw; k++)
		if (!e->w[k].done)
			return;
	uv_timer_stop(&e->deadline);
	e->step += e->nw;
	step_next(e);
}

/* a failed rollout: 1 if a retry was queued (--retry-failed, earlier run), else stopped */
static int
rollout_failed(struct dcwait *w, const struct rollout_view *rv, int earlier)
{
	struct engine *e = w->e;
	const char *name = system_dcs[w->dc].name;
	int paused = strcmp(rv->reason, "DeploymentConfigPaused") == 0;

	if (earlier && e->o->retry_failed && !w->retried && !paused) {
		w->retried = 1;
		w->baseline = rv->latest;
		w->expect_new = 0;
		cmd_rollout_retry(&e->queue[e->nqueue++], e->o->oc, e->ns, name);
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
	report_hint("the trigger has already fired, so nothing starts a new rollout by itself: once the cause is "
		    "fixed, run 'oc rollout retry dc/%s -n %s' (or re-run with --retry-failed)", name, e->ns);
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
	if (rv.state == ROLLOUT_DONE && w->expect_new &&
	    !dc_runs_digest(objset_single(&w->sets[K_DC]), system_dcs[w->dc].containers, e->digest)) {
		/* a rollout newer than we saw is done, but not of the new image (someone else's) */
		rv.state = ROLLOUT_PROGRESSING;
		snprintf(rv.waiting, sizeof(rv.waiting), "waiting for the image trigger to put the new image in the "
			 "pod template");
	}
	w->rv = rv;
	switch (rv.state) {
	case ROLLOUT_DONE:
		if (w->expect_new)
			dcwait_step_end(w, STEP_DONE, "rollout #%ld complete, %ld of %ld pods ready, old pods gone",
					rv.latest, rv.ready_new, rv.desired);
		else
			dcwait_step_end(w, STEP_DONE, "already runs the new image: no new rollout needed; rollout #%ld "
					"complete, %ld of %ld pods ready, old pods gone", rv.latest, rv.ready_new,
					rv.desired);
		return;
	case ROLLOUT_FAILED:
		dcwait_end(w);
		rollout_failed(w, &rv, 0);
		return;
	default:
		if (e->nw > 1)
			snprintf(what, sizeof(what), "dc/%s: %s", system_dcs[w->dc].name, rv.waiting);
		else
			snprintf(what, sizeof(what), "%s", rv.waiting);
		progress_at(e, w->step, what);
		rp.dc = system_dcs[w->dc].name;
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
		if (!w->watches[k]) {
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
		snprintf(what, sizeof(what), "dc/%s", system_dcs[w->dc].name);
		cmd_get(&wt->cmd, e->o->oc, e->ns, what, NULL);
		break;
	case K_RC:
		cmd_get(&wt->cmd, e->o->oc, e->ns, "rc", rc_selector(w->dc, sel, sizeof(sel)));
		break;
	default:
		cmd_get(&wt->cmd, e->o->oc, e->ns, "pods", pod_selector(w->dc, sel, sizeof(sel)));
	}
	wt->plain = e->plain_watch;
	watch_args(wt);
	wt->on_event = on_dc_event;
	wt->on_end = on_dc_watch_end;
	wt->data = w;
	w->watches[k] = wt;
	watch_start(&e->loop, wt, e->o->call_timeout_ms);
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
	if (changed)
		dcwait_assess(w);
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

static void
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
	for (k = 0; k < NKINDS; k++)
		dcwait_watch(w, k);
	dcwait_list(w, 0);
	quiet_rearm(w);
}

static void
dc_waits_start(struct engine *e)
{
	char what[96];
	int k;

	if (e->nw > 1)
		snprintf(what, sizeof(what), "the rollouts of dc/%s and dc/%s", system_dcs[e->w[0].dc].name,
			 system_dcs[e->w[1].dc].name);
	else
		snprintf(what, sizeof(what), "the rollout of dc/%s", system_dcs[e->w[0].dc].name);
	wait_begin(e, what);
	for (k = 0; k < e->nw; k++)
		if (!e->w[k].done)
			dcwait_start(&e->w[k]);
	pre_start(e, e->step + e->nw);
}

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
		trigger_assess(dc, e->plan.old_tag, e->plan.new_tag, system_dcs[i].containers, &tv);
		match = dc_runs_digest(dc, system_dcs[i].containers, e->digest);
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
		snprintf(detail, sizeof(detail), "%strigger on " IMAGESTREAM ":%s, runs %s, rollout #%ld complete",
			 e->attempts > 0 ? "read back: " : "", e->plan.new_tag, e->digest, w->rv.latest);
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
		const struct dc_spec *spec = &system_dcs[e->w[k].dc];

		trigger_assess(docs[k], e->plan.old_tag, e->plan.new_tag, spec->containers, &tv);
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

		trigger_assess(dc, e->plan.old_tag, e->plan.new_tag, system_dcs[w->dc].containers, &tv);
		w->baseline = (long)json_integer_value(json_object_get(json_object_get(dc, "status"), "latestVersion"));
		w->expect_new = !dc_runs_digest(dc, system_dcs[w->dc].containers, e->digest);
		queue_trigger_changes(e, w->dc, &tv);
	}
	queue_start(e, dc_waits_start, dc_read_state);
}

static void
dc_decide_read(struct batch *b)
{
	json_t *docs[2] = { NULL, NULL };
	int k;

	for (k = 0; k < b->nslots && k < 2; k++)
		docs[k] = b->slots[k].doc;
	dc_decide_quick(b->e, docs);
}

/* the dcs a dc step starting at index needs: 1, or 2 with --parallel */
static int
dc_step_width(const struct engine *e, int index)
{
	const struct step *s = &e->plan.steps[index];

	if (e->o->parallel && strcmp(system_dcs[s->dc].name, "system-sidekiq") == 0 && index + 1 < e->plan.nsteps &&
	    e->plan.steps[index + 1].kind == STEP_DC)
		return 2;
	return 1;
}

static void
pre_clear(struct engine *e)
{
	json_decref(e->pre_docs[0]);
	json_decref(e->pre_docs[1]);
	e->pre_docs[0] = e->pre_docs[1] = NULL;
	e->pre_state = 0;
	e->pre_wanted = 0;
}

static void
pre_read(struct batch *b)
{
	struct engine *e = b->e;
	int k;

	for (k = 0; k < b->nslots && k < 2; k++)
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
static void
pre_start(struct engine *e, int next)
{
	int k, n;

	if (e->pre_state || next >= e->plan.nsteps || e->plan.steps[next].kind != STEP_DC)
		return;
	n = dc_step_width(e, next);
	e->pre_state = 1;
	e->pre_step = next;
	batch_clear(&e->pre);
	for (k = 0; k < n; k++)
		batch_add_dc(&e->pre, e->plan.steps[next + k].dc);
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

static void
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
		w->tstep = now_ms();
		if (k > 0)
			report_step_start(&e->plan, w->step);
	}
	e->attempts = 0;
	dc_read_state(e);
}

/* waits over several dcs (replicas restored, scale-down): all done, then multi_next */
static void multi_poll(struct engine *e);

static void
multi_read(struct batch *b)
{
	struct engine *e = b->e;
	int i, k = 0;

	for (i = 0; i < NDCS; i++) {
		struct rollout_view rv;
		char what[300];

		if (!(e->dcset & (1u << i)))
			continue;
		rollout_assess(b->slots[3 * k].doc, b->slots[3 * k + 1].doc, b->slots[3 * k + 2].doc, 0, 0, &rv);
		k++;
		if (rv.state == ROLLOUT_DONE)
			continue;
		if (rv.state == ROLLOUT_FAILED) {
			report_error("dc/%s: %s: %s", system_dcs[i].name, rv.reason, rv.message);
			stop(e, 1);
			return;
		}
		snprintf(what, sizeof(what), "dc/%s: %s", system_dcs[i].name, rv.waiting);
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
	for (i = 0; i < NDCS; i++)
		if (e->dcset & (1u << i))
			batch_add_rollout(&e->main, i);
	batch_start(&e->main, multi_read);
}

static void
multi_wait(struct engine *e)
{
	wait_begin(e, "the scaled system dcs");
	multi_poll(e);
}

/* the replicas step: scale back what scale-down recorded */
static void replicas_step(struct engine *e);

static void
replicas_done(struct engine *e)
{
	step_end(e, STEP_DONE, "replicas restored and ready");
}

static void
replicas_read(struct batch *b)
{
	struct engine *e = b->e;
	int i;

	e->nqueue = 0;
	e->dcset = 0;
	for (i = 0; i < NDCS; i++) {
		const json_t *dc = b->slots[i].doc;
		long rec = dc_recorded_replicas(dc);
		const char *name = system_dcs[i].name;

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
replicas_step(struct engine *e)
{
	batch_clear(&e->main);
	batch_add_dcs(&e->main);
	batch_start(&e->main, replicas_read);
}

static void
step_next(struct engine *e)
{
	if (e->finished)
		return;
	if (e->step >= e->plan.nsteps) {
		summary(e, "run", 0);
		finish(e, 0);
		return;
	}
	e->tstep = now_ms();
	e->waiting_for[0] = '\0';
	e->attempts = 0;
	e->nw = 0;
	report_step_start(&e->plan, e->step);
	switch (e->plan.steps[e->step].kind) {
	case STEP_TAG: tag_step(e); break;
	case STEP_IMPORT: import_step(e); break;
	case STEP_DC: dc_step(e); break;
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
static void
signals_start(struct engine *e)
{
	uv_signal_start(&e->sigint, on_signal, SIGINT);
	uv_signal_start(&e->sigterm, on_signal, SIGTERM);
	uv_unref((uv_handle_t *)&e->sigint);
	uv_unref((uv_handle_t *)&e->sigterm);
}

/* --- confirmation -------------------------------------------------------------------- */

static int
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
	int i;

	e->nqueue = 0;
	e->dcset = 0;
	for (i = 0; i < NDCS; i++) {
		long r = dc_replicas(e->dcs[i]);
		long rec = dc_recorded_replicas(e->dcs[i]);
		const char *name = system_dcs[i].name;

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
	int i;

	for (i = 0; i < NDCS; i++) {
		json_decref(e->dcs[i]);
		e->dcs[i] = batch_take(b, i);
	}
	scale_down_queue(e, 0);
	queue_start(e, multi_wait, scale_down_reread);
}

static void
scale_down_reread(struct engine *e)
{
	batch_clear(&e->main);
	batch_add_dcs(&e->main);
	batch_start(&e->main, scale_down_reread_done);
}

static void
scale_down(struct engine *e)
{
	report_begin("scale-down", e->ns, &e->plan, e->detected);
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

/* --- status -------------------------------------------------------------------------- */

static void
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

/* --- preflight ------------------------------------------------------------------------- */

static void
start_run(struct engine *e)
{
	if (!e->o->yes) {
		report_plan(&e->plan, e->o->oc, e->ns, e->detected);
		if (!confirm(e, "apply these changes")) {
			report_error("not confirmed: nothing was changed");
			stop(e, 3);
			return;
		}
		/* the image stream may have changed while the prompt waited */
		e->tag_reread = 1;
	}
	e->preflight = 0;
	signals_start(e);
	report_begin("run", e->ns, &e->plan, e->detected);
	e->step = 0;
	step_next(e);
}

/* for `plan`: leave out what the cluster state makes needless, as `run` would */
static void
plan_mark_done(struct engine *e)
{
	int i;

	for (i = 0; i < e->plan.nsteps; i++) {
		struct step *s = &e->plan.steps[i];
		struct trigger_view tv;

		switch (s->kind) {
		case STEP_TAG:
			if (e->tag.in_spec) {
				s->skip = SKIP_PATCH;
				strlcopy(s->note, "already there", sizeof(s->note));
			}
			break;
		case STEP_IMPORT:
			if (e->tag.state == TAG_IMPORTED)
				strlcopy(s->note, "already imported", sizeof(s->note));
			break;
		case STEP_DC:
			trigger_assess(e->dcs[s->dc], e->plan.old_tag, e->plan.new_tag, system_dcs[s->dc].containers, &tv);
			s->skip = (tv.has_old ? 0 : SKIP_REMOVE) | (tv.has_new && tv.new_containers_ok ? SKIP_ADD : 0);
			if (s->skip == (SKIP_REMOVE | SKIP_ADD))
				strlcopy(s->note, "trigger already moved: run only checks the rollout", sizeof(s->note));
			else if (s->skip)
				strlcopy(s->note, "partly done", sizeof(s->note));
			break;
		default:
			break;
		}
	}
}

static void
preflight_read(struct batch *b)
{
	struct engine *e = b->e;
	char why[512], missing[128];
	int i, db, first = 0;

	if (b->slots[0].parse == READ_TEXT) {
		/* -n given: whoami ran in this batch (slot 0) */
		strlcopy(e->user, b->slots[0].text, sizeof(e->user));
		first = 1;
	}
	e->is = batch_take(b, first);
	for (i = 0; i < NDCS; i++)
		e->dcs[i] = batch_take(b, first + i + 1);
	for (i = first + 4; i < b->nslots; i++) {
		if (strcmp(b->slots[i].text, "yes") != 0) {
			report_error("user '%s' may not %s %s in namespace %s (oc auth can-i says %s)", e->user,
				     b->slots[i].cmd.v[3], b->slots[i].cmd.v[4], e->ns, b->slots[i].text);
			report_hint("ask for edit rights on project %s", e->ns);
			stop(e, 3);
			return;
		}
	}
	for (i = 0; i < NDCS; i++) {
		if (dc_missing_container(e->dcs[i], system_dcs[i].containers, missing, sizeof(missing))) {
			report_error("dc/%s has no container or init container '%s' (the guide expects %s): "
				     "is this a template-based 3scale 2.x?", system_dcs[i].name, missing,
				     system_dcs[i].containers);
			stop(e, 3);
			return;
		}
	}
	db = detect_database((const json_t *const *)e->dcs, NDCS, e->o->from, e->o->to, why, sizeof(why));
	if (db < 0) {
		report_error("%s", why);
		stop(e, 3);
		return;
	}
	if (e->o->database != DB_AUTO && db != DB_AUTO && db != (int)e->o->database) {
		report_error("--database %s contradicts the image triggers, which are for the %s database",
			     database_name(e->o->database), db == DB_ORACLE ? "Oracle" : "non-Oracle");
		stop(e, 3);
		return;
	}
	if (e->o->database != DB_AUTO)
		db = e->o->database;
	else if (db == DB_AUTO) {
		report_error("cannot tell the database: no system dc has an image trigger on " IMAGESTREAM
			     ":%s or :%s (with or without -oracle); pass --database oracle or --database other",
			     e->o->from, e->o->to);
		stop(e, 3);
		return;
	} else
		e->detected = 1;
	plan_build(&e->plan, e->o->from, e->o->to, (enum database)db);

	if (tag_assess(e->is, e->plan.to, &e->tag) < 0) {
		report_error("imagestream/" IMAGESTREAM " is not an object");
		stop(e, 3);
		return;
	}
	if (e->tag.in_spec && strcmp(e->tag.from_name, e->plan.image) != 0) {
		report_error("image stream tag " IMAGESTREAM ":%s already exists from '%s', not from '%s': refusing "
			     "to replace it", e->plan.to, e->tag.from_name, e->plan.image);
		stop(e, 3);
		return;
	}
	if (db == DB_ORACLE) {
		struct tag_view ot;

		tag_assess(e->is, e->plan.new_tag, &ot);
		if (ot.state != TAG_IMPORTED) {
			report_error("image stream tag " IMAGESTREAM ":%s has no image: build it first", e->plan.new_tag);
			report_hint("follow \"Upgrading 3scale 2.9 to 2.10 with Oracle 19c\": BuildConfig "
				    "3scale-amp-system-oracle (amp/system-oracle/build.yml), a binary build with the "
				    "Oracle Instant Client zips, output " IMAGESTREAM ":%s", e->plan.new_tag);
			stop(e, 3);
			return;
		}
		strlcopy(e->digest, ot.digest, sizeof(e->digest));
	} else if (e->tag.state == TAG_IMPORTED) {
		strlcopy(e->digest, e->tag.digest, sizeof(e->digest));
	}

	switch (e->o->command) {
	case CMD_PLAN:
		plan_mark_done(e);
		report_plan(&e->plan, e->o->oc, e->ns, e->detected);
		if (report_json())
			summary(e, "plan", 0);
		finish(e, 0);
		return;
	case CMD_STATUS:
		batch_clear(b);
		for (i = 0; i < NDCS; i++)
			batch_add_rcs_pods(b, i);
		report_begin("status", e->ns, &e->plan, e->detected);
		batch_start(b, status_read);
		return;
	case CMD_SCALE_DOWN:
		scale_down(e);
		return;
	default:
		break;
	}
	for (i = 0; i < NDCS; i++) {
		if (json_is_true(json_object_get(json_object_get(e->dcs[i], "spec"), "paused"))) {
			report_error("dc/%s is paused: its rollout would never start", system_dcs[i].name);
			report_hint("resume it with: oc rollout resume dc/%s -n %s", system_dcs[i].name, e->ns);
			stop(e, 3);
			return;
		}
	}
	start_run(e);
}

/* the reads of the preflight: the image stream, the dcs, and the rights to change them */
static void
preflight_reads(struct engine *e)
{
	struct batch *b = &e->main;

	cmd_get(batch_add(b, READ_JSON), e->o->oc, e->ns, "imagestream/" IMAGESTREAM, NULL);
	batch_add_dcs(b);
	/* the commands that change something need these rights */
	if (e->o->command == CMD_RUN || e->o->command == CMD_SCALE_DOWN) {
		cmd_can_i(batch_add(b, READ_YESNO), e->o->oc, e->ns, "patch", "deploymentconfigs");
		cmd_can_i(batch_add(b, READ_YESNO), e->o->oc, e->ns, "patch",
			  e->o->command == CMD_RUN ? "imagestreams" : "deploymentconfigs/scale");
	}
	batch_start(b, preflight_read);
}

static void
preflight_identity(struct batch *b)
{
	struct engine *e = b->e;

	strlcopy(e->user, b->slots[0].text, sizeof(e->user));
	strlcopy(e->nsbuf, b->slots[1].text, sizeof(e->nsbuf));
	if (!is_dns1123_label(e->nsbuf)) {
		report_error("oc's current project '%s' is not a valid namespace", b->slots[1].text);
		stop(e, 3);
		return;
	}
	e->ns = e->nsbuf;
	batch_clear(b);
	preflight_reads(e);
}

static void
begin(struct engine *e)
{
	struct args *a;

	if (e->o->command == CMD_PLAN && e->o->database != DB_AUTO) {
		/* everything is known: no cluster needed */
		plan_build(&e->plan, e->o->from, e->o->to, e->o->database);
		report_plan(&e->plan, e->o->oc, e->ns, 0);
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
	e->ns = o->ns;
	e->preflight = 1;
	e->t0 = now_ms();
	e->rnd = (unsigned)(e->t0 ^ ((uint64_t)getpid() << 16)) | 1u;
	plan_build(&e->plan, o->from, o->to, o->database == DB_ORACLE ? DB_ORACLE : DB_OTHER);
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
	batch_init(e, &e->main, NULL);
	batch_init(e, &e->pre, NULL);
	for (i = 0; i < 2; i++) {
		struct dcwait *w = &e->w[i];

		w->e = e;
		batch_init(e, &w->b, w);
		w->b.fail = dcwait_list_failed;
		for (k = 0; k < NKINDS; k++)
			objset_init(&w->sets[k]);
		uv_timer_init(&e->loop, &w->restart[0]);
		uv_timer_init(&e->loop, &w->quiet);
		uv_timer_init(&e->loop, &w->gone);
		w->restart[0].data = w->quiet.data = w->gone.data = w;
		w->gone_ms = GONE_BASE_MS;
	}

	uv_timer_init(&e->loop, &e->ticker);
	uv_timer_start(&e->ticker, on_tick, 1000, 1000);
	uv_unref((uv_handle_t *)&e->ticker);

	begin(e);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	if (e->summary_command)
		report_end(e->summary_command, e->summary_status, e->summary_ms, e->ndone, e->done_ids, e->nskipped,
			   e->skipped_ids, proc_started());

	uv_close((uv_handle_t *)&e->timer, NULL);
	uv_close((uv_handle_t *)&e->ticker, NULL);
	uv_close((uv_handle_t *)&e->deadline, NULL);
	uv_close((uv_handle_t *)&e->sigint, NULL);
	uv_close((uv_handle_t *)&e->sigterm, NULL);
	batch_close(&e->main);
	batch_close(&e->pre);
	for (i = 0; i < 2; i++) {
		batch_close(&e->w[i].b);
		uv_close((uv_handle_t *)&e->w[i].restart[0], NULL);
		uv_close((uv_handle_t *)&e->w[i].quiet, NULL);
		uv_close((uv_handle_t *)&e->w[i].gone, NULL);
	}
	uv_run(&e->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&e->loop) != 0)
		fprintf(stderr, "3scale-upgrade: internal error: handles left open at exit\n");
	batch_clear(&e->main);
	batch_clear(&e->pre);
	pre_clear(e);
	for (i = 0; i < 2; i++) {
		batch_clear(&e->w[i].b);
		for (k = 0; k < NKINDS; k++)
			objset_free(&e->w[i].sets[k]);
	}
	json_decref(e->is);
	for (i = 0; i < NDCS; i++)
		json_decref(e->dcs[i]);
	status = e->status;
	free(e);
	return status;
}
