"""The observer: a pytest plugin the harness loads, first, into its own pytest runs only.

``-p pytest_agent_harness.trackers.observer --agent-harness-record=PATH`` makes pytest write,
to a file the harness created for this run, what really happened to each test (JSON lines):

- the outcome of each phase from the exception the phase really raised (``call.excinfo`` as the
  outermost ``pytest_runtest_makereport`` wrapper sees it before any other implementation runs,
  and the exception the test function itself raised), next to the outcome the final report
  claims; a report better than what happened, or skipped without a skip, is tampering;
- whether the test function was called at all: ``pytest_pyfunc_call`` is wrapped outermost and
  the function is wrapped inside it, so an implementation that returns without calling it shows;
- the project's test infrastructure (hook implementations of conftests and plugins, the
  effective configuration, the plugins loaded), which ``infra.py`` compares with the baseline.

Without the option the plugin does nothing. Nothing here tells the project's code that it runs
under the harness (no environment variable). This module is loaded only into pytest runs, so it
may import pytest; of the harness it imports only ``infra.py`` (the standard library only).
"""

from __future__ import annotations

import argparse
import inspect
import json
from collections.abc import Callable, Generator
from pathlib import Path
from typing import IO, Any

import pytest

from .infra import OBSERVER, RECORD_OPTION, fingerprint, impl_name, impl_names

PLUGIN_NAME = OBSERVER
"""The name pytest registers this plugin under (``config.pluginmanager.has_plugin``)."""
_DEST = "agent_harness_record"
_WATCHER = "agent-harness-observer"
FLUSH_EVERY = 64
_RANK = {"passed": 0, "xpassed": 0, "skipped": 1, "xfailed": 1, "failed": 2, "error": 3}
_SKIPS: tuple[type[BaseException], ...] = (pytest.skip.Exception,)
try:
    import unittest

    _SKIPS += (unittest.SkipTest,)
except ImportError:  # pragma: no cover
    pass
try:
    from _pytest.skipping import xfailed_key
except ImportError:  # pragma: no cover - a future pytest: fall back to the marker
    xfailed_key = None  # type: ignore[assignment]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(RECORD_OPTION, dest=_DEST, default=None, help=argparse.SUPPRESS)


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption(_DEST)
    if path:
        handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed at unconfigure
        config.pluginmanager.register(Watcher(config, handle), _WATCHER)


def pytest_unconfigure(config: pytest.Config) -> None:
    watcher = config.pluginmanager.get_plugin(_WATCHER)
    if isinstance(watcher, Watcher):
        watcher.close()


class _Test:
    """What the observer saw of one test so far."""

    __slots__ = ("called", "in_call", "message", "observed", "pyfunc", "raised", "reasons")

    def __init__(self) -> None:
        self.observed: dict[str, tuple[str, str]] = {}  # phase -> (observed, reported)
        self.called = False
        self.pyfunc = False
        self.in_call = False
        self.raised: BaseException | None = None
        self.reasons: list[str] = []
        self.message = ""


class Watcher:
    """The hook implementations that watch; registered last, so its wrappers are outermost."""

    def __init__(self, config: pytest.Config, handle: IO[str]) -> None:
        self.config = config
        self.handle = handle
        self.root = Path(str(config.rootpath))
        self.tests: dict[str, _Test] = {}
        self.done: set[str] = set()
        self.collected: list[str] = []
        self.files: list[str] = []
        self.infra_written = False
        self.lines = 0
        self.outer: dict[tuple[int, int, int], str] = {}

    def write(self, line: dict[str, Any], *, flush: bool = False) -> None:
        """One line; flushed every FLUSH_EVERY lines, so a run killed at its timeout keeps most
        of what it saw."""
        self.handle.write(json.dumps(line) + "\n")
        self.lines += 1
        if flush or self.lines % FLUSH_EVERY == 0:
            self.handle.flush()

    def close(self) -> None:
        if not self.handle.closed:
            self.handle.close()

    # -- collection -------------------------------------------------------------------------

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            message = _first_line(str(report.longrepr))
            self.write({"kind": "collect_error", "nodeid": report.nodeid, "message": message})
        elif report.nodeid and "::" not in report.nodeid and (self.root / report.nodeid).is_file():
            self.files.append(report.nodeid)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        items = []
        for item in session.items:
            self.collected.append(item.nodeid)
            if _plain_function(item):
                probe = _probe(item.obj, self._test(item.nodeid))  # type: ignore[attr-defined]
                if probe is not None:
                    item.obj = probe  # type: ignore[attr-defined]
            chain = {node.name for node in item.listchain()}
            markers = sorted({mark.name for mark in item.iter_markers()})
            keywords = sorted(k for k in set(item.keywords) if k not in chain and k not in markers)
            items.append({"nodeid": item.nodeid, "markers": markers, "keywords": keywords})
        self.write({"kind": "collected", "items": items, "files": self.files}, flush=True)
        self.write_infra()
        # Conftests below the rootdir register while collecting: be outermost again.
        manager = self.config.pluginmanager
        manager.unregister(self)
        manager.register(self, _WATCHER)

    def write_infra(self) -> None:
        if not self.infra_written:
            self.infra_written = True
            self.write({"kind": "infra", **fingerprint(self.config, self.root)})

    # -- running ----------------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> None:
        """The hook was reached (the probe set at collection says whether the function ran);
        a plain implementation, cheaper than a wrapper on every test."""
        self._test(pyfuncitem.nodeid).pyfunc = True

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, Any, Any]:
        excinfo = call.excinfo
        if excinfo is None:  # unittest keeps a test's failure aside until makereport
            pending = getattr(item, "_excinfo", None)
            excinfo = pending[0] if pending else None
        exc = None if excinfo is None else excinfo.value
        report = yield
        test = self._test(item.nodeid)
        if test.in_call:  # a subtest, reported while the test runs
            self._phase(item, test, "subtest", exc, report)
            return report
        self._phase(item, test, call.when, exc, report)
        if call.when == "teardown":
            self._finish(item.nodeid, test)
        return report

    def _phase(
        self, item: pytest.Item, test: _Test, when: str, exc: BaseException | None, report: Any
    ) -> None:
        observed = self._classify(item, when, exc)
        flagged = len(test.reasons)
        if when == "call":
            observed = self._check_call(item, test, exc, observed)
        reported = _reported(report, when)
        if exc is not None and not test.message:
            test.message = _describe(exc)
        rewritten = _RANK[reported] < _RANK[observed] or (
            _RANK[reported] == 1 and _RANK[observed] != 1
        )
        if rewritten and len(test.reasons) == flagged:
            hook = "pytest_runtest_makereport"
            test.reasons.append(
                f"{when}: {observed} but reported {reported}; {hook} by "
                + impl_names(item.ihook.pytest_runtest_makereport, self.root)
            )
        if when == "teardown":  # once a test: whether a later plugin wrapped the observer
            outer = self._outer(item.ihook.pytest_runtest_makereport)
            if outer:
                test.reasons.append(f"{outer} wraps the observer's pytest_runtest_makereport")
        key = f"subtest{len(test.observed)}" if when == "subtest" else when
        test.observed[key] = (observed, reported)

    def _test(self, nodeid: str) -> _Test:
        test = self.tests.get(nodeid)
        if test is None:
            test = self.tests[nodeid] = _Test()
        return test

    def _outer(self, caller: Any) -> str:
        """The implementation wrapping the observer's, if any ('' when the observer is
        outermost); asked again only when the hook's implementations change."""
        impls = caller.get_hookimpls()
        key = (id(caller), len(impls), id(impls[-1]) if impls else 0)
        if key not in self.outer:
            last = impls[-1] if impls else None
            self.outer[key] = (
                "" if last is None or last.plugin is self else impl_name(last, self.root)
            )
        return self.outer[key]

    def _classify(self, item: pytest.Item, when: str, exc: BaseException | None) -> str:
        if exc is None:
            return "passed"
        if isinstance(exc, _SKIPS):
            return "skipped"
        if isinstance(exc, pytest.xfail.Exception):
            return "xfailed"
        if when in ("call", "subtest") and _expected_failure(item, exc):
            return "xfailed"
        return "error" if when in ("setup", "teardown") else "failed"

    def _check_call(
        self, item: pytest.Item, test: _Test, exc: BaseException | None, observed: str
    ) -> str:
        """The function's own view: called at all, and what it raised."""
        if exc is None and test.raised is not None:
            truth = self._classify(item, "call", test.raised)
            if truth != "passed":
                test.message = _describe(test.raised)
                test.reasons.append(
                    f"call: the test raised {type(test.raised).__name__} but no exception was "
                    "reported; pytest_runtest_call by "
                    + impl_names(item.ihook.pytest_runtest_call, self.root)
                    + "; pytest_pyfunc_call by "
                    + impl_names(item.ihook.pytest_pyfunc_call, self.root)
                )
                return truth
        if exc is None and not test.called and _plain_function(item):
            hooks = item.ihook
            if test.pyfunc:
                blame = "pytest_pyfunc_call by " + impl_names(hooks.pytest_pyfunc_call, self.root)
            elif "runtest" in vars(item):
                blame = "item.runtest was replaced"
            else:
                blame = "pytest_runtest_call by " + impl_names(hooks.pytest_runtest_call, self.root)
            test.reasons.append(f"call: the test function was never called; {blame}")
            test.message = test.message or "the test function was never called"
            return "failed"
        return observed

    def _finish(self, nodeid: str, test: _Test) -> None:
        phases = test.observed
        observed = _aggregate({k: v[0] for k, v in phases.items()})
        reported = _aggregate({k: v[1] for k, v in phases.items()})
        status = reported if _RANK[reported] > _RANK[observed] else observed
        self.write(
            {
                "kind": "test",
                "nodeid": nodeid,
                "status": status,
                "observed": observed,
                "reported": reported,
                "tamper": test.reasons,
                "message": test.message,
            }
        )
        self.done.add(nodeid)
        del self.tests[nodeid]

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(
        self, session: pytest.Session, exitstatus: int
    ) -> Generator[None, Any, Any]:
        self.write_infra()
        hook = self.config.hook
        blame = "pytest_runtest_protocol by " + impl_names(hook.pytest_runtest_protocol, self.root)
        blame += "; pytest_runtestloop by " + impl_names(hook.pytest_runtestloop, self.root)
        for nodeid in self.collected:
            if nodeid not in self.done:
                self.write({"kind": "notrun", "nodeid": nodeid, "blame": blame})
        stopped = bool(session.shouldstop or session.shouldfail) or int(exitstatus) not in (0, 1)
        self.write({"kind": "end", "exitstatus": int(exitstatus), "stopped": stopped}, flush=True)
        return (yield)


def _probe(function: Any, test: _Test) -> Callable[..., Any] | None:
    """``function`` wrapped to note that it was called and what it raised (None: leave it)."""
    if not callable(function) or inspect.isasyncgenfunction(function):
        return None
    if inspect.iscoroutinefunction(function):

        async def probe_async(*args: Any, **kwargs: Any) -> Any:
            test.called = test.in_call = True
            try:
                return await function(*args, **kwargs)
            except BaseException as exc:
                test.raised = exc
                raise
            finally:
                test.in_call = False

        return _like(probe_async, function)

    def probe(*args: Any, **kwargs: Any) -> Any:
        test.called = test.in_call = True
        try:
            return function(*args, **kwargs)
        except BaseException as exc:
            test.raised = exc
            raise
        finally:
            test.in_call = False

    return _like(probe, function)


def _like(probe: Callable[..., Any], function: Any) -> Callable[..., Any]:
    """``functools.wraps``, cheaper: the name, the marks and the signature (``__wrapped__``)."""
    probe.__name__ = getattr(function, "__name__", "probe")
    probe.__qualname__ = getattr(function, "__qualname__", probe.__name__)
    probe.__dict__.update(getattr(function, "__dict__", {}))
    probe.__wrapped__ = function  # type: ignore[attr-defined]
    return probe


def _plain_function(item: pytest.Item) -> bool:
    """A test whose run is pytest's: ``runtest`` -> ``pytest_pyfunc_call`` -> the function."""
    return isinstance(item, pytest.Function) and type(item).runtest is pytest.Function.runtest


def _expected_failure(item: pytest.Item, exc: BaseException) -> bool:
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


def _reported(report: Any, when: str) -> str:
    outcome = str(getattr(report, "outcome", "failed"))
    if hasattr(report, "wasxfail"):
        return "xfailed" if outcome == "skipped" else "xpassed" if outcome == "passed" else "failed"
    if outcome == "failed":
        return "error" if when in ("setup", "teardown") else "failed"
    return outcome if outcome in _RANK else "failed"


def _aggregate(phases: dict[str, str]) -> str:
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


def _describe(exc: BaseException) -> str:
    if isinstance(exc, (*_SKIPS, pytest.xfail.Exception)):
        return _first_line(str(getattr(exc, "msg", None) or exc))
    return _first_line(f"{type(exc).__name__}: {exc}")


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:300] if lines else ""
