"""While a test replays nothing leaves the machine, however low-level the path it takes."""

from __future__ import annotations

import _socket
import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_interactions.cassette import Cassette, save_cassette
from pytest_interactions.session import use_cassette
from pytest_interactions.transport import NetworkBlockedError

TEST_NET = ("203.0.113.1", 80)  # TEST-NET-3: documentation only, never routed


@pytest.fixture
def replaying(tmp_path: Path) -> Iterator[None]:
    cassette = tmp_path / "empty.yaml"
    save_cassette(cassette, Cassette())
    # Refusals the test catches still fail the session when it ends.
    with pytest.raises(NetworkBlockedError, match="blocked"), use_cassette(cassette, "none"):
        yield


@pytest.fixture
def replaying_loopback(tmp_path: Path) -> Iterator[None]:
    """A replay in which nothing is refused: the session ends without error."""
    cassette = tmp_path / "empty.yaml"
    save_cassette(cassette, Cassette())
    with use_cassette(cassette, "none"):
        yield


@pytest.mark.usefixtures("replaying")
def test_the_c_level_connect_is_refused() -> None:
    with (
        socket.socket() as sock,
        pytest.raises(NetworkBlockedError, match=r"a connection to 203\.0\.113\.1:80"),
    ):
        _socket.socket.connect(sock, TEST_NET)
    with socket.socket() as sock, pytest.raises(NetworkBlockedError):
        _socket.socket.connect_ex(sock, TEST_NET)


@pytest.mark.usefixtures("replaying")
def test_datagrams_to_the_network_are_refused_and_to_loopback_pass() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        with pytest.raises(NetworkBlockedError, match=r"a datagram to 203\.0\.113\.1:53"):
            sock.sendto(b"query", ("203.0.113.1", 53))
        with pytest.raises(NetworkBlockedError):
            sock.sendmsg([b"query"], [], 0, ("203.0.113.1", 53))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
            receiver.bind(("127.0.0.1", 0))
            receiver.settimeout(5)
            sock.sendto(b"local", receiver.getsockname())
            assert receiver.recv(16) == b"local"


@pytest.mark.skipif(not hasattr(socket, "MSG_FASTOPEN"), reason="TCP Fast Open is Linux only")
@pytest.mark.usefixtures("replaying")
def test_tcp_fast_open_is_refused() -> None:
    with socket.socket() as sock, pytest.raises(NetworkBlockedError):
        sock.sendto(b"GET / HTTP/1.1\r\n\r\n", socket.MSG_FASTOPEN, TEST_NET)


@pytest.mark.usefixtures("replaying")
@pytest.mark.parametrize(
    "lookup",
    [
        lambda: socket.getaddrinfo("example.com", 443),
        lambda: _socket.getaddrinfo("example.com", 443),
        lambda: socket.gethostbyname("example.com"),
        lambda: socket.gethostbyname_ex("example.com"),
        lambda: socket.gethostbyaddr("203.0.113.1"),
    ],
    ids=["getaddrinfo", "_socket.getaddrinfo", "gethostbyname", "gethostbyname_ex", "gethostbyaddr"],
)
def test_dns_look_ups_of_other_names_are_refused(lookup: object) -> None:
    with pytest.raises(NetworkBlockedError, match="DNS look-up of"):
        lookup()  # type: ignore[operator]


@pytest.mark.usefixtures("replaying_loopback")
def test_loopback_names_and_literal_addresses_still_resolve() -> None:
    assert socket.getaddrinfo("localhost", 80)
    assert socket.getaddrinfo("127.0.0.1", 80)
    assert socket.getaddrinfo("203.0.113.1", 80)  # a literal address asks no DNS server
    assert socket.gethostbyname("localhost")


def test_outside_replay_nothing_is_refused() -> None:
    # No DNS on this machine gives gaierror; what matters is that pytest-interactions refused nothing.
    with contextlib.suppress(socket.gaierror):
        socket.getaddrinfo("example.com", 443)
