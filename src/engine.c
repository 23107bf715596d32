/* engine.c - the step engine: preflight, then the plan's steps, on one libuv loop */
#include "engine.h"
#include "assess.h"
#include "proc.h"
#include "report.h"
#include "util.h"

#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define POLL_MS 500                     /* between two reads of a wait */
#define MAXSLOTS 12
#define MAXQUEUE 8

struct engine;
typedef void (*cont_fn)(struct engine *);

/* how a read's output is taken */
enum { READ_TEXT, READ_JSON, READ_YESNO /* oc auth can-i: "no" with exit 1 is an answer */ };

/* one oc read of a batch that runs concurrently */
struct slot {
	struct engine *e;
	struct args cmd;
	int parse;          /* READ_JSON: stdout into doc; READ_TEXT, READ_YESNO: first line into text */
	json_t *doc;
	char text[256];     /* else: the first line of stdout */
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
	uint64_t t0, tstep;

	uv_timer_t timer;         /* next poll */
	uv_timer_t deadline;      /* --timeout of the current wait */
	uv_signal_t sigint, sigterm;
	cont_fn timer_fn;
	char wait_what[96];       /* the subject of the current wait */
	char waiting_for[256];    /* what it waited for at the last read */

	struct slot slots[MAXSLOTS];  /* the current batch of reads */
	int nslots, pending, batch_failed;
	cont_fn batch_next;

	struct args queue[MAXQUEUE];  /* mutating commands, run one after another */
	int nqueue, qpos;
	cont_fn queue_next;

	json_t *is, *dcs[NDCS];   /* read by the preflight */
	struct tag_view tag;      /* the tag <to>, as last read */
	int tag_added;            /* this run added the tag */
	char digest[80];          /* the image the new trigger resolves to */

	int step, ndone, nskipped;
	char done_ids[256], skipped_ids[256];  /* "tag, import, ..." for the summary */
	long baseline;            /* latestVersion before the trigger change */
	int expect_new;           /* a new rollout is expected */
	int retried;              /* --retry-failed used on this dc */
	unsigned dcset;           /* dcs a multi-dc wait is about */
	cont_fn multi_next;
};

static void stop(struct engine *e, int status);

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

/* 1 and a message if the oc command did not succeed */
static int
oc_failed(const struct engine *e, const struct args *cmd, const struct proc_result *r, char *msg, size_t n)
{
	char subj[256], line[1024], d[32];

	args_subject(cmd, subj, sizeof(subj));
	if (r->spawn_error)
		snprintf(msg, n, "cannot run '%s': %s", cmd->v[0], uv_strerror(r->spawn_error));
	else if (r->timed_out)
		snprintf(msg, n, "'%s' did not finish within %s (--call-timeout) and was killed", subj,
			 fmt_duration(e->o->call_timeout_ms, d, sizeof(d)));
	else if (r->term_signal)
		snprintf(msg, n, "'%s' was killed by signal %d", subj, r->term_signal);
	else if (r->exit_status != 0)
		snprintf(msg, n, "'%s' failed (exit %d): %s", subj, (int)r->exit_status,
			 first_line(r->errlen ? r->err : r->out, line, sizeof(line)));
	else
		return 0;
	return 1;
}

/* a hint for a failed oc command, from what it printed */
static void
hint_for(struct engine *e, const struct proc_result *r)
{
	const char *err = r->err;

	if (r->spawn_error)
		report_hint("install the OpenShift client, or name it with --oc PATH or $OC");
	else if (strstr(err, "must be logged in") || strstr(err, "(Unauthorized)"))
		report_hint("log in again with 'oc login', then re-run");
	else if (strstr(err, "(Forbidden)") || strstr(err, "is forbidden"))
		report_hint("ask for edit rights on project %s (check with: oc auth can-i patch "
			    "deploymentconfigs -n %s)", e->ns ? e->ns : "?", e->ns ? e->ns : "NAMESPACE");
	else if (strstr(err, "(NotFound)") || strstr(err, "not found"))
		report_hint("check the namespace: is 3scale installed in '%s'? (-n NAMESPACE)", e->ns ? e->ns : "?");
	else if (strstr(err, "Unable to connect") || strstr(err, "connection to the server"))
		report_hint("check that the cluster is reachable from here (oc whoami --show-server)");
	else if (strstr(err, "no project has been set"))
		report_hint("pass -n NAMESPACE, or choose one with 'oc project NAME'");
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
	return buf;
}

/* --- the end of a run --------------------------------------------------------------- */

static void
summary(struct engine *e, const char *command, int status)
{
	report_end(command, status, now_ms() - e->t0, e->ndone, e->done_ids, e->nskipped, e->skipped_ids,
		   proc_started());
}

static void
finish(struct engine *e, int status)
{
	if (e->finished)
		return;
	e->finished = 1;
	e->status = status;
	uv_timer_stop(&e->timer);
	uv_timer_stop(&e->deadline);
	/* reads still running belong to a batch that no longer matters */
	proc_kill_all(SIGTERM);
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

static void
batch_clear(struct engine *e)
{
	int i;

	for (i = 0; i < e->nslots; i++) {
		json_decref(e->slots[i].doc);
		e->slots[i].doc = NULL;
	}
	e->nslots = 0;
}

/* a read to add to the next batch; the caller fills the command */
static struct args *
batch_add(struct engine *e, int parse)
{
	struct slot *s = &e->slots[e->nslots++];

	s->e = e;
	s->parse = parse;
	s->doc = NULL;
	s->text[0] = '\0';
	return &s->cmd;
}

static void
on_read_done(struct proc_result *r, void *arg)
{
	struct slot *s = arg;
	struct engine *e = s->e;
	char msg[1536], subj[256];

	e->pending--;
	if (!e->finished && !e->batch_failed) {
		if (s->parse == READ_YESNO && r->exit_status == 1 && strncmp(r->out, "no", 2) == 0) {
			strlcopy(s->text, "no", sizeof(s->text));
		} else if (oc_failed(e, &s->cmd, r, msg, sizeof(msg))) {
			e->batch_failed = 1;
			report_error("%s", msg);
			hint_for(e, r);
		} else if (s->parse == READ_JSON) {
			json_error_t je;

			s->doc = json_loadb(r->out, r->outlen, 0, &je);
			if (!s->doc || !json_is_object(s->doc)) {
				e->batch_failed = 1;
				if (s->doc)
					report_error("'%s' printed JSON that is not an object", args_subject(&s->cmd, subj, sizeof(subj)));
				else
					report_error("'%s' printed output that is not valid JSON: %s (line %d, column %d)",
						     args_subject(&s->cmd, subj, sizeof(subj)), je.text, je.line, je.column);
			}
		} else {
			first_line(r->out, s->text, sizeof(s->text));
		}
	}
	if (e->pending == 0 && !e->finished) {
		if (e->batch_failed)
			stop(e, e->preflight ? 3 : 1);
		else
			e->batch_next(e);
	}
}

/* run the batch's reads concurrently; next(e) when all succeeded */
static void
batch_start(struct engine *e, cont_fn next)
{
	int i;

	e->batch_next = next;
	e->batch_failed = 0;
	e->pending = e->nslots;
	if (e->nslots == 0) {
		next(e);
		return;
	}
	for (i = 0; i < e->nslots; i++)
		proc_spawn(&e->loop, e->slots[i].cmd.v, e->o->call_timeout_ms, on_read_done, &e->slots[i]);
}

/* take the parsed document of slot i out of the batch */
static json_t *
batch_take(struct engine *e, int i)
{
	json_t *doc = e->slots[i].doc;

	e->slots[i].doc = NULL;
	return doc;
}

/* add a read of system dc number dc to the batch */
static void
batch_add_dc(struct engine *e, int dc)
{
	char what[96];

	snprintf(what, sizeof(what), "dc/%s", system_dcs[dc].name);
	cmd_get(batch_add(e, READ_JSON), e->o->oc, e->ns, what, NULL);
}

/* add reads of the RCs and the pods of system dc number dc to the batch */
static void
batch_add_rcs_pods(struct engine *e, int dc)
{
	char selector[128];
	const char *name = system_dcs[dc].name;

	snprintf(selector, sizeof(selector), "openshift.io/deployment-config.name=%s", name);
	cmd_get(batch_add(e, READ_JSON), e->o->oc, e->ns, "rc", selector);
	snprintf(selector, sizeof(selector), "deploymentconfig=%s", name);
	cmd_get(batch_add(e, READ_JSON), e->o->oc, e->ns, "pods", selector);
}

/* add reads of dc, its RCs and its pods to the batch (slots 3k, 3k+1, 3k+2) */
static void
batch_add_rollout(struct engine *e, int dc)
{
	batch_add_dc(e, dc);
	batch_add_rcs_pods(e, dc);
}

/* --- mutating commands, one after another ------------------------------------------------ */

static void queue_step(struct engine *e);

static void
on_queued_done(struct proc_result *r, void *arg)
{
	struct engine *e = arg;
	struct args *cmd = &e->queue[e->qpos];
	char msg[1536];

	report_command_end(cmd, 1, r->term_signal ? -r->term_signal : r->exit_status, r->timed_out, r->elapsed_ms);
	if (e->finished)
		return;
	if (oc_failed(e, cmd, r, msg, sizeof(msg))) {
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

/* run the queued commands in order; next(e) when all succeeded */
static void
queue_start(struct engine *e, cont_fn next)
{
	e->qpos = 0;
	e->queue_next = next;
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
progress(struct engine *e, const char *what)
{
	if (strcmp(what, e->waiting_for) == 0)
		return;
	strlcopy(e->waiting_for, what, sizeof(e->waiting_for));
	report_progress(&e->plan, e->step < e->plan.nsteps ? e->step : e->plan.nsteps - 1, what);
}

/* --- steps ------------------------------------------------------------------------- */

static void step_next(struct engine *e);

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
	report_step_end(&e->plan, e->step, st, now_ms() - e->tstep, detail);
	{
		char *ids = st == STEP_DONE ? e->done_ids : e->skipped_ids;
		size_t len = strlen(ids);

		snprintf(ids + len, sizeof(e->done_ids) - len, "%s%s", len ? ", " : "", e->plan.steps[e->step].id);
		if (st == STEP_DONE)
			e->ndone++;
		else
			e->nskipped++;
	}
	e->step++;
	step_next(e);
}

/* the tag step: add tag <to> with the guide's patch unless it is there */
static void
tag_added(struct engine *e)
{
	e->tag_added = 1;
	step_end(e, STEP_DONE, NULL);
}

static void
tag_step(struct engine *e)
{
	if (e->tag.in_spec && strcmp(e->tag.from_name, e->plan.image) == 0) {
		step_end(e, STEP_SKIPPED, "tag %s is already there, from %s", e->plan.to, e->plan.image);
		return;
	}
	e->nqueue = plan_step_commands(&e->plan, &e->plan.steps[e->step], e->o->oc, e->ns, e->queue, MAXQUEUE);
	queue_start(e, tag_added);
}

/* the import step: wait until tag <to> has an image for its generation */
static void import_poll(struct engine *e);

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
import_read(struct engine *e)
{
	struct tag_view tv;

	tag_assess(e->slots[0].doc, e->plan.to, &tv);
	switch (tv.state) {
	case TAG_IMPORTED:
		e->tag = tv;
		if (e->plan.db != DB_ORACLE)
			strlcopy(e->digest, tv.digest, sizeof(e->digest));
		step_end(e, STEP_DONE, "imported %s", tv.reference);
		return;
	case TAG_FAILED:
		import_failed(e, &tv);
		return;
	default:
		progress(e, "waiting for the image import");
		schedule(e, POLL_MS, import_poll);
	}
}

static void
import_poll(struct engine *e)
{
	batch_clear(e);
	cmd_get(batch_add(e, READ_JSON), e->o->oc, e->ns, "imagestream/" IMAGESTREAM, NULL);
	batch_start(e, import_read);
}

static void
import_step(struct engine *e)
{
	if (!e->tag_added && e->tag.state == TAG_IMPORTED) {
		step_end(e, STEP_SKIPPED, "imported %s", e->tag.reference);
		return;
	}
	if (!e->tag_added && e->tag.state == TAG_FAILED) {
		import_failed(e, &e->tag);
		return;
	}
	{
		char what[96];

		snprintf(what, sizeof(what), "the import of " IMAGESTREAM ":%s", e->plan.to);
		wait_begin(e, what);
	}
	import_poll(e);
}

/* the dc steps: move the trigger, then wait for the rollout */
static void dc_poll(struct engine *e);
static void dc_wait(struct engine *e);

static void
rollout_failed(struct engine *e, const struct rollout_view *rv, int earlier)
{
	const char *name = system_dcs[e->plan.steps[e->step].dc].name;
	int paused = strcmp(rv->reason, "DeploymentConfigPaused") == 0;

	if (earlier && e->o->retry_failed && !e->retried && !paused) {
		e->retried = 1;
		e->baseline = rv->latest;
		e->expect_new = 0;
		cmd_rollout_retry(&e->queue[0], e->o->oc, e->ns, name);
		e->nqueue = 1;
		queue_start(e, dc_wait);
		return;
	}
	if (paused) {
		report_error("dc/%s is paused: %s", name, rv->message);
		report_hint("resume it with: oc rollout resume dc/%s -n %s", name, e->ns);
		stop(e, 1);
		return;
	}
	report_error("rollout #%ld of dc/%s failed%s: replication controller %s, %s: %s", rv->latest, name,
		     earlier ? " (in an earlier run)" : "", rv->rc, rv->reason, rv->message);
	report_hint("read the logs: oc logs pod/%s -n %s", rv->log_pod, e->ns);
	if (rv->hook_pod[0])
		report_hint("the pre hook (database migrations) logs: oc logs pod/%s -n %s", rv->hook_pod, e->ns);
	report_hint("the trigger has already fired, so nothing starts a new rollout by itself: once the cause is "
		    "fixed, run 'oc rollout retry dc/%s -n %s' (or re-run with --retry-failed)", name, e->ns);
	stop(e, 1);
}

static void
dc_read(struct engine *e)
{
	struct rollout_view rv;

	rollout_assess(e->slots[0].doc, e->slots[1].doc, e->slots[2].doc, e->baseline, e->expect_new, &rv);
	switch (rv.state) {
	case ROLLOUT_DONE:
		if (e->expect_new)
			step_end(e, STEP_DONE, "rollout #%ld complete, %ld of %ld pods ready, old pods gone",
				 rv.latest, rv.ready_new, rv.desired);
		else
			step_end(e, STEP_DONE, "already runs the new image: no new rollout needed; rollout #%ld "
				 "complete, %ld of %ld pods ready, old pods gone", rv.latest, rv.ready_new, rv.desired);
		return;
	case ROLLOUT_FAILED:
		rollout_failed(e, &rv, 0);
		return;
	default:
		progress(e, rv.waiting);
		schedule(e, POLL_MS, dc_poll);
	}
}

static void
dc_poll(struct engine *e)
{
	batch_clear(e);
	batch_add_rollout(e, e->plan.steps[e->step].dc);
	batch_start(e, dc_read);
}

static void
dc_wait(struct engine *e)
{
	char what[96];

	snprintf(what, sizeof(what), "the rollout of dc/%s", system_dcs[e->plan.steps[e->step].dc].name);
	wait_begin(e, what);
	dc_poll(e);
}

/* decide what a dc needs, from a fresh read */
static void
dc_decide(struct engine *e)
{
	int i = e->plan.steps[e->step].dc;
	const json_t *dc = e->slots[0].doc;
	struct trigger_view tv;
	struct rollout_view rv;
	int match, need;

	trigger_assess(dc, e->plan.old_tag, e->plan.new_tag, system_dcs[i].containers, &tv);
	match = dc_runs_digest(dc, system_dcs[i].containers, e->digest);
	need = tv.has_old || !tv.has_new || !tv.new_containers_ok;
	rollout_assess(dc, e->slots[1].doc, e->slots[2].doc, 0, 0, &rv);
	e->retried = 0;
	e->baseline = rv.latest;
	e->expect_new = !match;
	if (!need && match && rv.state == ROLLOUT_DONE) {
		step_end(e, STEP_SKIPPED, "trigger on " IMAGESTREAM ":%s, runs %s, rollout #%ld complete",
			 e->plan.new_tag, e->digest, rv.latest);
		return;
	}
	if (!need && match && rv.state == ROLLOUT_FAILED) {
		rollout_failed(e, &rv, 1);
		return;
	}
	e->nqueue = 0;
	if (tv.has_old)
		cmd_trigger(&e->queue[e->nqueue++], &e->plan, e->o->oc, e->ns, i, 1);
	if (!tv.has_new || !tv.new_containers_ok)
		cmd_trigger(&e->queue[e->nqueue++], &e->plan, e->o->oc, e->ns, i, 0);
	queue_start(e, dc_wait);
}

static void
dc_step(struct engine *e)
{
	batch_clear(e);
	batch_add_rollout(e, e->plan.steps[e->step].dc);
	batch_start(e, dc_decide);
}

/* waits over several dcs (replicas restored, scale-down): all done, then multi_next */
static void multi_poll(struct engine *e);

static void
multi_read(struct engine *e)
{
	int i, k = 0;

	for (i = 0; i < NDCS; i++) {
		struct rollout_view rv;
		char what[300];

		if (!(e->dcset & (1u << i)))
			continue;
		rollout_assess(e->slots[3 * k].doc, e->slots[3 * k + 1].doc, e->slots[3 * k + 2].doc, 0, 0, &rv);
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

	batch_clear(e);
	for (i = 0; i < NDCS; i++)
		if (e->dcset & (1u << i))
			batch_add_rollout(e, i);
	batch_start(e, multi_read);
}

static void
multi_wait(struct engine *e)
{
	wait_begin(e, "the scaled system dcs");
	multi_poll(e);
}

/* the replicas step: scale back what scale-down recorded */
static void
replicas_done(struct engine *e)
{
	step_end(e, STEP_DONE, "replicas restored and ready");
}

static void
replicas_read(struct engine *e)
{
	int i;

	e->nqueue = 0;
	e->dcset = 0;
	for (i = 0; i < NDCS; i++) {
		const json_t *dc = e->slots[i].doc;
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
		step_end(e, STEP_SKIPPED, "no replicas recorded by scale-down");
		return;
	}
	e->multi_next = replicas_done;
	queue_start(e, multi_wait);
}

static void
replicas_step(struct engine *e)
{
	int i;

	batch_clear(e);
	for (i = 0; i < NDCS; i++)
		batch_add_dc(e, i);
	batch_start(e, replicas_read);
}

static void
step_next(struct engine *e)
{
	if (e->finished)
		return;
	if (e->step == e->plan.nsteps) {
		summary(e, "run", 0);
		finish(e, 0);
		return;
	}
	e->tstep = now_ms();
	e->waiting_for[0] = '\0';
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

static void
scale_down_done(struct engine *e)
{
	summary(e, "scale-down", 0);
	finish(e, 0);
}

static void
scale_down(struct engine *e)
{
	int i;

	report_begin("scale-down", e->ns, &e->plan, e->detected);
	e->nqueue = 0;
	e->dcset = 0;
	for (i = 0; i < NDCS; i++) {
		long r = dc_replicas(e->dcs[i]);
		const char *name = system_dcs[i].name;

		if (r > 0) {
			cmd_annotate_replicas(&e->queue[e->nqueue++], e->o->oc, e->ns, name, r);
			cmd_scale(&e->queue[e->nqueue++], e->o->oc, e->ns, name, 0);
			report_info("dc/%s: %ld replica%s recorded in %s, scaling to 0", name, r, r == 1 ? "" : "s",
				    REPLICAS_ANNOTATION);
			e->ndone++;
		} else if (dc_recorded_replicas(e->dcs[i]) >= 0) {
			report_info("dc/%s: already at 0, %ld recorded", name, dc_recorded_replicas(e->dcs[i]));
			e->nskipped++;
		} else {
			report_warning("dc/%s is already at 0 replicas and has no recorded count", name);
			e->nskipped++;
		}
		e->dcset |= 1u << i;
	}
	if (e->nqueue && !confirm(e, "scale the system dcs down to 0")) {
		report_error("not confirmed: nothing was changed");
		stop(e, 3);
		return;
	}
	e->preflight = 0;
	signals_start(e);
	e->multi_next = scale_down_done;
	queue_start(e, multi_wait);
}

/* --- status -------------------------------------------------------------------------- */

static void
status_read(struct engine *e)
{
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
			rollout_assess(dc, e->slots[2 * s->dc].doc, e->slots[2 * s->dc + 1].doc, 0, 0, &rv);
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
preflight_read(struct engine *e)
{
	char why[512], missing[128];
	int i, db;

	e->is = batch_take(e, 0);
	for (i = 0; i < NDCS; i++)
		e->dcs[i] = batch_take(e, i + 1);
	for (i = 4; i < e->nslots; i++) {
		if (strcmp(e->slots[i].text, "yes") != 0) {
			report_error("user '%s' may not %s %s in namespace %s (oc auth can-i says %s)", e->user,
				     e->slots[i].cmd.v[3], e->slots[i].cmd.v[4], e->ns, e->slots[i].text);
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
		batch_clear(e);
		for (i = 0; i < NDCS; i++)
			batch_add_rcs_pods(e, i);
		report_begin("status", e->ns, &e->plan, e->detected);
		batch_start(e, status_read);
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

static void
preflight_identity(struct engine *e)
{
	int i;

	strlcopy(e->user, e->slots[0].text, sizeof(e->user));
	if (!e->ns) {
		strlcopy(e->nsbuf, e->slots[1].text, sizeof(e->nsbuf));
		if (!is_dns1123_label(e->nsbuf)) {
			report_error("oc's current project '%s' is not a valid namespace", e->slots[1].text);
			stop(e, 3);
			return;
		}
		e->ns = e->nsbuf;
	}
	batch_clear(e);
	cmd_get(batch_add(e, READ_JSON), e->o->oc, e->ns, "imagestream/" IMAGESTREAM, NULL);
	for (i = 0; i < NDCS; i++)
		batch_add_dc(e, i);
	/* the commands that change something need these rights (slots 4, 5) */
	if (e->o->command == CMD_RUN || e->o->command == CMD_SCALE_DOWN) {
		cmd_can_i(batch_add(e, READ_YESNO), e->o->oc, e->ns, "patch", "deploymentconfigs");
		cmd_can_i(batch_add(e, READ_YESNO), e->o->oc, e->ns, "patch",
			  e->o->command == CMD_RUN ? "imagestreams" : "deploymentconfigs/scale");
	}
	batch_start(e, preflight_read);
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
	a = batch_add(e, READ_TEXT);
	args_init(a, e->o->oc);
	args_add(a, "whoami");
	if (!e->ns) {
		a = batch_add(e, READ_TEXT);
		args_init(a, e->o->oc);
		args_add(a, "project");
		args_add(a, "-q");
	}
	batch_start(e, preflight_identity);
}

int
engine_run(const struct options *o)
{
	struct engine *e = xmalloc(sizeof(*e));
	int status, i;

	memset(e, 0, sizeof(*e));
	e->o = o;
	e->ns = o->ns;
	e->preflight = 1;
	e->t0 = now_ms();
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

	begin(e);
	uv_run(&e->loop, UV_RUN_DEFAULT);

	uv_close((uv_handle_t *)&e->timer, NULL);
	uv_close((uv_handle_t *)&e->deadline, NULL);
	uv_close((uv_handle_t *)&e->sigint, NULL);
	uv_close((uv_handle_t *)&e->sigterm, NULL);
	uv_run(&e->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&e->loop) != 0)
		fprintf(stderr, "3scale-upgrade: internal error: handles left open at exit\n");
	batch_clear(e);
	json_decref(e->is);
	for (i = 0; i < NDCS; i++)
		json_decref(e->dcs[i]);
	status = e->status;
	free(e);
	return status;
}
