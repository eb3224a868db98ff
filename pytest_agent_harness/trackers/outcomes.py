"""Outcomes as the observer ranks them: from the exception a phase raised, and from what a
report claims; and one status for a test from its phases."""

from __future__ import annotations

from typing import Any

import pytest

RANK = {"passed": 0, "xpassed": 0, "skipped": 1, "xfailed": 1, "failed": 2, "error": 3}
SKIPS: tuple[type[BaseException], ...] = (pytest.skip.Exception,)
try:
    import unittest

    SKIPS += (unittest.SkipTest,)
except ImportError:  # pragma: no cover
    pass
try:
    from _pytest.skipping import xfailed_key
except ImportError:  # pragma: no cover - a future pytest: fall back to the marker
    xfailed_key = None  # type: ignore[assignment]


def expected_failure(item: pytest.Item, exc: BaseException) -> bool:
    if item.config.option.runxfail:
        return False
    if xfailed_key is None:
        return item.get_closest_marker("xfail") is not None
    xfailed = item.stash.get(xfailed_key, None)
    if not xfailed:
        return False
    raises = xfailed.raises
    if raises is None:
        return True
    if isinstance(raises, type | tuple):
        return isinstance(exc, raises)
    matches = getattr(raises, "matches", None)
    return bool(matches(exc)) if callable(matches) else False


def claimed(report: Any, when: str) -> str:
    outcome = str(getattr(report, "outcome", "failed"))
    if hasattr(report, "wasxfail"):
        return "xfailed" if outcome == "skipped" else "xpassed" if outcome == "passed" else "failed"
    if outcome == "failed":
        return "error" if when in ("setup", "teardown") else "failed"
    return outcome if outcome in RANK else "failed"


def aggregate(phases: dict[str, str]) -> str:
    """One status for a test from its phases: errors first, then the call, then skips.

    A subtest that fails fails the test; a skipped subtest of a passing test leaves it passed.
    """
    values = set(phases.values())
    if "error" in values or "failed" in (phases.get("setup"), phases.get("teardown")):
        return "error"
    if "failed" in values:
        return "failed"
    for phase in ("setup", "call"):
        if phases.get(phase) in ("skipped", "xfailed", "xpassed"):
            return phases[phase]
    return "passed" if phases else "error"


def describe(exc: BaseException) -> str:
    if isinstance(exc, (*SKIPS, pytest.xfail.Exception)):
        return first_line(str(getattr(exc, "msg", None) or exc))
    return first_line(f"{type(exc).__name__}: {exc}")


def first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:300] if lines else ""
