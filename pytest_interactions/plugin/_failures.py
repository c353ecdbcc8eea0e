"""The plugin's own failures raised as their documented classes, so that ``xfail(raises=...)`` can
name them, yet reported as ``pytest.fail(..., pytrace=False)`` would: the message alone, once."""

from __future__ import annotations

from typing import Any, NoReturn

import pytest

from pytest_interactions.plugin._keys import RAISED_KEY


def raise_as_itself(node: pytest.Item, error: Exception) -> NoReturn:
    """Raise ``error`` (a finding of the plugin, not the test's own); its report is its message."""
    __tracebackhide__ = True
    node.stash[RAISED_KEY] = error
    raise error


def message_report(item: pytest.Item, call: pytest.CallInfo[Any]) -> Any | None:
    """The report of a failure :func:`raise_as_itself` raised in this phase: ``Name: message``
    without a traceback through the plugin; ``None`` for any other outcome."""
    raised = item.stash.get(RAISED_KEY, None)
    if raised is None or call.excinfo is None or call.excinfo.value is not raised:
        return None
    del item.stash[RAISED_KEY]  # its traceback holds the session: not kept to the end of the run
    try:
        pytest.fail(f"{type(raised).__name__}: {raised}", pytrace=False)
    except pytest.fail.Exception:
        return item.repr_failure(pytest.ExceptionInfo.from_current())
