"""The root of the package's exceptions, so that a suite can catch every one of them at once."""

from __future__ import annotations


class Error(Exception):
    """The root of every exception pytest-interactions raises.

    Each one also keeps a builtin base that says what kind of failure it is (``AssertionError`` for a
    client that broke the protocol, ``ValueError`` for a specification that cannot be read, ...).
    """
