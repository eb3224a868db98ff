"""A pytest plugin the harness loads into its coverage run only: each test's lines are
recorded under the test's node id, so a mutant can be run against just the tests that reach it.
Lines run outside any test (imports, ``def`` lines, module code) stay in the empty context.

``--strength-shard=K/N`` runs every N-th collected test from the K-th (every test in exactly
one slice), so that the coverage run can use every core."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import coverage
import pytest

DURATIONS: dict[str, float] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--strength-shard", default="", help=argparse.SUPPRESS)
    parser.addoption("--strength-durations", default="", help=argparse.SUPPRESS)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Each test's seconds (setup, call and teardown): a mutant run's time limit is scaled by
    what its tests took."""
    path = str(session.config.getoption("--strength-durations") or "")
    if path:
        Path(path).write_text(json.dumps(DURATIONS), encoding="utf-8")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shard = str(config.getoption("--strength-shard") or "")
    if not shard:
        return
    index, count = (int(n) for n in shard.split("/"))
    kept = items[index::count]  # interleaved: one slow module does not make one slow slice
    config.hook.pytest_deselected(items=[t for n, t in enumerate(items) if n % count != index])
    items[:] = kept


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context(item.nodeid)
    start = time.perf_counter()
    try:
        result: Any = yield
        return result  # type: ignore[no-any-return]
    finally:
        DURATIONS[item.nodeid] = time.perf_counter() - start
        if current is not None:
            current.switch_context("")
