"""A pytest plugin the harness loads into its coverage run only: each test's lines are
recorded under the test's node id, so a mutant can be run against just the tests that reach it.
Lines run outside any test (imports, ``def`` lines, module code) stay in the empty context."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import coverage
import pytest


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None]:
    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context(item.nodeid)
    try:
        result: Any = yield
        return result  # type: ignore[no-any-return]
    finally:
        if current is not None:
            current.switch_context("")
