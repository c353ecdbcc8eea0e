"""Where a test's cassette lives, and what its marker says once module, class and function merge."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from pytest_interactions.plugin import _options

_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-\[\]]+")
#: Longest cassette file name kept as it is; longer ones are shortened with a hash.
MAX_NAME = 120
#: The parameter that ``disconnect="each-event"`` adds (all its runs share one cassette).
CUT_PARAM = "_interactions_cut"


def marker_kwargs(node: Any) -> dict[str, Any]:
    """The ``interactions`` marker's options, merged: module, class and function markers combine,
    the closest one winning for each option it names."""
    merged: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(_options.MARKER))):
        merged.update(marker.kwargs)
    return merged


def has_marker(node: Any) -> bool:
    return node.get_closest_marker(_options.MARKER) is not None


def test_name(node: Any) -> str:
    """``Class.test[params]``: unique within a module, without the cut point of an each-event run."""
    base = str(getattr(node, "originalname", None) or node.name)
    classes = [n.name for n in node.listchain() if isinstance(n, pytest.Class)]
    name = ".".join([*classes, base])
    callspec = getattr(node, "callspec", None)
    if callspec is not None:
        ids = list(getattr(callspec, "_idlist", []))
        point = callspec.params.get(CUT_PARAM)
        cut_id = getattr(point, "test_id", None) if point is not None else None
        if CUT_PARAM in callspec.params:
            cut_id = cut_id or ("recording" if point is None else None)
            ids = [i for i in ids if i != cut_id]
        elif not ids:
            ids = [callspec.id]
        if ids:
            name += f"[{'-'.join(ids)}]"
    return name


def file_name(name: str) -> str:
    """A safe file name for ``name``; an over-long one keeps its start and gains a short hash."""
    safe = _UNSAFE.sub("_", name)
    if len(safe) > MAX_NAME:
        digest = hashlib.sha1(safe.encode("utf-8")).hexdigest()[:10]
        safe = f"{safe[: MAX_NAME - 11]}-{digest}"
    return f"{safe}.yaml"


def default_cassette_path(config: pytest.Config, node_path: Path, name: str, cassette: str | None) -> Path:
    """``<cassette dir>/<cassette>`` or ``<cassette dir>/<module path>/<test name>.yaml``."""
    root = Path(config.rootpath)
    directory = Path(_options.cassette_dir(config))
    if not directory.is_absolute():
        directory = root / directory
    if cassette:
        path = directory / cassette
        return path if path.suffix else path.with_suffix(".yaml")
    if _options.cassette_layout(config) == "pytest-recording":
        # pytest-recording's own rule: these characters become "-", nothing else changes.
        kept = name.translate({ord(c): "-" for c in "<>?%*:|\"'/\\"})
        return node_path.parent / "cassettes" / node_path.stem / f"{kept}.yaml"
    module = node_path.with_suffix("")
    try:
        module = module.relative_to(root)
    except ValueError:
        module = Path(module.name)
    return directory / module / file_name(name)


def cassette_path(config: pytest.Config, node: Any, options: dict[str, Any] | None = None) -> Path:
    """The cassette of a test (an item, or a function definition at collection)."""
    options = marker_kwargs(node) if options is None else options
    return default_cassette_path(config, Path(str(node.path)), test_name(node), options.get("cassette"))
