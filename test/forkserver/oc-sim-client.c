/*
 * oc-sim-client: the suite's `oc`, a client of test/forkserver/oc-sim-server.py.
 *
 * It connects to the Unix socket $OC_SIM_SERVER and hands the server its stdin,
 * stdout and stderr, its arguments, environment, working directory and umask; a
 * worker of the server (a process forked from it, with the simulator already
 * imported) runs the call (see oc-sim-server.py for the protocol).  The client
 * forwards SIGTERM, SIGINT, SIGHUP and SIGQUIT to that worker until it exits, and
 * exits with the call's status, so the program under test sees one oc process that
 * behaves as `scripts/oc-sim ARGS` does.  Without
 * $OC_SIM_SERVER, or when no server answers, it runs OC_SIM_PATH itself.
 *
 * A test fixture, not part of the product: built with the unit tests, never installed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <fcntl.h>

extern char **environ;

static volatile sig_atomic_t child_pid; /* the worker that runs the call */
static volatile sig_atomic_t forwarded;
static const int forward[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT};
#define NFORWARD (sizeof forward / sizeof forward[0])

static void
on_signal(int sig)
{
	forwarded = sig;
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/* run the simulator directly, as if there were no server */
static void
fallback(char **argv)
{
	const char *sim = OC_SIM_PATH;
	argv[0] = (char *)sim;
	execv(sim, argv);
	fprintf(stderr, "oc-sim-client: cannot run %s: %s\n", sim, strerror(errno));
	_exit(127);
}

struct buf {
	char *p;
	size_t len, cap;
};

static void
put(struct buf *b, const char *s)
{
	size_t n = strlen(s) + 1;
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p) {
			perror("oc-sim-client");
			_exit(127);
		}
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static int
connect_server(void)
{
	const char *path = getenv("OC_SIM_SERVER");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (!path || !*path || strlen(path) >= sizeof sa.sun_path)
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* send the request: a length with descriptors 0-2, then the fields */
static int
send_request(int fd, int argc, char **argv)
{
	struct buf b = {0};
	char cwd[4096], num[32];
	mode_t mask = umask(0);
	int fds[3], i, rc;

	umask(mask);
	put(&b, getcwd(cwd, sizeof cwd) ? cwd : "/");
	snprintf(num, sizeof num, "%o", (unsigned)mask);
	put(&b, num);
	snprintf(num, sizeof num, "%d", argc);
	put(&b, num);
	for (i = 0; i < argc; i++)
		put(&b, argv[i]);
	for (char **e = environ; *e; e++)
		put(&b, *e);
	for (i = 0; i < 3; i++) {
		fds[i] = i;
		if (fcntl(i, F_GETFD) < 0)
			fds[i] = open("/dev/null", O_RDWR | O_CLOEXEC);
	}

	int len = (int)b.len;
	struct iovec iov = {.iov_base = &len, .iov_len = sizeof len};
	union {
		char buf[CMSG_SPACE(sizeof fds)];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(c), fds, sizeof fds);
	rc = sendmsg(fd, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof len ? 0 : -1;
	for (size_t off = 0; rc == 0 && off < b.len;) {
		ssize_t n = send(fd, b.p + off, b.len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rc = -1;
		else
			off += (size_t)n;
	}
	free(b.p);
	return rc;
}

/* read exactly n bytes; 0 on success, -1 at end of file or on error */
static int
read_exact(int fd, void *p, size_t n)
{
	char *c = p;
	while (n > 0) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* end as the call did: its exit status, or, when the worker died without one, by the
 * signal forwarded to it (or SIGKILL) */
static void
die(int sig)
{
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

int
main(int argc, char **argv)
{
	sigset_t block, old;
	struct sigaction sa = {.sa_handler = on_signal};
	int fd, pid, status;
	char tag;
	size_t i;

	fd = connect_server();
	if (fd < 0)
		fallback(argv);
	/* signals wait until the worker's pid is known, then go to it */
	sigemptyset(&block);
	for (i = 0; i < NFORWARD; i++)
		sigaddset(&block, forward[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (i = 0; i < NFORWARD; i++)
		sigaction(forward[i], &sa, NULL);
	if (send_request(fd, argc, argv) < 0 || read_exact(fd, &pid, sizeof pid) < 0) {
		/* nothing has run: the simulator itself can take the call */
		close(fd);
		for (i = 0; i < NFORWARD; i++)
			signal(forward[i], SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		fallback(argv);
	}
	child_pid = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (read_exact(fd, &tag, 1) < 0 || tag != 'x' || read_exact(fd, &status, sizeof status) < 0)
		die(forwarded ? forwarded : SIGKILL);
	return status;
}
