/*
 * ocerror.h - what kind of failure an oc process reported, and how long to wait
 * before trying again. Pure functions: no process, no output.
 */
#ifndef OCERROR_H
#define OCERROR_H

#include <stdint.h>

enum oc_error {
	OCE_NONE,          /* it succeeded */
	OCE_TRANSIENT,     /* server or network trouble that may pass: retry reads, read back changes */
	OCE_UNAUTHORIZED,  /* not logged in, token expired */
	OCE_FORBIDDEN,     /* no rights */
	OCE_NOTFOUND,      /* no such object or namespace */
	OCE_INVALID,       /* the request itself is wrong */
	OCE_CONFLICT,      /* the object changed under us: read back, then try again */
	OCE_SPAWN,         /* oc could not be started */
	OCE_OTHER          /* anything else: not retried */
};

/*
 * Classify an oc process's end from its spawn error (libuv code or 0), exit status,
 * terminating signal, whether our deadline killed it, and its stderr.
 */
enum oc_error oc_error_classify(int spawn_error, int64_t exit_status, int term_signal, int timed_out,
				const char *err);

/*
 * 1 if oc refused `flag` (e.g. "--output-watch-events") as unknown: the answer of a
 * client too old to have it, on stderr with exit 1, before any request was made
 */
int oc_error_unknown_flag(int64_t exit_status, int term_signal, const char *err, const char *flag);

/* 1 if a read that failed this way is worth running again */
int oc_error_retryable(enum oc_error k);

/* a short name: "transient", "unauthorized", ... */
const char *oc_error_name(enum oc_error k);

/*
 * Delay before attempt number `attempt` (2 for the first retry): exponential from
 * base_ms, capped at cap_ms, with "equal jitter" (half fixed, half from rnd), so
 * concurrent clients spread out and the delay is never below half the step.
 */
uint64_t backoff_ms(int attempt, uint64_t base_ms, uint64_t cap_ms, uint32_t rnd);

#endif
