"""Every exception the package exports has one root, ``pytest_interactions.Error``, and keeps the
builtin base that says what kind of failure it is."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import pytest_interactions
from pytest_interactions import Error


def _public_exceptions() -> dict[str, type[BaseException]]:
    """The exception classes named in the ``__all__`` of the package and of each of its packages."""
    packages = [pytest_interactions.__name__] + [
        f"{pytest_interactions.__name__}.{info.name}"
        for info in pkgutil.iter_modules(pytest_interactions.__path__)
        if info.ispkg and not info.name.startswith("_")
    ]
    found: dict[str, type[BaseException]] = {}
    for package in packages:
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if (
                isinstance(value, type)
                and issubclass(value, BaseException)
                and not issubclass(value, Warning)
            ):
                found.setdefault(f"{value.__module__}.{value.__qualname__}", value)
    return found


PUBLIC = _public_exceptions()

#: The builtin base each public exception keeps beside ``Error``, for code that catches by kind.
BUILTIN_BASES: dict[str, type[BaseException]] = {
    "FaultNotAppliedError": AssertionError,
    "FaultSpecError": ValueError,
    "FaultWithoutForm": ValueError,
    "NetworkBlockedError": ConnectionRefusedError,
    "ProtocolCheckError": AssertionError,
    "RecordingUnavailableError": AssertionError,
    "UninterceptedRequestError": RuntimeError,
    "VirtualTimeError": RuntimeError,
}


def test_the_root_is_exported_from_the_package() -> None:
    assert "Error" in pytest_interactions.__all__
    assert issubclass(pytest_interactions.Error, Exception)
    assert PUBLIC, "no public exception found"


@pytest.mark.parametrize("cls", list(PUBLIC.values()), ids=list(PUBLIC))
def test_every_public_exception_derives_from_error(cls: type[BaseException]) -> None:
    assert issubclass(cls, Error), f"{cls.__module__}.{cls.__qualname__} does not derive from Error"


@pytest.mark.parametrize("name", sorted(BUILTIN_BASES))
def test_a_public_exception_keeps_its_builtin_base(name: str) -> None:
    classes = [cls for cls in PUBLIC.values() if cls.__name__ == name]
    assert classes, f"{name} is not exported"
    for cls in classes:
        assert issubclass(cls, BUILTIN_BASES[name])


def test_the_top_level_exports_are_the_same_classes_as_the_layers() -> None:
    from pytest_interactions.cassette import CassetteError
    from pytest_interactions.plugin import RecordingUnavailableError
    from pytest_interactions.transport import NetworkBlockedError

    assert pytest_interactions.CassetteError is CassetteError
    assert pytest_interactions.RecordingUnavailableError is RecordingUnavailableError
    assert pytest_interactions.NetworkBlockedError is NetworkBlockedError
