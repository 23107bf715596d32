/* batch.c - batches of concurrent oc reads that retry what may pass, and what a failed oc said */
#include "engine_int.h"
#include "ocerror.h"
#include "proc.h"
#include "report.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

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
const char *
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
int64_t
oc_status(const struct proc_result *r)
{
	return r->spawn_error ? 127 : r->term_signal ? -r->term_signal : r->exit_status;
}

/* 1 and a message if the oc command did not succeed */
int
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
void
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

/* --- batches of reads ------------------------------------------------------------- */

static void on_slot_retry(uv_timer_t *t);

void
batch_init(struct engine *e, struct batch *b, void *ctx, int cap)
{
	int i;

	memset(b, 0, sizeof(*b));
	b->e = e;
	b->ctx = ctx;
	b->cap = cap;
	b->slots = xmalloc((size_t)cap * sizeof(b->slots[0]));
	memset(b->slots, 0, (size_t)cap * sizeof(b->slots[0]));
	for (i = 0; i < cap; i++) {
		uv_timer_init(&e->loop, &b->slots[i].retry);
		b->slots[i].retry.data = &b->slots[i];
	}
}

void
batch_close(struct batch *b)
{
	int i;

	for (i = 0; i < b->cap; i++)
		uv_close((uv_handle_t *)&b->slots[i].retry, NULL);
}

void
batch_free(struct batch *b)
{
	batch_clear(b);
	free(b->slots);
	b->slots = NULL;
	b->cap = 0;
}

void
batch_clear(struct batch *b)
{
	int i;

	for (i = 0; i < b->nslots; i++) {
		json_decref(b->slots[i].doc);
		b->slots[i].doc = NULL;
		free(b->slots[i].raw);
		b->slots[i].raw = NULL;
		b->slots[i].rawlen = 0;
	}
	b->nslots = 0;
}

/* the run ends: no read of this batch runs again */
void
batch_cancel(struct batch *b)
{
	int i;

	for (i = 0; i < b->cap; i++)
		uv_timer_stop(&b->slots[i].retry);
}

/* a read to add to the next batch; the caller fills the command */
struct args *
batch_add(struct batch *b, int parse)
{
	struct slot *s;

	if (b->nslots == b->cap) {
		fprintf(stderr, "3scale-upgrade: internal error: more than %d reads in one batch\n", b->cap);
		abort();
	}
	s = &b->slots[b->nslots++];
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
	} else if (s->parse == READ_OPTIONAL && k == OCE_NOTFOUND) {
		/* not there: no document */
	} else if (k != OCE_NONE) {
		if (oc_error_retryable(k) && slot_retry(s, oc_why(e, r, why, sizeof(why))))
			return;
		oc_failed(e, &s->cmd, r, msg, sizeof(msg));
		b->failed = 1;
		report_error("%s", msg);
		hint_for(e, r);
	} else if (s->parse == READ_JSON || s->parse == READ_SAVE || s->parse == READ_OPTIONAL) {
		json_error_t je;

		s->doc = json_loadb(r->out, r->outlen, 0, &je);
		if (!s->doc || !json_is_object(s->doc)) {
			if (s->doc)
				snprintf(why, sizeof(why), "printed JSON that is not an object");
			else if (s->parse == READ_SAVE)
				/* jansson's text quotes the output: it may hold a secret */
				snprintf(why, sizeof(why), "printed output that is not valid JSON (line %d, column %d)",
					 je.line, je.column);
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
		} else if (s->parse == READ_SAVE) {
			free(s->raw);
			s->raw = xmalloc(r->outlen + 1);
			memcpy(s->raw, r->out, r->outlen + 1);
			s->rawlen = r->outlen;
			/* checked: only the text is kept (a parsed document takes several times its size) */
			json_decref(s->doc);
			s->doc = NULL;
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
void
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
json_t *
batch_take(struct batch *b, int i)
{
	json_t *doc = b->slots[i].doc;

	b->slots[i].doc = NULL;
	return doc;
}

/* add a read of dc number dc of the plan to the batch */
void
batch_add_dc(struct batch *b, int dc)
{
	char what[96];

	snprintf(what, sizeof(what), "dc/%s", PLAN_DC_NAME(&b->e->plan, dc));
	cmd_get(batch_add(b, READ_JSON), b->e->o->oc, b->e->ns, what, NULL);
}

/* add reads of the system section's present dcs (slots k.. in the order of system_dcs) */
void
batch_add_system_dcs(struct batch *b)
{
	int list[PLAN_MAX_DCS], i, n = system_dcs(b->e, list);

	for (i = 0; i < n; i++)
		batch_add_dc(b, list[i]);
}

/* add reads of the RCs and the pods of dc number dc of the plan to the batch */
void
batch_add_rcs_pods(struct batch *b, int dc)
{
	char sel[128];

	cmd_get(batch_add(b, READ_JSON), b->e->o->oc, b->e->ns, "rc", rc_selector(&b->e->plan, dc, sel, sizeof(sel)));
	cmd_get(batch_add(b, READ_JSON), b->e->o->oc, b->e->ns, "pods", pod_selector(&b->e->plan, dc, sel, sizeof(sel)));
}

/* add reads of dc, its RCs and its pods to the batch (slots 3k, 3k+1, 3k+2) */
void
batch_add_rollout(struct batch *b, int dc)
{
	batch_add_dc(b, dc);
	batch_add_rcs_pods(b, dc);
}

void
read_one(struct engine *e, int parse, const char *what, batch_fn next)
{
	batch_clear(&e->main);
	cmd_get(batch_add(&e->main, parse), e->o->oc, e->ns, what, NULL);
	batch_start(&e->main, next);
}
