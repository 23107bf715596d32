#!/usr/bin/env -S python3 -S
"""oc-sim-server SOCKET: a fork server of scripts/oc-sim, for the test suite.

Every oc call of the suite is one oc-sim process, and most of such a process's time
goes to starting python and importing the simulator (some 45 of 50 ms), not to the
simulation.  This server imports oc_sim once, listens on the Unix socket SOCKET, and
forks one child per connection of test/forkserver/oc-sim-client (the suite's `oc`);
the child takes the client's stdin, stdout and stderr (passed over the socket), its
arguments, environment, working directory and umask, then runs exactly what
`scripts/oc-sim ARGS` runs: oc_sim.run_status().  So each call is still a process of
its own, with the simulator's module state fresh from import, its own file locks and
its own signal handling; the simulation, its texts and its exit codes do not change.

The protocol, client -> child: one message of a 4-byte length (native int) with the
three descriptors (SCM_RIGHTS), then that many bytes: NUL-terminated fields cwd,
umask (octal), argc, the arguments (argv[0] first), the environment.  Child ->
client: its pid (4 bytes), then, when the call ends, "x" and the exit status (4
bytes).  The client forwards SIGTERM, SIGINT, SIGHUP and SIGQUIT to the pid; when the
client is gone (SIGKILL: the socket reaches end of file) the child kills itself with
SIGKILL, as the oc process it stands for would have died.
"""
import gc
import io
import os
import random
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


def recv_request(conn):
    """The client's descriptors 0-2 and its NUL-terminated fields."""
    msg, fds, _, _ = socket.recv_fds(conn, INT.size, 3)
    if len(msg) != INT.size or len(fds) != 3:
        raise EOFError("bad request header")
    (n,) = INT.unpack(msg)
    body = conn.recv(n, socket.MSG_WAITALL)
    if len(body) != n:
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


ENDED = threading.Event()


def watch_client(conn):
    """The client is gone when its end of the socket closes: die as it did."""
    try:
        while conn.recv(64):
            pass
    except OSError:
        pass
    if not ENDED.is_set():
        os.kill(os.getpid(), signal.SIGKILL)


def child(conn):
    """One oc call, in a forked child; never returns."""
    rc = 1
    try:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        try:
            fds, fields = recv_request(conn)
        except (EOFError, OSError, ValueError):
            os._exit(1)  # the client is gone before its request: nothing ran
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
        conn.sendall(INT.pack(os.getpid()))
        threading.Thread(target=watch_client, args=(conn,), daemon=True).start()
        rc = oc_sim.run_status()
    except BaseException:  # the child must end here, whatever happened
        traceback.print_exc()
        rc = 1
    ENDED.set()
    try:
        conn.sendall(b"x" + INT.pack(rc))
    except OSError:
        pass
    os._exit(rc)


SERVED = [0]


def on_term(*_):
    """SIGTERM: say how many calls the server forked (scripts/test shows it), exit 0."""
    sys.stderr.write("oc-sim-server: %d calls served\n" % SERVED[0])
    sys.stderr.flush()
    os._exit(0)


def serve(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ls.bind(path)
    ls.listen(128)
    # the children are reaped by the kernel; each reports its status to its client
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    # what the import made stays out of the collector's way: a collection in a child
    # would write to every object's header, copying all of the server's pages (the
    # copies are the child's own; measured: a `get dc` child runs in 12 ms, not 28)
    gc.freeze()
    while True:
        try:
            conn, _ = ls.accept()
        except InterruptedError:
            continue
        SERVED[0] += 1
        pid = os.fork()
        if pid == 0:
            ls.close()
            child(conn)
        conn.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: oc-sim-server SOCKET\n")
        sys.exit(2)
    signal.signal(signal.SIGTERM, on_term)
    serve(sys.argv[1])
