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
import os
import socket
import sys
import threading
import traceback
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from pytest_interactions._errors import Error


class NetworkBlockedError(Error, ConnectionRefusedError):
    """A replaying test tried to reach the network."""


_lock = threading.Lock()
_depth = 0
_original_connect: Any = None
_original_connect_ex: Any = None
_blocked: list[str] = []


@dataclass
class Blocking:
    """One active block: what it lets through, why it blocks, and what it refused."""

    reason: str
    allowed: frozenset[str] = frozenset()
    attempts: list[str] = field(default_factory=list)

    def allows(self, host: str) -> bool:
        return host in self.allowed


_active: list[Blocking] = []


_hook_installed = False
_INET = (socket.AF_INET, socket.AF_INET6)
_LOOKUPS = ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex")
_REVERSE = ("socket.gethostbyaddr", "socket.getnameinfo")


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # unix sockets and the like
    return _is_local_host(address[0]) or _allowed(address[0])


def _allowed(host: Any) -> bool:
    """Let through by every active block's allow-list."""
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    name = str(host).split("%")[0]
    return bool(_active) and all(block.allows(name) for block in _active)


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


def _call_site() -> str:
    """The innermost frame of the code under test that made the call (not a library's)."""
    package = os.path.dirname(os.path.dirname(__file__))
    for frame in reversed(traceback.extract_stack()[:-3]):
        name = frame.filename
        if (
            name.startswith(package)
            or "site-packages" in name
            or name.startswith(sys.prefix)
            or (name.startswith(sys.base_prefix) or name.startswith("<"))
        ):
            continue
        return f"{name}:{frame.lineno} in {frame.name}"
    return "an unknown place"


def _refuse(address: Any, what: str = "a connection to") -> None:
    where = f"{address[0]}:{address[1]}" if isinstance(address, tuple) and len(address) > 1 else str(address)
    reason = _active[-1].reason if _active else "during replay"
    message = f"pytest-interactions blocked {what} {where} {reason}, from {_call_site()}"
    if reason == "during replay":
        message += "; record the cassette again (--interactions-record-mode=all) or mock this call"
    _blocked.append(message)
    for block in _active:
        block.attempts.append(message)
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
        if host is not None and not _is_local_host(host) and not _is_address(host) and not _allowed(host):
            _refuse(host, "a DNS look-up of")
    elif event in _REVERSE:
        target = args[0]
        host = target[0] if isinstance(target, tuple) else target
        if not _is_local_host(host) and not _allowed(host):
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


def _addresses(hosts: Collection[str]) -> frozenset[str]:
    """The hosts, with the addresses their names resolve to (looked up before anything is blocked)."""
    found = set(hosts)
    for host in hosts:
        if _is_address(host):
            continue
        with contextlib.suppress(OSError, UnicodeError):
            found.update(str(info[4][0]) for info in socket.getaddrinfo(host, None))
    return frozenset(found)


@contextlib.contextmanager
def block_network(allow: Collection[str] = (), *, reason: str = "during replay") -> Iterator[Blocking]:
    """Refuse connections to non-loopback addresses (but ``allow``'s) for the duration.

    Yields the block, whose ``attempts`` lists every refusal made while it was active, so that a
    test fails even when the code under test swallowed the error.
    """
    global _depth, _original_connect, _original_connect_ex
    block = Blocking(reason, _addresses(allow))
    with _lock:
        _install_audit_hook()
        _active.append(block)
        if _depth == 0:
            _blocked.clear()
            _original_connect = socket.socket.connect
            _original_connect_ex = socket.socket.connect_ex
            socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
            socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]
        _depth += 1
    try:
        yield block
    finally:
        with _lock:
            _active.remove(block)
            _depth -= 1
            if _depth == 0:
                socket.socket.connect = _original_connect  # type: ignore[method-assign]
                socket.socket.connect_ex = _original_connect_ex  # type: ignore[method-assign]
