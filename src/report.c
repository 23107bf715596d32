/* report.c - everything the program tells its user, as text or as JSON lines */
#include "report.h"
#include "util.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int json_mode;
static struct report_config cfg;

static const char *const status_names[] = { "done", "skipped", "failed", "pending" };

void
report_init(const struct report_config *c)
{
	cfg = *c;
	json_mode = c->json;
}

int
report_json(void)
{
	return json_mode;
}

/* print one event as a compact line on stdout; steals ev */
static void
emit(json_t *ev)
{
	char *s;

	if (!ev)
		return;
	s = json_dumps(ev, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		free(s);
	}
	json_decref(ev);
}

static json_t *
argv_json(const struct args *a)
{
	json_t *arr = json_array();
	int i;

	for (i = 0; i < a->n; i++)
		json_array_append_new(arr, json_string(a->v[i]));
	return arr;
}

void
report_begin(const char *command, const char *ns, const struct plan *p, int detected)
{
	if (json_mode) {
		emit(json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:b}", "event", "start", "command", command,
			       "namespace", ns, "from", p->from, "to", p->to,
			       "database", database_name(p->db), "database_detected", detected));
		return;
	}
	printf("3scale-upgrade %s: namespace %s, %s -> %s, database %s%s\n", command, ns ? ns : "(current)",
	       p->from, p->to, database_name(p->db), detected ? " (detected)" : "");
	fflush(stdout);
}

static const char *
wait_note(const struct step *s)
{
	switch (s->kind) {
	case STEP_IMPORT: return "then wait until the tag has an image (oc get imagestream/" IMAGESTREAM " -o json)";
	case STEP_DC: return "then wait: new rollout complete, new pods ready, old pods gone";
	case STEP_REPLICAS: return "for each system dc annotated " REPLICAS_ANNOTATION "=N: oc scale dc/NAME --replicas=N, "
				   "remove the annotation, wait for the pods";
	default: return NULL;
	}
}

void
report_plan(const struct plan *p, const char *oc, const char *ns, int detected)
{
	struct args cmds[4];
	char buf[2048];
	json_t *steps = NULL;
	int i, j, n;

	if (json_mode)
		steps = json_array();
	else
		printf("# 3scale %s -> %s in %s, database %s%s\n", p->from, p->to,
		       ns ? ns : "oc's current project", database_name(p->db), detected ? " (detected)" : "");
	for (i = 0; i < p->nsteps; i++) {
		const struct step *s = &p->steps[i];
		const char *note = wait_note(s);

		n = plan_step_commands(p, s, oc, ns, cmds, 4);
		if (json_mode) {
			json_t *c = json_array();

			for (j = 0; j < n; j++)
				json_array_append_new(c, argv_json(&cmds[j]));
			json_array_append_new(steps, json_pack("{s:i, s:s, s:s, s:o, s:s?, s:s?}", "index", i + 1,
							       "id", s->id, "title", s->title, "commands", c,
							       "wait", note, "note", s->note[0] ? s->note : NULL));
			continue;
		}
		printf("# %d. %s%s%s\n", i + 1, s->title, s->note[0] ? " -- " : "", s->note);
		for (j = 0; j < n; j++) {
			args_shell(&cmds[j], buf, sizeof(buf));
			printf("%s\n", buf);
		}
		if (note)
			printf("#    %s\n", note);
	}
	if (json_mode)
		emit(json_pack("{s:s, s:s?, s:s, s:s, s:s, s:b, s:o}", "event", "plan", "namespace", ns,
			       "from", p->from, "to", p->to, "database", database_name(p->db),
			       "database_detected", detected, "steps", steps));
	fflush(stdout);
}

void
report_step_start(const struct plan *p, int index)
{
	const struct step *s = &p->steps[index];

	if (json_mode)
		emit(json_pack("{s:s, s:i, s:s, s:s}", "event", "step_start", "index", index + 1, "id", s->id,
			       "title", s->title));
	else {
		printf("[%d/%d] %s\n", index + 1, p->nsteps, s->title);
		fflush(stdout);
	}
}

void
report_command_start(const struct args *cmd)
{
	char buf[2048];

	if (json_mode)
		return;
	printf("      + %s\n", args_shell(cmd, buf, sizeof(buf)));
	fflush(stdout);
}

void
report_command_end(const struct args *cmd, int mutating, int64_t status, int timed_out, uint64_t ms)
{
	char buf[2048];

	if (json_mode)
		emit(json_pack("{s:s, s:o, s:b, s:I, s:b, s:I}", "event", "command", "argv", argv_json(cmd),
			       "mutating", mutating, "exit", (json_int_t)status, "timed_out", timed_out,
			       "duration_ms", (json_int_t)ms));
	else if (cfg.verbosity > 0) {
		printf("      $ %s  (exit %lld, %llu ms%s)\n", args_shell(cmd, buf, sizeof(buf)), (long long)status,
		       (unsigned long long)ms, timed_out ? ", killed at --call-timeout" : "");
		fflush(stdout);
	}
}

void
report_retry(const struct args *cmd, const char *why, int attempt, uint64_t delay_ms)
{
	char subj[256];

	args_subject(cmd, subj, sizeof(subj));
	fflush(stdout);
	fprintf(stderr, "warning: '%s' failed: %s; trying again in %llu ms (attempt %d)\n", subj, why,
		(unsigned long long)delay_ms, attempt);
	if (json_mode)
		emit(json_pack("{s:s, s:o, s:s, s:i, s:I}", "event", "retry", "argv", argv_json(cmd), "reason", why,
			       "attempt", attempt, "delay_ms", (json_int_t)delay_ms));
}

void
report_rollout(const struct plan *p, int index, const struct rollout_progress *rp)
{
	if (json_mode)
		emit(json_pack("{s:s, s:i, s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I}", "event", "rollout",
			       "index", index + 1, "id", p->steps[index].id, "dc", rp->dc,
			       "rollout", (json_int_t)rp->rollout, "phase", rp->phase,
			       "ready", (json_int_t)rp->ready, "desired", (json_int_t)rp->desired,
			       "old_pods", (json_int_t)rp->old_pods, "elapsed_ms", (json_int_t)rp->elapsed_ms));
}

void
report_progress(const struct plan *p, int index, const char *what)
{
	if (json_mode)
		emit(json_pack("{s:s, s:i, s:s, s:s}", "event", "progress", "index", index + 1,
			       "id", p->steps[index].id, "message", what));
	else {
		printf("      %s\n", what);
		fflush(stdout);
	}
}

void
report_step_end(const struct plan *p, int index, enum step_status st, uint64_t ms, const char *detail)
{
	char d[32];

	if (json_mode) {
		emit(json_pack("{s:s, s:i, s:s, s:s, s:I, s:s?}", "event", "step_end", "index", index + 1,
			       "id", p->steps[index].id, "status", status_names[st],
			       "elapsed_ms", (json_int_t)ms, "detail", detail));
		return;
	}
	printf("      %s (%s)%s%s\n", st == STEP_SKIPPED ? "already done" : status_names[st],
	       fmt_duration(ms, d, sizeof(d)), detail && *detail ? ": " : "", detail ? detail : "");
	fflush(stdout);
}

void
report_status_step(const struct plan *p, int index, enum step_status st, const char *detail)
{
	if (json_mode) {
		emit(json_pack("{s:s, s:i, s:s, s:s, s:s, s:s?}", "event", "step", "index", index + 1,
			       "id", p->steps[index].id, "title", p->steps[index].title,
			       "state", status_names[st], "detail", detail));
		return;
	}
	printf("[%d/%d] %-8s %s%s%s\n", index + 1, p->nsteps, status_names[st], p->steps[index].title,
	       detail && *detail ? ": " : "", detail ? detail : "");
}

void
report_status_end(const char *ns, const struct plan *p, int complete)
{
	if (json_mode)
		emit(json_pack("{s:s, s:s, s:s, s:b}", "event", "status_end", "namespace", ns, "to", p->to,
			       "complete", complete));
	else
		printf("%s\n", complete ? "upgrade complete" : "upgrade not complete: run '3scale-upgrade run' to finish it");
	fflush(stdout);
}

static void
message(const char *kind, const char *fmt, va_list ap)
{
	char buf[2048];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	fflush(stdout);
	fprintf(stderr, "%s: %s\n", kind, buf);
	if (json_mode)
		emit(json_pack("{s:s, s:s}", "event", kind, "message", buf));
}

void
report_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("error", fmt, ap);
	va_end(ap);
}

void
report_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("warning", fmt, ap);
	va_end(ap);
}

void
report_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	message("hint", fmt, ap);
	va_end(ap);
}

void
report_info(const char *fmt, ...)
{
	va_list ap;

	if (json_mode)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
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
report_end(const char *command, int status, uint64_t ms, int done, const char *done_ids,
	   int skipped, const char *skipped_ids, int procs)
{
	char d[32];
	int run = strcmp(command, "run") == 0;

	if (json_mode) {
		emit(json_pack("{s:s, s:s, s:i, s:I, s:o, s:o, s:i}", "event", "end", "command", command,
			       "exit", status, "elapsed_ms", (json_int_t)ms, "steps_done", ids_json(done_ids),
			       "steps_skipped", ids_json(skipped_ids), "oc_commands", procs));
		return;
	}
	if (done_ids && *done_ids)
		printf("done: %s\n", done_ids);
	if (skipped_ids && *skipped_ids)
		printf("already done: %s\n", skipped_ids);
	if (status == 0)
		printf("%s complete in %s: %d step%s done, %d already done; %d oc command%s\n",
		       run ? "upgrade" : command, fmt_duration(ms, d, sizeof(d)),
		       done, done == 1 ? "" : "s", skipped, procs, procs == 1 ? "" : "s");
	else
		printf("%s stopped after %s (exit %d): %d step%s done, %d already done; %d oc command%s\n",
		       command, fmt_duration(ms, d, sizeof(d)), status, done, done == 1 ? "" : "s", skipped,
		       procs, procs == 1 ? "" : "s");
	fflush(stdout);
}
