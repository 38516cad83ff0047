"""The local control socket: an owner-only Unix socket beside the database that lets the CLI
hand a command to the process holding the file (DuckDB admits one process per file).

Wire format, both ways: a 4-byte big-endian length, then that many bytes of UTF-8 JSON. A
request is whatever the handler takes; the answer is ``{"code", "stdout", "stderr"}``.
Trust rests on the file system and the kernel: the socket (mode 0600) sits in a directory
of mode 0700, both owned by the server's uid, and each side checks the other's uid with
``SO_PEERCRED``.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import socket
import stat
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any, TextIO

log = logging.getLogger(__name__)

#: Exit code of a command the control channel could not run (busy, timed out, broken).
EXIT_CONTROL = 4
MAX_REQUEST_BYTES = 1 << 20
MAX_ANSWER_BYTES = 64 << 20
READ_TIMEOUT_S = 10.0
RUN_TIMEOUT_S = 3600.0
MAX_CLIENTS = 4
_SUN_PATH_MAX = 107  # sockaddr_un.sun_path holds 108 bytes with the final NUL
_HEADER = struct.Struct(">I")

Handler = Callable[[dict[str, Any]], int]


class ControlError(Exception):
    """The control channel failed: the command's outcome is unknown or it did not run."""


def control_socket_path(database_path: Path) -> Path:
    """Where the control socket of ``database_path`` lives: an owner-only folder beside it."""
    database_path = Path(database_path).resolve()
    return database_path.parent / f".{database_path.name}.control" / "socket"


def socket_trust_problems(path: Path, *, uid: int) -> list[str]:
    """Reasons not to trust the socket at ``path`` for a client of ``uid``; empty when fine.

    The folder must be a directory of ``uid`` with mode 0700, the socket a socket of ``uid``
    with mode 0600: then no other account can have bound it or reach it.
    """
    problems = []
    for item, kind, mode in ((path.parent, stat.S_ISDIR, 0o700), (path, stat.S_ISSOCK, 0o600)):
        try:
            st = item.lstat()
        except OSError as exc:
            return [f"{item}: {exc.strerror}"]
        if not kind(st.st_mode):
            problems.append(f"{item} is not a {'directory' if kind is stat.S_ISDIR else 'socket'}")
        if st.st_uid != uid:
            problems.append(f"{item} belongs to uid {st.st_uid}, not {uid}")
        if stat.S_IMODE(st.st_mode) != mode:
            problems.append(f"{item} has mode {stat.S_IMODE(st.st_mode):04o}, not {mode:04o}")
    return problems


def peer_uid(sock: socket.socket) -> int:
    """The uid of the process at the other end of a connected Unix socket (SO_PEERCRED)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid


def _send(sock: socket.socket, payload: dict[str, Any]) -> None:
    data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, size: int, deadline: float | None) -> bytes:
    chunks, left = [], size
    while left:
        if deadline is not None:  # the whole message, not each read, is bounded
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ControlError("timed out reading the message")
            sock.settimeout(remaining)
        chunk = sock.recv(min(left, 1 << 16))
        if not chunk:
            raise ControlError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _recv(sock: socket.socket, *, limit: int, within_s: float | None = None) -> dict[str, Any]:
    deadline = None if within_s is None else time.monotonic() + within_s
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size, deadline))
    if size > limit:
        raise ControlError(f"message of {size} bytes is over the limit of {limit}")
    try:
        payload = json.loads(_recv_exact(sock, size, deadline).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ControlError(f"not a JSON message: {exc}") from None
    if not isinstance(payload, dict):
        raise ControlError("a message is a JSON object")
    return payload


# -- output of a command run in a server thread ---------------------------------------------
class _Routed(io.TextIOBase):
    """sys.stdout/sys.stderr stand-in: a thread that captures writes into its own buffer,
    every other thread writes through to the stream it replaced."""

    def __init__(self, underlying: TextIO):
        self.underlying = underlying
        self.local = threading.local()

    def _target(self) -> TextIO:
        return getattr(self.local, "buffer", None) or self.underlying

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        return self._target().isatty()


_routing_lock = threading.Lock()


def _routed(name: str) -> _Routed:
    """sys.stdout or sys.stderr as a routed stream, wrapping whatever is there now (a test
    runner may have swapped it since the last call); a pass-through for other threads."""
    with _routing_lock:
        current = getattr(sys, name)
        if not isinstance(current, _Routed):
            current = _Routed(current)
            setattr(sys, name, current)
        return current


@contextlib.contextmanager
def captured_output() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """Capture what this thread prints (stdout, stderr) while the block runs."""
    out, err = io.StringIO(), io.StringIO()
    routed = ((_routed("stdout"), out), (_routed("stderr"), err))
    for stream, buffer in routed:
        stream.local.buffer = buffer
    try:
        yield out, err
    finally:
        for stream, _ in routed:
            stream.local.buffer = None


# -- server ---------------------------------------------------------------------------------
class ControlServer:
    """Listen on ``path`` and answer each request with what ``handler`` printed and returned.

    A listener thread accepts; each connection gets a thread that reads one bounded request
    (``max_request_bytes``, ``read_timeout_s``), runs the handler on a small pool with its
    output captured, and answers. Connections beyond ``max_clients`` are told the server is
    busy. No request, however malformed, ends the listener.
    """

    def __init__(
        self,
        path: Path,
        handler: Handler,
        *,
        max_request_bytes: int = MAX_REQUEST_BYTES,
        read_timeout_s: float = READ_TIMEOUT_S,
        run_timeout_s: float = RUN_TIMEOUT_S,
        max_clients: int = MAX_CLIENTS,
    ):
        self.path = Path(path)
        self.handler = handler
        self.max_request_bytes = max_request_bytes
        self.read_timeout_s = read_timeout_s
        self.run_timeout_s = run_timeout_s
        self._slots = threading.BoundedSemaphore(max_clients)
        self._pool = ThreadPoolExecutor(max_clients, thread_name_prefix="control-run")
        self._stop = threading.Event()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> ControlServer:
        """Create the owner-only folder, replace a stale socket file, bind and listen.

        Raises
        ------
        ControlError
            The path is too long, the folder is not ours, or a live server listens there.
        """
        if len(os.fsencode(self.path)) > _SUN_PATH_MAX:
            raise ControlError(f"socket path too long for a Unix socket: {self.path}")
        folder = self.path.parent
        folder.mkdir(mode=0o700, exist_ok=True)
        st = folder.lstat()
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
            raise ControlError(f"{folder} is not a directory of this user")
        os.chmod(folder, 0o700)
        if self.path.exists() or self.path.is_symlink():
            if _listening(self.path):
                raise ControlError(f"another process listens on {self.path}")
            self.path.unlink()  # stale: left by a server that did not stop cleanly
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(str(self.path))
        os.chmod(self.path, 0o600)  # the 0700 folder already keeps others out meanwhile
        sock.listen(16)
        sock.settimeout(0.5)  # to notice stop()
        self._sock = sock
        self._thread = threading.Thread(target=self._accept_loop, name="control", daemon=True)
        self._thread.start()
        log.info("control socket listening", extra={"path": str(self.path)})
        return self

    def stop(self) -> None:
        """Stop accepting, remove the socket file; commands still running finish on their own."""
        if self._sock is None:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        self._sock.close()
        self._sock = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self._pool.shutdown(wait=False)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                log.exception("control socket accept failed")
                continue
            if not self._slots.acquire(blocking=False):
                self._answer_quietly(conn, EXIT_CONTROL, "", "the server is busy; try again")
                continue
            try:
                threading.Thread(
                    target=self._serve_one, args=(conn,), name="control-conn", daemon=True
                ).start()
            except RuntimeError:  # no thread to be had: this client is told, the loop goes on
                self._slots.release()
                self._answer_quietly(conn, EXIT_CONTROL, "", "the server is busy; try again")

    def _serve_one(self, conn: socket.socket) -> None:
        try:
            with conn:
                conn.settimeout(self.read_timeout_s)
                uid = peer_uid(conn)
                if uid != os.getuid():
                    log.warning("control socket: refused peer", extra={"peer_uid": uid})
                    _send(conn, _answer(EXIT_CONTROL, "", f"uid {uid} may not use this server"))
                    return
                try:
                    request = _recv(
                        conn, limit=self.max_request_bytes, within_s=self.read_timeout_s
                    )
                except (ControlError, OSError) as exc:
                    # a probe (is a server there?) connects and leaves: no one to answer
                    with contextlib.suppress(OSError):
                        _send(conn, _answer(EXIT_CONTROL, "", f"bad request: {exc}"))
                    return
                future = self._pool.submit(self._run, request)
                try:
                    code, out, err = future.result(timeout=self.run_timeout_s)
                except FutureTimeout:
                    code, out, err = (
                        EXIT_CONTROL,
                        "",
                        f"no answer within {self.run_timeout_s:g} s; the command may still "
                        "finish in the server (see its log)",
                    )
                conn.settimeout(self.read_timeout_s)
                _send(conn, _answer(code, out, err))
        except Exception:  # a client gone away or any surprise: this connection only
            log.exception("control connection failed")
        finally:
            self._slots.release()

    def _run(self, request: dict[str, Any]) -> tuple[int, str, str]:
        with captured_output() as (out, err):
            try:
                code = int(self.handler(request))
            except SystemExit as exc:  # argparse on a bad command line
                code = exc.code if isinstance(exc.code, int) else 2
            except Exception:
                log.exception("control command failed")
                print("cityops: internal error in the server (see its log)", file=sys.stderr)
                code = EXIT_CONTROL
        return code, out.getvalue(), err.getvalue()

    def _answer_quietly(self, conn: socket.socket, code: int, out: str, err: str) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(1.0)
            _send(conn, _answer(code, out, err))


def _answer(code: int, stdout: str, stderr: str) -> dict[str, Any]:
    return {"code": code, "stdout": stdout, "stderr": stderr}


def _listening(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def server_listening(database_path: Path) -> bool:
    """Whether a live process (server or worker) answers on the control socket of the
    database ``database_path``."""
    path = control_socket_path(database_path)
    return (path.exists() or path.is_symlink()) and _listening(path)


# -- client ---------------------------------------------------------------------------------
def send_request(
    path: Path,
    request: dict[str, Any],
    *,
    timeout_s: float = RUN_TIMEOUT_S + 30,
    warn: TextIO | None = None,
) -> dict[str, Any] | None:
    """Hand ``request`` to the server listening on ``path`` and return its answer.

    Returns None when no server can take it: no socket, a stale socket file nobody listens
    on, or a socket that fails the trust checks (then the reasons go to ``warn``), so the
    caller opens the database itself.

    Raises
    ------
    ControlError
        A server took the request but the exchange failed (timeout, broken connection).
    """
    if not (path.exists() or path.is_symlink()):
        return None
    problems = socket_trust_problems(path, uid=os.getuid())
    if problems:
        if warn is not None:
            print(f"cityops: not using the control socket: {'; '.join(problems)}", file=warn)
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    with sock:
        sock.settimeout(READ_TIMEOUT_S)
        try:
            sock.connect(str(path))
        except (FileNotFoundError, ConnectionRefusedError):
            return None  # stale: the server that made it is gone
        except OSError as exc:
            raise ControlError(f"cannot connect to {path}: {exc}") from None
        uid = peer_uid(sock)
        if uid != os.getuid():
            if warn is not None:
                print(f"cityops: not using the control socket: served by uid {uid}", file=warn)
            return None
        try:
            with contextlib.suppress(BrokenPipeError):  # refused unread: its answer waits
                _send(sock, request)
            sock.settimeout(timeout_s)
            answer = _recv(sock, limit=MAX_ANSWER_BYTES)
        except OSError as exc:
            raise ControlError(f"the server did not answer: {exc}") from None
    if not isinstance(answer.get("code"), int):
        raise ControlError("the server's answer has no exit code")
    return answer
