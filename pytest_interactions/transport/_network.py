"""Refusing sockets to hosts other than loopback while replaying.

Two layers: ``socket.socket.connect`` is replaced (a clear error before anything is dialled), and
an audit hook (:pep:`578`) refuses what reaches the C socket module by other paths:
``_socket.socket.connect``, ``sendto`` / ``sendmsg`` to an address (UDP, TCP Fast Open) and DNS
look-ups of names other than ``localhost``. Child processes and C code calling the C library
directly are out of reach of both (see docs/reliability.md).
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
import threading
from collections.abc import Iterator
from typing import Any


class NetworkBlockedError(ConnectionRefusedError):
    """A replaying test tried to reach the network."""


_lock = threading.Lock()
_depth = 0
_original_connect: Any = None
_original_connect_ex: Any = None
_blocked: list[str] = []


_hook_installed = False
_INET = (socket.AF_INET, socket.AF_INET6)
_LOOKUPS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex")
_REVERSE = ("socket.gethostbyaddr", "socket.getnameinfo")


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # unix sockets and the like
    return _is_local_host(address[0])


def _is_local_host(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host)
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _is_address(host: Any) -> bool:
    """A literal IP address: looking it up asks no DNS server."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    try:
        ipaddress.ip_address(str(host).split("%")[0])
    except ValueError:
        return False
    return True


def _refuse(address: Any, what: str = "a connection to") -> None:
    where = f"{address[0]}:{address[1]}" if isinstance(address, tuple) and len(address) > 1 else str(address)
    message = (
        f"pytest-interactions blocked {what} {where} during replay; "
        "record the cassette again (--interactions-record-mode=once/new_episodes) or mock this call"
    )
    _blocked.append(message)
    raise NetworkBlockedError(message)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Refuse, while blocking, what reaches the C socket module without ``socket.socket.connect``."""
    if _depth == 0 or not event.startswith("socket."):
        return
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[1]
        if address is None or getattr(sock, "family", None) not in _INET:
            return
        if not _is_local(address):
            _refuse(address, "a connection to" if event == "socket.connect" else "a datagram to")
    elif event in _LOOKUPS:
        host = args[0]
        if host is not None and not _is_local_host(host) and not _is_address(host):
            _refuse(host, "a DNS look-up of")
    elif event in _REVERSE:
        target = args[0]
        host = target[0] if isinstance(target, tuple) else target
        if not _is_local_host(host):
            _refuse(host, "a reverse DNS look-up of")


def _install_audit_hook() -> None:
    global _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)  # a hook stays for the life of the process; it idles when not blocking
        _hook_installed = True


def _connect(self: socket.socket, address: Any) -> None:
    if not _is_local(address):
        _refuse(address)
    _original_connect(self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    if not _is_local(address):
        _refuse(address)
    result: int = _original_connect_ex(self, address)
    return result


def blocked_attempts() -> list[str]:
    """Messages of the connections refused so far (cleared by :func:`block_network`)."""
    return list(_blocked)


@contextlib.contextmanager
def block_network() -> Iterator[None]:
    """Refuse connections to non-loopback addresses for the duration."""
    global _depth, _original_connect, _original_connect_ex
    with _lock:
        _install_audit_hook()
        if _depth == 0:
            _blocked.clear()
            _original_connect = socket.socket.connect
            _original_connect_ex = socket.socket.connect_ex
            socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
            socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                socket.socket.connect = _original_connect  # type: ignore[method-assign]
                socket.socket.connect_ex = _original_connect_ex  # type: ignore[method-assign]
