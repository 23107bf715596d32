/*
 * report.h - everything the program tells its user, as text or as JSON lines.
 *
 * Text: progress on stdout, errors, warnings and hints on stderr. While a rollout
 * is followed, one status line shows its state: on a terminal it is rewritten in
 * place and taken away before any other line is written (stdout or stderr); else
 * it is a plain line, printed when the state changed (at most one a second per
 * rollout) and every 10 s when it did not.
 * JSON (--output json): stdout carries only JSON objects, one per line (see
 * docs/events.md); errors, warnings and hints are also written to stderr as text.
 *
 * A step is open from report_step_start to report_step_end; report_end ends every
 * step still open as failed, with the first error reported while it was open.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdint.h>

#include "args.h"
#include "plan.h"

/* STEP_SKIPPED: found already done; STEP_NOT_THERE: skipped, the namespace lacks its objects */
enum step_status { STEP_DONE, STEP_SKIPPED, STEP_FAILED, STEP_PENDING, STEP_NOT_THERE };

/* what a run did, for its summary: the ids of its steps, ", "-separated, by outcome */
struct run_totals {
	int done, skipped, absent;
	const char *done_ids, *skipped_ids, *absent_ids;
};

struct report_config {
	int json;        /* --output json */
	int verbosity;   /* -1 quiet (errors, hints and the summary), 0 normal, 1 verbose (every oc command) */
	int color;       /* 1: colour text output (decided by main: --color, NO_COLOR, isatty) */
	int tty;         /* 1: stdout is a terminal: the rollout status line is updated in place */
};

/* choose the format */
void report_init(const struct report_config *c);
int report_json(void);

/* the run begins: command name, namespace, versions (p's from, the run's to), database and
 * whether detected */
void report_begin(const char *command, const char *ns, const struct plan *p, const char *to, int detected);
/* a run of several hops: hop index (from 1) of total, p's, begins */
void report_hop(const struct plan *p, int index, int total);
/* print the plan: text as a pasteable script (comments start with '#'), or one JSON event */
void report_plan(const struct plan *p, const char *oc, const char *ns, int detected);
/* a step starts */
void report_step_start(const struct plan *p, int index);
/* a mutating command is about to run (text: "+ oc ...") */
void report_command_start(const struct args *cmd);
/*
 * any oc process ended (reads, watches and mutating commands): exit status, or the
 * negated signal that ended it; timed_out when it was killed at --call-timeout.
 * json: a command event; text: a line with -v only.
 */
void report_command_end(const struct args *cmd, int mutating, int64_t status, int timed_out, uint64_t ms);
/* a read failed with a transient error and runs again after delay_ms (attempt counts from 2) */
void report_retry(const struct args *cmd, const char *why, int attempt, uint64_t delay_ms);

/* the state of a rollout under way, for the live status line */
struct rollout_progress {
	const char *dc;          /* "system-app" */
	long rollout;            /* latestVersion */
	const char *phase;       /* the deployer phase (RC annotation): New, Pending, Running, Complete, Failed, "" */
	long ready, desired;     /* new pods ready, of desired */
	long old_pods;           /* pods of older rollouts still there (terminating included) */
	long terminating;        /* pods with a deletionTimestamp (rollout_view.terminating) */
	uint64_t elapsed_ms;     /* since the step started */
};
/* a rollout's progress, on every assessment (the reporter rate-limits); index is the
 * step it belongs to, or -1 outside a step (scale-down). The status line lasts until
 * the step ends (or report_end). In a dc step, call it with every report_progress: the
 * text shows the progress message in the status line, not on a line of its own. */
void report_rollout(const struct plan *p, int index, const struct rollout_progress *rp);
/* call about once a second while a wait runs: the status line's elapsed time moves on,
 * a change held back by the rate limit is shown, and without a terminal the line is
 * repeated every 10 s while nothing changes */
void report_tick(void);
/* what a wait is waiting for now (printed when it changes; text: in the status line of
 * the step's rollout, when it has one); index -1 outside a step */
void report_progress(const struct plan *p, int index, const char *what);
/* a step ends: done, skipped as already done, or failed (detail: why; "" or NULL: the
 * first error reported since the step started) */
void report_step_end(const struct plan *p, int index, enum step_status st, uint64_t ms,
		     const char *detail);
/* one line of `status` */
void report_status_step(const struct plan *p, int index, enum step_status st, const char *detail);
/* end of `status`: complete or not */
void report_status_end(const char *ns, const struct plan *p, int complete);
/* messages to stderr (and JSON events) */
void report_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* an informational line (text; an info event in JSON) */
void report_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* the final event / summary: exit status, time, the steps done and already done (ids
 * separated by ", "), the number of oc processes. Call it once every oc child has ended
 * (each has had its report_command_end): nothing is reported after it. */
void report_end(const char *command, int status, uint64_t ms, const struct run_totals *t, int procs);
/* take the status line off the terminal, for an exit without report_end */
void report_clear(void);

#endif
