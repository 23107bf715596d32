/*
 * proc.h - run one child process on the libuv loop and capture its output.
 *
 * Life cycle: proc_spawn() starts the child (execvp of argv[0], no shell, stdin
 * from /dev/null) with stdout and stderr on pipes and a deadline timer. The child
 * is finished when it has exited AND both pipes reached EOF AND every handle is
 * closed; only then is the callback called, once, with the result. The result and
 * its buffers belong to proc and are freed after the callback returns: copy what
 * you keep, or take out/err by setting the pointer to NULL.
 * A spawn failure (e.g. ENOENT) is reported the same way, asynchronously.
 */
#ifndef PROC_H
#define PROC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct proc_result {
	int spawn_error;      /* libuv error code if the child could not start, else 0 */
	int64_t exit_status;  /* exit status, when it exited */
	int term_signal;      /* signal that ended it, 0 if it exited */
	int timed_out;        /* killed because it passed its deadline */
	char *out;            /* stdout, NUL-terminated */
	size_t outlen;
	char *err;            /* stderr, NUL-terminated */
	size_t errlen;
	uint64_t elapsed_ms;
};

typedef void (*proc_cb)(struct proc_result *res, void *arg);
/* stdout bytes as they arrive (streaming mode); they are not kept in res->out */
typedef void (*proc_out_cb)(const char *data, size_t n, void *arg);

struct proc;

/*
 * Start argv (NULL-terminated) with a deadline in ms (0: none); cb(res, arg) when
 * finished. With on_out, stdout is streamed to on_out instead of collected. The
 * returned handle is valid until cb is called (for proc_kill).
 */
struct proc *proc_spawn(uv_loop_t *loop, char *const argv[], uint64_t timeout_ms, proc_cb cb, void *arg);
struct proc *proc_spawn_stream(uv_loop_t *loop, char *const argv[], uint64_t timeout_ms, proc_out_cb on_out,
			       proc_cb cb, void *arg);

/* send signum to one running child */
void proc_kill(struct proc *p, int signum);

/* send signum to every running child (safe against pid reuse: uv_process_kill) */
void proc_kill_all(int signum);

/* total children started since the program began */
int proc_started(void);

#endif
