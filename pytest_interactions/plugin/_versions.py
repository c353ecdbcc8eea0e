"""The installed versions of the libraries a recording depends on, for the report header.

A test that passes on one machine and fails on another often differs only by a release of one of
these; naming them at the top of every run makes that difference the first thing a reader sees.
"""

from __future__ import annotations

from importlib import metadata

#: The distributions whose behaviour shapes what is recorded and replayed, in the header's order.
KEY_DISTRIBUTIONS = (
    "httpx",
    "httpx2",
    "httpx-sse",
    "h11",
    "pyyaml",
    "vcrpy",
    "time-machine",
    "google-genai",
    "openai",
    "aiohttp",
    "requests",
)


def installed_versions(names: tuple[str, ...] = KEY_DISTRIBUTIONS) -> dict[str, str]:
    """Each of ``names`` that is installed, with its version; the others are left out."""
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def libyaml_version() -> str | None:
    """The libyaml that PyYAML reads with, or ``None`` where it falls back to pure Python."""
    try:
        from yaml import _yaml
    except ImportError:
        return None
    return str(_yaml.get_version_string())


def versions_line() -> str:
    """``pytest-interactions 0.1.0 with httpx 0.28.1, pyyaml 6.0.4 (libyaml 0.2.5), ...``."""
    parts = []
    for name, version in installed_versions().items():
        if name == "pyyaml":
            libyaml = libyaml_version()
            version += f" (libyaml {libyaml})" if libyaml else " (pure Python)"
        parts.append(f"{name} {version}")
    return f"pytest-interactions {metadata.version('pytest-interactions')} with {', '.join(parts)}"
