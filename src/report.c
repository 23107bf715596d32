/* report.c - everything the program tells its user, as text or as JSON lines */
#include "report.h"
#include "report_int.h"
#include "util.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef VERSION
#define VERSION "0.1.0"
#endif

#define MAXOPEN 8               /* steps under way at once */
#define MAXLIVE 8               /* rollouts followed at once */
#define LINE_MIN_MS 1000        /* not a terminal: a rollout's line at most once a second */
#define LINE_QUIET_MS 10000     /* ... and at least every 10 s while nothing changes */
#define INDENT "      "

/* a step between report_step_start and report_step_end */
struct open_step {
	int used;
	int index, total;
	enum step_kind kind;
	char id[32];
	char hop[40];           /* "2.9 -> 2.10" */
	uint64_t t0;
	char error[512];        /* the first error reported while it was open */
	char waiting[256];      /* its wait's last message (text: shown in the status line) */
};

/* a rollout followed by report_rollout */
struct live {
	int used;
	int index;              /* its step, -1 if none */
	char dc[64];
	char facts[512];        /* text: the state last reported, as shown */
	uint64_t elapsed_ms;    /* the elapsed time last reported */
	uint64_t seen_ms;       /* when (now_ms) */
	char key[1024];         /* the state last printed or emitted, elapsed time left out */
	uint64_t printed_ms;    /* its elapsed time then */
	int printed;
	char text[1088];        /* terminal: the current line, elapsed time included */
	char brief[256];        /* terminal, when several are shown: the state in short */
	char el[32];            /* terminal: the elapsed time shown */
};

struct report_config rcfg;
static struct open_step open_steps[MAXOPEN];
static struct live lives[MAXLIVE];
static int shown;                       /* the status line is on the terminal */
static int ended;                       /* report_end was called: no more events */
static int nerrors, nwarnings, nretries;

const char *const status_names[] = { "done", "skipped", "failed", "pending", "skipped" };

void
report_init(const struct report_config *c)
{
	rcfg = *c;
}

int
report_json(void)
{
	return rcfg.json;
}

/* --- text output: colour and the status line ------------------------------------ */

static int
quiet(void)
{
	return rcfg.verbosity < 0;
}

const char *
colour_on(const char *code)
{
	return rcfg.color ? code : "";
}

const char *
colour_off(void)
{
	return rcfg.color ? SGR_RESET : "";
}

static size_t
columns(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

/* take the status line off the terminal */
void
line_erase(void)
{
	if (shown) {
		fputs("\r\033[K", stdout);
		shown = 0;
	}
	fflush(stdout);
}

/* write the status line: every followed rollout, cut to the terminal's width */
void
line_draw(void)
{
	char buf[2048];
	size_t len, width;
	int i, n = 0;

	if (rcfg.json || !rcfg.tty || quiet())
		return;
	for (i = 0; i < MAXLIVE; i++)
		n += lives[i].used && lives[i].text[0];
	strlcopy(buf, INDENT, sizeof(buf));
	for (i = 0; i < MAXLIVE && n; i++) {
		if (!lives[i].used || !lives[i].text[0])
			continue;
		len = strlen(buf);
		if (n == 1)
			snprintf(buf + len, sizeof(buf) - len, "%s", lives[i].text);
		else if (len == strlen(INDENT))
			snprintf(buf + len, sizeof(buf) - len, "[%s] %s", lives[i].el, lives[i].brief);
		else
			snprintf(buf + len, sizeof(buf) - len, " | %s", lives[i].brief);
	}
	if (!n) {
		line_erase();
		return;
	}
	width = columns();
	if (strlen(buf) > width - 1)
		buf[width - 1] = '\0';
	fputs("\r\033[K", stdout);
	fputs(buf, stdout);
	fflush(stdout);
	shown = 1;
}

/* a line on stdout, under the status line */

void
text_out(const char *fmt, ...)
{
	va_list ap;

	line_erase();
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	line_draw();
}

/* --- open steps and followed rollouts -------------------------------------------- */

static struct open_step *
open_find(int index)
{
	int i;

	for (i = 0; i < MAXOPEN; i++)
		if (open_steps[i].used && open_steps[i].index == index)
			return &open_steps[i];
	return NULL;
}

static void
lives_drop(int index)
{
	int i;

	for (i = 0; i < MAXLIVE; i++)
		if (lives[i].used && lives[i].index == index)
			lives[i].used = 0;
}

static struct live *
live_get(const char *dc, int index)
{
	struct live *free_slot = NULL;
	int i;

	for (i = 0; i < MAXLIVE; i++) {
		if (lives[i].used && strcmp(lives[i].dc, dc) == 0 && lives[i].index == index)
			return &lives[i];
		if (lives[i].used && strcmp(lives[i].dc, dc) == 0)
			lives[i].used = 0;      /* the same dc in another step: a new rollout wait */
		if (!lives[i].used && !free_slot)
			free_slot = &lives[i];
	}
	if (free_slot) {
		memset(free_slot, 0, sizeof(*free_slot));
		free_slot->used = 1;
		free_slot->index = index;
		strlcopy(free_slot->dc, dc, sizeof(free_slot->dc));
	}
	return free_slot;
}

static int
has_live(int index)
{
	int i;

	for (i = 0; i < MAXLIVE; i++)
		if (lives[i].used && lives[i].index == index)
			return 1;
	return 0;
}

/* --- JSON ---------------------------------------------------------------------- */

/* print one event as a compact line on stdout; steals ev */
void
emit_event(json_t *ev)
{
	char *s;

	if (!ev)
		return;
	if (ended) {
		json_decref(ev);
		return;
	}
	s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		free(s);
	}
	json_decref(ev);
}

json_t *
argv_json(const struct args *a)
{
	json_t *arr = json_array();
	int i;

	for (i = 0; i < a->n; i++)
		json_array_append_new(arr, json_string(a->v[i]));
	return arr;
}

/* a new event, with "index" and "id" of the open step s (none if NULL) */
static json_t *
step_event(const char *name, const struct open_step *s)
{
	json_t *ev = json_object();

	json_object_set_new(ev, "event", json_string(name));
	if (s) {
		json_object_set_new(ev, "index", json_integer(s->index + 1));
		json_object_set_new(ev, "id", json_string(s->id));
	}
	return ev;
}

/* --- the run ------------------------------------------------------------------- */

/* "2.9 -> 2.10", the hop of plan p */
static const char *
hop_name(const struct plan *p, char *buf, size_t n)
{
	snprintf(buf, n, "%s -> %s", p->from, p->to);
	return buf;
}

void
report_begin(const char *command, const char *ns, const struct plan *p, const char *to, int detected)
{
	if (rcfg.json) {
		emit_event(json_pack("{s:s, s:s, s:s, s:s?, s:s, s:b, s:s, s:s, s:b}", "event", "start", "command", command,
			       "version", VERSION, "namespace", ns, "from", p->from, "from_detected", p->from_detected,
			       "to", to, "database", database_name(p->db), "database_detected", detected));
		return;
	}
	if (quiet())
		return;
	text_out("3scale-upgrade %s: namespace %s, %s%s -> %s, database %s%s\n", command, ns ? ns : "(current)",
	    p->from, p->from_detected ? " (detected)" : "", to, database_name(p->db), detected ? " (detected)" : "");
}

void
report_hop(const struct plan *p, int index, int total)
{
	if (rcfg.json) {
		emit_event(json_pack("{s:s, s:i, s:i, s:s, s:s}", "event", "hop", "index", index, "total", total,
			       "from", p->from, "to", p->to));
		return;
	}
	if (quiet())
		return;
	text_out("hop %d of %d: %s -> %s\n", index, total, p->from, p->to);
}

void
report_step_start(const struct plan *p, int index)
{
	const struct step *s = &p->steps[index];
	struct open_step *o = open_find(index);
	int i;

	for (i = 0; !o && i < MAXOPEN; i++)
		if (!open_steps[i].used)
			o = &open_steps[i];
	if (o) {
		memset(o, 0, sizeof(*o));
		o->used = 1;
		o->index = index;
		o->total = p->nsteps;
		o->kind = s->kind;
		strlcopy(o->id, s->id, sizeof(o->id));
		hop_name(p, o->hop, sizeof(o->hop));
		o->t0 = now_ms();
	}
	lives_drop(index);
	if (rcfg.json) {
		char hop[40];

		emit_event(json_pack("{s:s, s:s, s:i, s:i, s:s, s:s}", "event", "step_start", "hop",
			       hop_name(p, hop, sizeof(hop)), "index", index + 1, "total", p->nsteps, "id", s->id,
			       "title", s->title));
	}
	else if (!quiet())
		text_out("[%d/%d] %s\n", index + 1, p->nsteps, s->title);
}

void
report_command_start(const struct args *cmd)
{
	char buf[2048];

	if (rcfg.json || quiet())
		return;
	text_out(INDENT "+ %s\n", args_shell(cmd, buf, sizeof(buf)));
}

void
report_command_end(const struct args *cmd, int mutating, int64_t status, int timed_out, uint64_t ms)
{
	char buf[2048], how[64];

	if (ended)
		return;
	if (rcfg.json) {
		emit_event(json_pack("{s:s, s:o, s:b, s:I, s:b, s:I}", "event", "command", "argv", argv_json(cmd),
			       "mutating", mutating, "exit", (json_int_t)status, "timed_out", timed_out,
			       "duration_ms", (json_int_t)ms));
		return;
	}
	if (rcfg.verbosity <= 0)
		return;
	if (timed_out)
		snprintf(how, sizeof(how), "killed at --call-timeout");
	else if (status < 0)
		snprintf(how, sizeof(how), "killed by signal %lld", -(long long)status);
	else
		snprintf(how, sizeof(how), "exit %lld", (long long)status);
	text_out(INDENT "$ %s  (%s%s%s, %llu ms)\n", args_shell(cmd, buf, sizeof(buf)), status ? colour_on(SGR_RED) : "",
	    how, status ? colour_off() : "", (unsigned long long)ms);
}

void
report_retry(const struct args *cmd, const char *why, int attempt, uint64_t delay_ms)
{
	char subj[256];

	nretries++;
	args_subject(cmd, subj, sizeof(subj));
	if (!quiet()) {
		line_erase();
		fprintf(stderr, "%swarning:%s '%s' failed: %s; trying again in %llu ms (attempt %d)\n",
			colour_on(SGR_YELLOW), colour_off(), subj, why, (unsigned long long)delay_ms, attempt);
		line_draw();
	}
	if (rcfg.json)
		emit_event(json_pack("{s:s, s:o, s:s, s:i, s:I}", "event", "retry", "argv", argv_json(cmd), "reason", why,
			       "attempt", attempt, "delay_ms", (json_int_t)delay_ms));
}

/* "12s", "3m05s", "1h02m": the status line's elapsed time */
static const char *
whole_seconds(uint64_t ms, char *buf, size_t n)
{
	unsigned long long s = ms / 1000;

	if (s < 60)
		snprintf(buf, n, "%llus", s);
	else if (s < 3600)
		snprintf(buf, n, "%llum%02llus", s / 60, s % 60);
	else
		snprintf(buf, n, "%lluh%02llum", s / 3600, s / 60 % 60);
	return buf;
}

/* text: show a rollout's state: on a terminal in the status line; else as a line when
 * it changed (at most once a second) or every 10 s */
static void
live_show(struct live *l)
{
	struct open_step *o = l->index >= 0 ? open_find(l->index) : NULL;
	const char *waiting = o && o->waiting[0] ? o->waiting : NULL;
	uint64_t elapsed = l->elapsed_ms + (now_ms() - l->seen_ms);
	char key[sizeof(l->key)], text[sizeof(l->text)], el[32], prefix[80];
	int64_t since;

	/* "dc/NAME: " before the message says again what the line says */
	snprintf(prefix, sizeof(prefix), "dc/%s: ", l->dc);
	if (waiting && strncmp(waiting, prefix, strlen(prefix)) == 0)
		waiting += strlen(prefix);
	snprintf(key, sizeof(key), "%s%s%s", l->facts, waiting ? " - " : "", waiting ? waiting : "");
	snprintf(text, sizeof(text), "[%s] %s", whole_seconds(elapsed, el, sizeof(el)), key);
	if (rcfg.tty) {
		if (strcmp(text, l->text) != 0 || !shown) {
			strlcopy(l->text, text, sizeof(l->text));
			strlcopy(l->el, el, sizeof(l->el));
			line_draw();
		}
		return;
	}
	since = (int64_t)elapsed - (int64_t)l->printed_ms;
	if (l->printed && since >= 0 && since < LINE_QUIET_MS && (since < LINE_MIN_MS || strcmp(key, l->key) == 0))
		return;
	strlcopy(l->key, key, sizeof(l->key));
	l->printed_ms = elapsed;
	l->printed = 1;
	text_out(INDENT "%s\n", text);
}

void
report_rollout(const struct plan *p, int index, const struct rollout_progress *rp)
{
	struct open_step *o = index >= 0 ? open_find(index) : NULL;
	struct live *l;
	char key[512];

	(void)p;
	l = live_get(rp->dc, o ? index : -1);
	if (!l)
		return;
	if (rcfg.json) {
		snprintf(key, sizeof(key), "%ld %s %ld %ld %ld %ld", rp->rollout, rp->phase ? rp->phase : "",
			 rp->ready, rp->desired, rp->old_pods, rp->terminating);
		if (l->printed && strcmp(key, l->key) == 0)
			return;
		strlcopy(l->key, key, sizeof(l->key));
		l->printed = 1;
		{
			json_t *ev = step_event("rollout", o);

			json_object_set_new(ev, "dc", json_string(rp->dc));
			json_object_set_new(ev, "rollout", json_integer(rp->rollout));
			json_object_set_new(ev, "phase", json_string(rp->phase ? rp->phase : ""));
			json_object_set_new(ev, "ready", json_integer(rp->ready));
			json_object_set_new(ev, "desired", json_integer(rp->desired));
			json_object_set_new(ev, "old_pods", json_integer(rp->old_pods));
			json_object_set_new(ev, "terminating", json_integer(rp->terminating));
			json_object_set_new(ev, "elapsed_ms", json_integer((json_int_t)rp->elapsed_ms));
			emit_event(ev);
		}
		return;
	}
	if (quiet())
		return;
	snprintf(l->facts, sizeof(l->facts), "dc/%s rollout #%ld%s%s: new %ld/%ld ready, old %ld", rp->dc,
		 rp->rollout, rp->phase && *rp->phase ? " " : "", rp->phase ? rp->phase : "", rp->ready, rp->desired,
		 rp->old_pods);
	if (rp->terminating > 0) {
		size_t len = strlen(l->facts);

		snprintf(l->facts + len, sizeof(l->facts) - len, rp->terminating <= rp->old_pods ?
			 " (%ld terminating)" : ", %ld terminating", rp->terminating);
	}
	snprintf(l->brief, sizeof(l->brief), "dc/%s #%ld%s%s %ld/%ld ready, old %ld", rp->dc, rp->rollout,
		 rp->phase && *rp->phase ? " " : "", rp->phase ? rp->phase : "", rp->ready, rp->desired,
		 rp->old_pods);
	l->elapsed_ms = rp->elapsed_ms;
	l->seen_ms = now_ms();
	live_show(l);
}

void
report_tick(void)
{
	int i;

	if (rcfg.json || quiet() || ended)
		return;
	for (i = 0; i < MAXLIVE; i++)
		if (lives[i].used && lives[i].facts[0])
			live_show(&lives[i]);
}

void
report_progress(const struct plan *p, int index, const char *what)
{
	struct open_step *o = index >= 0 ? open_find(index) : NULL;

	(void)p;
	if (rcfg.json) {
		json_t *ev = step_event("progress", o);

		json_object_set_new(ev, "message", json_string(what));
		emit_event(ev);
		return;
	}
	if (o)
		strlcopy(o->waiting, what, sizeof(o->waiting));
	if (quiet())
		return;
	/* a rollout's status line shows the message */
	if (o && (o->kind == STEP_DC || o->kind == STEP_EDIT || has_live(index)))
		return;
	text_out(INDENT "%s\n", what);
}

/* the end of an open step: its event or line */
static void
step_end(struct open_step *o, enum step_status st, uint64_t ms, const char *detail, const char *reason)
{
	char d[32];
	const char *word = st == STEP_SKIPPED ? "already done" : status_names[st];  /* STEP_NOT_THERE: "skipped" */
	const char *colour = st == STEP_DONE ? SGR_GREEN : st == STEP_SKIPPED || st == STEP_NOT_THERE ? SGR_CYAN : SGR_RED;

	if (!detail || !*detail)
		detail = st == STEP_FAILED ? o->error : "";
	lives_drop(o->index);
	o->used = 0;
	if (rcfg.json) {
		emit_event(json_pack("{s:s, s:s, s:i, s:s, s:s, s:s*, s:I, s:s}", "event", "step_end", "hop", o->hop,
			       "index", o->index + 1, "id", o->id, "status", status_names[st], "reason", st == STEP_FAILED ? reason : NULL,
			       "elapsed_ms", (json_int_t)ms, "detail", detail));
		return;
	}
	if (quiet()) {
		line_erase();
		return;
	}
	text_out("[%d/%d] %s%s%s (%s)%s%s\n", o->index + 1, o->total, colour_on(colour), word, colour_off(),
	    fmt_duration(ms, d, sizeof(d)), *detail ? ": " : "", detail);
}

void
report_step_end(const struct plan *p, int index, enum step_status st, uint64_t ms, const char *detail)
{
	struct open_step *o = open_find(index), tmp;

	if (!o) {
		/* never started: report it all the same */
		memset(&tmp, 0, sizeof(tmp));
		tmp.index = index;
		tmp.total = p->nsteps;
		strlcopy(tmp.id, p->steps[index].id, sizeof(tmp.id));
		o = &tmp;
	}
	step_end(o, st, ms, detail, "error");
}

/* --- messages ------------------------------------------------------------------ */

static void
message(const char *kind, const char *colour, const char *fmt, va_list ap)
{
	char buf[2048];
	int i;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (strcmp(kind, "error") == 0) {
		nerrors++;
		for (i = 0; i < MAXOPEN; i++)
			if (open_steps[i].used && !open_steps[i].error[0])
				strlcopy(open_steps[i].error, buf, sizeof(open_steps[i].error));
	} else if (strcmp(kind, "warning") == 0) {
		nwarnings++;
	}
	if (!quiet() || strcmp(kind, "warning") != 0) {
		line_erase();
		fprintf(stderr, "%s%s:%s %s\n", colour_on(colour), kind, colour_off(), buf);
		line_draw();
	}
	if (rcfg.json)
		emit_event(json_pack("{s:s, s:s}", "event", kind, "message", buf));
}

void
report_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("error", SGR_RED, fmt, ap);
	va_end(ap);
}

void
report_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("warning", SGR_YELLOW, fmt, ap);
	va_end(ap);
}

void
report_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("hint", SGR_BOLD, fmt, ap);
	va_end(ap);
}

void
report_info(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (rcfg.json)
		emit_event(json_pack("{s:s, s:s}", "event", "info", "message", buf));
	else if (!quiet())
		text_out("%s\n", buf);
}

/* "a, b" as a JSON array */
static json_t *
ids_json(const char *ids)
{
	json_t *arr = json_array();
	const char *p = ids;

	while (p && *p) {
		const char *end = strstr(p, ", ");
		size_t n = end ? (size_t)(end - p) : strlen(p);

		json_array_append_new(arr, json_stringn(p, n));
		p = end ? end + 2 : NULL;
	}
	return arr;
}

void
report_end(const char *command, int status, uint64_t ms, const struct run_totals *t, int procs)
{
	int done = t->done, skipped = t->skipped;
	json_t *skipped_json, *absent_json;
	char absent[96] = "";
	const char *reason = status == 4 ? "timed_out" : status >= 128 ? "interrupted" : "error";
	json_t *failed = json_array();
	char d[32], failed_ids[256] = "";
	int run = strcmp(command, "run") == 0, i, nfailed = 0;

	/* the steps still open failed */
	for (i = 0; i < MAXOPEN; i++) {
		struct open_step *o = &open_steps[i];
		size_t len = strlen(failed_ids);

		if (!o->used)
			continue;
		json_array_append_new(failed, json_string(o->id));
		snprintf(failed_ids + len, sizeof(failed_ids) - len, "%s%s", len ? ", " : "", o->id);
		nfailed++;
		if (status != 0)
			step_end(o, STEP_FAILED, now_ms() - o->t0, NULL, reason);
		o->used = 0;
	}
	memset(lives, 0, sizeof(lives));
	line_erase();
	if (rcfg.json) {
		skipped_json = ids_json(t->skipped_ids);
		absent_json = ids_json(t->absent_ids);
		json_array_extend(skipped_json, absent_json);
		json_decref(absent_json);
		emit_event(json_pack("{s:s, s:s, s:i, s:I, s:o, s:o, s:o, s:o, s:i, s:i, s:i, s:i}", "event", "end",
			       "command", command, "exit", status, "elapsed_ms", (json_int_t)ms,
			       "steps_done", ids_json(t->done_ids), "steps_skipped", skipped_json,
			       "steps_absent", ids_json(t->absent_ids),
			       "steps_failed", failed, "oc_commands", procs, "errors", nerrors,
			       "warnings", nwarnings, "retries", nretries));
		ended = 1;
		return;
	}
	ended = 1;
	json_decref(failed);
	if (t->done_ids && *t->done_ids)
		printf("done: %s\n", t->done_ids);
	if (t->skipped_ids && *t->skipped_ids)
		printf("already done: %s\n", t->skipped_ids);
	if (t->absent_ids && *t->absent_ids) {
		printf("skipped, not in the namespace: %s\n", t->absent_ids);
		snprintf(absent, sizeof(absent), ", %d not in the namespace", t->absent);
	}
	if (nfailed && status != 0)
		printf("failed: %s\n", failed_ids);
	if (status == 0)
		printf("%s%s complete%s in %s: %d step%s done, %d already done%s; %d oc command%s\n",
		       colour_on(SGR_GREEN), run ? "upgrade" : command, colour_off(), fmt_duration(ms, d, sizeof(d)),
		       done, done == 1 ? "" : "s", skipped, absent, procs, procs == 1 ? "" : "s");
	else
		printf("%s%s stopped%s after %s (exit %d): %d step%s done, %d already done%s; %d oc command%s\n",
		       colour_on(SGR_RED), command, colour_off(), fmt_duration(ms, d, sizeof(d)), status, done,
		       done == 1 ? "" : "s", skipped, absent, procs, procs == 1 ? "" : "s");
	fflush(stdout);
}

void
report_clear(void)
{
	memset(lives, 0, sizeof(lives));
	if (!rcfg.json)
		line_erase();
}
