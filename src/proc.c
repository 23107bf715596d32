/* proc.c - run one child process on the libuv loop and capture its output */
#include "proc.h"
#include "util.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define PIPE_GRACE_MS 2000  /* after the child exited, how long its pipes may stay open */

struct buf {
	char *data;
	size_t len, cap;
};

struct proc {
	uv_process_t process;
	uv_pipe_t out, err;
	uv_timer_t timer;
	struct buf outbuf, errbuf;
	int open;             /* handles not yet closed */
	int exited;           /* exit callback seen (or spawn failed) */
	int eofs;             /* pipes that reached EOF (or were given up) */
	int out_done, err_done;
	int spawned;
	uint64_t started;
	struct proc_result res;
	proc_cb cb;
	proc_out_cb on_out;
	void *arg;
	struct proc *next, **prevp;
};

static struct proc *running;
static int nstarted;

static void
on_close(uv_handle_t *h)
{
	struct proc *p = h->data;

	if (--p->open > 0)
		return;
	p->res.elapsed_ms = now_ms() - p->started;
	if (p->on_out) {
		/* streamed: the buffer holds only the last chunk, already delivered */
		free(p->outbuf.data);
		p->outbuf.data = NULL;
		p->outbuf.len = 0;
	}
	p->res.out = p->outbuf.data ? p->outbuf.data : xstrdup("");
	p->res.outlen = p->outbuf.len;
	p->res.err = p->errbuf.data ? p->errbuf.data : xstrdup("");
	p->res.errlen = p->errbuf.len;
	*p->prevp = p->next;
	if (p->next)
		p->next->prevp = p->prevp;
	p->cb(&p->res, p->arg);
	free(p->res.out);
	free(p->res.err);
	free(p);
}

static void
maybe_finish(struct proc *p)
{
	if (!p->exited || p->eofs < 2)
		return;
	uv_close((uv_handle_t *)&p->timer, on_close);
	uv_close((uv_handle_t *)&p->process, on_close);
}

static void
pipe_done(struct proc *p, uv_pipe_t *pipe)
{
	int *done = pipe == &p->out ? &p->out_done : &p->err_done;

	if (*done)
		return;
	*done = 1;
	uv_read_stop((uv_stream_t *)pipe);
	uv_close((uv_handle_t *)pipe, on_close);
	p->eofs++;
}

static void
on_pipes_held(uv_timer_t *t)
{
	struct proc *p = t->data;

	pipe_done(p, &p->out);
	pipe_done(p, &p->err);
	maybe_finish(p);
}

static void
on_child_exit(uv_process_t *h, int64_t status, int signum)
{
	struct proc *p = h->data;

	p->exited = 1;
	p->res.exit_status = status;
	p->res.term_signal = signum;
	uv_timer_stop(&p->timer);
	/* a process it left behind may hold the pipes open: give up on them after a while */
	if (p->eofs < 2)
		uv_timer_start(&p->timer, on_pipes_held, PIPE_GRACE_MS, 0);
	maybe_finish(p);
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct proc *p = h->data;
	struct buf *buf = (uv_pipe_t *)h == &p->out ? &p->outbuf : &p->errbuf;

	if (buf->cap - buf->len < suggested + 1) {
		buf->cap = buf->len + suggested + 1;
		buf->data = xrealloc(buf->data, buf->cap);
	}
	*b = uv_buf_init(buf->data + buf->len, (unsigned)suggested);
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct proc *p = s->data;
	struct buf *buf = (uv_pipe_t *)s == &p->out ? &p->outbuf : &p->errbuf;

	(void)b;
	if (n > 0) {
		if (p->on_out && buf == &p->outbuf) {
			p->on_out(buf->data, (size_t)n, p->arg);
			return;
		}
		buf->len += (size_t)n;
		buf->data[buf->len] = '\0';
		return;
	}
	if (n == 0)
		return;
	/* UV_EOF or a read error: either way this pipe is done */
	pipe_done(p, (uv_pipe_t *)s);
	maybe_finish(p);
}

static void
on_timeout(uv_timer_t *t)
{
	struct proc *p = t->data;

	p->res.timed_out = 1;
	uv_process_kill(&p->process, SIGKILL);
}

struct proc *
proc_spawn_stream(uv_loop_t *loop, char *const argv[], uint64_t timeout_ms, proc_out_cb on_out, proc_cb cb,
		  void *arg)
{
	struct proc *p = xmalloc(sizeof(*p));
	uv_process_options_t options = { 0 };
	uv_stdio_container_t stdio[3];
	int r;

	memset(p, 0, sizeof(*p));
	p->cb = cb;
	p->on_out = on_out;
	p->arg = arg;
	p->started = now_ms();
	p->process.data = p->out.data = p->err.data = p->timer.data = p;
	uv_pipe_init(loop, &p->out, 0);
	uv_pipe_init(loop, &p->err, 0);
	uv_timer_init(loop, &p->timer);
	p->open = 4;
	p->next = running;
	p->prevp = &running;
	if (running)
		running->prevp = &p->next;
	running = p;
	nstarted++;

	stdio[0].flags = UV_IGNORE;
	stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[1].data.stream = (uv_stream_t *)&p->out;
	stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
	stdio[2].data.stream = (uv_stream_t *)&p->err;
	options.file = argv[0];
	options.args = (char **)argv;
	options.stdio = stdio;
	options.stdio_count = 3;
	options.exit_cb = on_child_exit;

	r = uv_spawn(loop, &p->process, &options);
	if (r < 0) {
		p->res.spawn_error = r;
		p->exited = 1;
		p->eofs = 2;
		p->out_done = p->err_done = 1;
		uv_close((uv_handle_t *)&p->out, on_close);
		uv_close((uv_handle_t *)&p->err, on_close);
		maybe_finish(p);
		return p;
	}
	p->spawned = 1;
	uv_read_start((uv_stream_t *)&p->out, on_alloc, on_read);
	uv_read_start((uv_stream_t *)&p->err, on_alloc, on_read);
	if (timeout_ms)
		uv_timer_start(&p->timer, on_timeout, timeout_ms, 0);
	return p;
}

struct proc *
proc_spawn(uv_loop_t *loop, char *const argv[], uint64_t timeout_ms, proc_cb cb, void *arg)
{
	return proc_spawn_stream(loop, argv, timeout_ms, NULL, cb, arg);
}

void
proc_kill(struct proc *p, int signum)
{
	if (p->spawned && !p->exited)
		uv_process_kill(&p->process, signum);
}

void
proc_kill_all(int signum)
{
	struct proc *p;

	for (p = running; p; p = p->next)
		if (p->spawned && !p->exited)
			uv_process_kill(&p->process, signum);
}

int
proc_started(void)
{
	return nstarted;
}
