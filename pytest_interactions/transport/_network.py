"""Refusing sockets to hosts other than loopback while replaying."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
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


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # unix sockets and the like
    host = str(address[0])
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(address: Any) -> None:
    message = (
        f"pytest-interactions blocked a connection to {address[0]}:{address[1]} during replay; "
        "record the cassette again (--interactions-record-mode=once/new_episodes) or mock this call"
    )
    _blocked.append(message)
    raise NetworkBlockedError(message)


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
