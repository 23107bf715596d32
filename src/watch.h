/*
 * watch.h - one `oc get … -o json -w --output-watch-events` process, read as a
 * stream of {"type":…,"object":…} documents; or, for a client without that flag
 * (oc 3.11, a Kubernetes 1.11 client), a plain `oc get … -o json -w` stream of
 * the objects themselves.
 *
 * watch_start() spawns it; each complete event is handed to on_event; when the
 * process ends (oc closes a watch at any time, exit 0), on_end gets its result and
 * whether its output was malformed. The owner decides whether to start it again.
 * A struct watch must stay in place while it runs.
 *
 * A plain stream carries no event type: every document is handed on as "MODIFIED",
 * and a deleted object arrives as its last state, so the owner can never take an
 * object for gone from a plain stream alone (see the dcwait of rolloutwait.c).
 */
#ifndef WATCH_H
#define WATCH_H

#include <jansson.h>
#include <uv.h>

#include "args.h"
#include "jsonstream.h"
#include "proc.h"

struct watch;
typedef void (*watch_event_fn)(struct watch *w, const char *type, const json_t *obj);
typedef void (*watch_end_fn)(struct watch *w, struct proc_result *r);

struct watch {
	struct args cmd;           /* filled by the owner (see watch_args) */
	int plain;                 /* a plain stream: no --output-watch-events */
	watch_event_fn on_event;
	watch_end_fn on_end;
	void *data;                /* the owner's */
	struct proc *proc;         /* NULL when not running */
	struct jsonstream js;
	int events;                /* events taken from this process */
	int stopping;              /* watch_stop() was called */
	char bad[320];             /* why the output is not a watch stream, "" if fine */
};

/* add the watch flags to w->cmd, a `get … -o json` command: -w, and
 * --output-watch-events unless w->plain */
void watch_args(struct watch *w);
/* 1 if r is oc's answer that it has no --output-watch-events (an old client) */
int watch_events_unsupported(const struct proc_result *r);
/* start the process (w->cmd must be set); it is killed after timeout_ms (0: never) and
 * then ends like a watch the server closed, with res->timed_out set */
void watch_start(uv_loop_t *loop, struct watch *w, uint64_t timeout_ms);
/* end it; on_end is still called */
void watch_stop(struct watch *w);
/* 1 while its process runs */
int watch_running(const struct watch *w);

#endif
