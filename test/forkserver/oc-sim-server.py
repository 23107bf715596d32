#!/usr/bin/env -S python3 -S
"""oc-sim-server SOCKET: a fork server of scripts/oc-sim, for the test suite.

Every oc call of the suite is one oc-sim process, and most of such a process's time
goes to starting python and importing the simulator (some 45 of 50 ms), not to the
simulation; a freshly forked child still pays some 20 ms in page faults, copying the
pages of the server it writes to.  This server imports oc_sim once, listens on the
Unix socket SOCKET and hands each connection of test/forkserver/oc-sim-client (the
suite's `oc`) to a worker: a child forked from the server that runs calls one after
another, so that its pages are its own after its first calls.  The worker takes the
client's stdin, stdout and stderr (passed over the socket), its arguments,
environment, working directory and umask, calls oc_sim.fresh_call() (the module
state a new process starts with), then runs exactly what `scripts/oc-sim ARGS` runs:
oc_sim.run_status().  The simulation, its texts and its exit codes do not change;
each call still takes and releases its own file locks.

A worker serves one call at a time; the server forks another when none is idle, so
that calls that wait (watches, rollout status) never hold others up.  A worker ends
(and is replaced) when a signal reached it, when its call raised, when a call left
a file or a thread open, or after MAX_CALLS calls.

The protocol, client -> worker: one message of a 4-byte length (native int) with
the three descriptors (SCM_RIGHTS), then that many bytes: NUL-terminated fields cwd,
umask (octal), argc, the arguments (argv[0] first), the environment.  Worker ->
client: its pid (4 bytes), then, when the call ends, "x" and the exit status (4
bytes); the client then exits, closing the socket.  The client forwards SIGTERM,
SIGINT, SIGHUP and SIGQUIT to the pid until it exits, and the worker waits for that
end of file before it takes another call, so a forwarded signal never reaches
another call.  When the client is gone during the call (SIGKILL: the socket reaches
end of file) the worker kills itself with SIGKILL, as the oc process it stands for
would have died.  Server <-> worker: a socket pair; the server sends "c" with the
client's connection (SCM_RIGHTS), the worker answers "i" when it is idle again.
"""
import gc
import io
import os
import random
import select
import signal
import socket
import struct
import sys
import threading
import traceback

here = os.path.dirname(os.path.realpath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "scripts"))
sys.dont_write_bytecode = False
import oc_sim  # noqa: E402

INT = struct.Struct("i")
MAX_CALLS = 500
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)


def recv_request(conn):
    """The client's descriptors 0-2 and its NUL-terminated fields."""
    msg, fds, _, _ = socket.recv_fds(conn, INT.size, 3)
    if len(msg) != INT.size or len(fds) != 3:
        for fd in fds:
            os.close(fd)
        raise EOFError("bad request header")
    (n,) = INT.unpack(msg)
    body = conn.recv(n, socket.MSG_WAITALL)
    if len(body) != n:
        for fd in fds:
            os.close(fd)
        raise EOFError("short request")
    return fds, body.split(b"\0")[:-1]


def std_streams():
    """New sys.stdin/stdout/stderr on descriptors 0-2, set up as python's start-up
    sets them (stdout line-buffered only on a terminal, stderr always)."""
    def stream(fd, mode):
        raw = open(fd, mode + "b", buffering=0, closefd=False)
        buf = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
        tty = os.isatty(fd)
        return io.TextIOWrapper(buf, encoding="utf-8",
                                errors="strict" if fd == 0 or fd == 1 else "backslashreplace",
                                line_buffering=(fd == 2 or tty))
    sys.stdin, sys.stdout, sys.stderr = stream(0, "r"), stream(1, "w"), stream(2, "w")
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr


class Call:
    """One client's connection: a thread reads it to its end of file; an end before
    the call has ended means the client was killed, and the worker dies as it did."""

    def __init__(self, conn):
        self.conn = conn
        self.ended = threading.Event()
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self.watch, daemon=True)
        self.thread.start()

    def watch(self):
        try:
            while self.conn.recv(64):
                pass
        except OSError:
            pass
        if not self.ended.is_set():
            os.kill(os.getpid(), signal.SIGKILL)
        self.closed.set()


def release_stdio(devnull):
    """Descriptors 0-2 back to /dev/null, and new sys.stdin/stdout/stderr on them: the
    client's pipes are the client's again, and nothing a call left in a buffer can reach
    the next call's."""
    for i in range(3):
        os.dup2(devnull, i)
    std_streams()


def run_call(conn, devnull):
    """Serve one call on conn; True when this worker may take another."""
    try:
        fds, fields = recv_request(conn)
    except (EOFError, OSError, ValueError):
        conn.close()  # the client is gone before its request: nothing ran
        return True
    for i, fd in enumerate(fds):
        os.dup2(fd, i)
        if fd > 2:
            os.close(fd)
    cwd, umask, argc = fields[0], fields[1], int(fields[2])
    argv = [a.decode("utf-8", "surrogateescape") for a in fields[3:3 + argc]]
    os.environ.clear()
    for e in fields[3 + argc:]:
        k, _, v = e.partition(b"=")
        if k:
            os.environb[k] = v
    try:
        os.chdir(cwd)
    except OSError:
        pass
    os.umask(int(umask, 8))
    sys.argv = argv
    random.seed()
    std_streams()
    oc_sim.fresh_call()
    reuse = True
    call = Call(conn)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a new python
    conn.sendall(INT.pack(os.getpid()))
    try:
        rc = oc_sim.run_status()
        # from here to the client's end of file, a forwarded signal ends the worker
        for s in FORWARDED:
            signal.signal(s, signal.SIG_DFL)
    except SystemExit as e:  # SIGTERM just as the call ended: oc-sim exits 143 then
        rc, reuse = e.code if isinstance(e.code, int) else 1, False
    except BaseException:  # the call must end here, whatever happened
        traceback.print_exc()
        rc, reuse = 1, False
    for s in FORWARDED:
        signal.signal(s, signal.SIG_DFL)
    call.ended.set()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        pass
    release_stdio(devnull)
    try:
        conn.sendall(b"x" + INT.pack(rc))
    except OSError:
        pass
    if not call.closed.wait(10):
        reuse = False
    call.thread.join(1)
    conn.close()
    return reuse and threading.active_count() == 1


def worker(psock, devnull):
    """A worker's life: calls handed over by the server, one at a time."""
    fds = set(os.listdir("/proc/self/fd"))
    for _ in range(MAX_CALLS):
        msg, got, _, _ = socket.recv_fds(psock, 1, 1)
        if not msg or not got:
            break  # the server is gone
        try:
            if not run_call(socket.socket(fileno=got[0]), devnull):
                break
        except BaseException:  # a client gone mid-request, a bad request: end here
            os._exit(1)
        # a call that left a file open ends its worker: the next call starts clean
        if set(os.listdir("/proc/self/fd")) != fds:
            break
        psock.send(b"i")
    os._exit(0)


SERVED = [0, 0]  # calls, workers


def on_term(*_):
    """SIGTERM: say how many calls the server handed out and how many workers ran them
    (scripts/test shows it), exit 0."""
    sys.stderr.write("oc-sim-server: %d calls served by %d workers\n" % (SERVED[0], SERVED[1]))
    sys.stderr.flush()
    os._exit(0)


def spawn(ls, others):
    """A new idle worker; its end of the pair stays in the worker alone."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        for s in [ls, mine] + others:
            s.close()
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDWR)
        release_stdio(devnull)
        worker(theirs, devnull)
    theirs.close()
    SERVED[1] += 1
    return mine


def serve(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(128)
    # the workers are reaped by the kernel; each reports its calls' statuses to the clients
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    # what the import made stays out of the collector's way: a collection in a worker
    # would write to every object's header, copying all of the server's pages
    gc.freeze()
    idle, busy = [], []
    while True:
        # a worker ready before the next connection is accepted, so that no worker is
        # forked holding a client's connection
        if not idle:
            idle.append(spawn(ls, busy))
        try:
            ready, _, _ = select.select([ls] + idle + busy, [], [])
        except InterruptedError:
            continue
        # the workers' news first: a worker that has just become idle takes the call
        # rather than the spare (its pages are its own already)
        for s in sorted(ready, key=lambda s: s is ls):
            if s is ls:
                if not idle:
                    continue  # served this round; the next round forks a worker
                conn, _ = ls.accept()
                w = idle.pop()
                try:
                    socket.send_fds(w, [b"c"], [conn.fileno()])
                    busy.append(w)
                    SERVED[0] += 1
                except OSError:
                    w.close()  # that worker is gone; the client falls back to oc-sim
                conn.close()
                continue
            try:
                msg = s.recv(1)
            except OSError:
                msg = b""
            if s in busy:
                busy.remove(s)
            elif s in idle:
                idle.remove(s)
            if msg == b"i":
                idle.append(s)
            else:
                s.close()  # that worker has ended


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: oc-sim-server SOCKET\n")
        sys.exit(2)
    signal.signal(signal.SIGTERM, on_term)
    serve(sys.argv[1])
