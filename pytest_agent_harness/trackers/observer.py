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
from types import CodeType
from typing import IO, Any

import pytest

from .infra import OBSERVER, RECORD_OPTION, fingerprint, impl_name, impl_names

PLUGIN_NAME = OBSERVER
"""The name pytest registers this plugin under (``config.pluginmanager.has_plugin``)."""
_DEST = "agent_harness_record"
_WATCHER = "agent-harness-observer"
FLUSH_EVERY = 64
_NOT_KEYWORDS = frozenset({"pytestmark", "cache_parameters"})
"""Function attributes pytest's ``-k`` does not match."""
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

    __slots__ = (
        "called", "clean", "function", "in_call", "message", "observed", "probe", "probed",
        "raised", "reasons", "replaced",
    )  # fmt: skip

    def __init__(self) -> None:
        self.observed: dict[str, tuple[str, str]] = {}  # phase -> (observed, reported)
        self.clean = True  # every phase so far passed, as observed and as reported
        self.function: Any = None  # the test function as collected
        self.probe: Any = None  # the wrapper in its place while the test runs
        self.probed = False  # the test function was expected to be called
        self.replaced = False  # ... but something else was in its place
        self.called = False
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
        self.pending: list[str] = []
        self.outer: dict[int, str] = {}
        self.functions: dict[str, Any] = {}  # node id -> the test function as collected
        self.reached: pytest.Item | None = None  # the last item pytest_pyfunc_call was called for
        self.parents: dict[int, tuple[frozenset[str], frozenset[str], frozenset[str]]] = {}

    def write(self, line: dict[str, Any] | str, *, flush: bool = False) -> None:
        """One line (a JSON object, or its text); written out every FLUSH_EVERY lines, so a
        run killed at its timeout keeps most of what it saw."""
        self.pending.append(line if isinstance(line, str) else json.dumps(line))
        if flush or len(self.pending) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.pending and not self.handle.closed:
            self.handle.write("\n".join(self.pending) + "\n")
            self.handle.flush()
        self.pending.clear()

    def close(self) -> None:
        self.flush()
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
        items: list[str | dict[str, Any]] = []
        for item in session.items:
            nodeid = item.nodeid
            self.collected.append(nodeid)
            tags = self._tags(item)
            items.append({"nodeid": nodeid, **tags} if tags else nodeid)
            if _plain_function(item):  # probed once its setup passed (``_probe_call``)
                self.functions[nodeid] = item.obj  # type: ignore[attr-defined]
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
        self.reached = pyfuncitem

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
        nodeid = item.nodeid
        test = self.tests.get(nodeid) or self._test(nodeid)
        when = call.when
        if test.in_call:  # a subtest, reported while the test runs
            self._phase(item, test, "subtest", exc, report)
        elif (
            exc is None
            and report.outcome == "passed"
            and (when != "call" or (test.raised is None and (test.called or not test.probed)))
        ):  # the common case, kept cheap: nothing raised, passed reported (an xpass is a pass)
            test.observed[when] = ("passed", "passed")
        else:
            self._phase(item, test, when, exc, report)
        if when == "setup" and report.outcome == "passed" and nodeid in self.functions:
            self._probe_call(item, test, self.functions[nodeid])
        elif when == "call" and test.probe is not None:
            if item.obj is test.probe:  # type: ignore[attr-defined]
                item.obj = test.function  # type: ignore[attr-defined]
            test.probe = None
        if when == "teardown":
            outer = self._outer()
            if outer:
                test.reasons.append(f"{outer} wraps the observer's pytest_runtest_makereport")
            self._finish(nodeid, test)
        return report

    def _probe_call(self, item: pytest.Item, test: _Test, function: Any) -> None:
        """Wrap the test function just before its call, to see whether it is called and what
        it raises; one probe at a time, so nothing piles up over a long run."""
        test.probed = True
        if item.obj is not function:  # type: ignore[attr-defined]
            test.replaced = True  # whatever replaced it would run instead of the test
            return
        test.function = function
        test.probe = _probe(function, test)
        if test.probe is not None:
            item.obj = test.probe  # type: ignore[attr-defined]
        else:
            test.probed = False

    def _phase(
        self, item: pytest.Item, test: _Test, when: str, exc: BaseException | None, report: Any
    ) -> None:
        test.clean = False
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
        key = f"subtest{len(test.observed)}" if when == "subtest" else when
        test.observed[key] = (observed, reported)

    def _test(self, nodeid: str) -> _Test:
        test = self.tests.get(nodeid)
        if test is None:
            test = self.tests[nodeid] = _Test()
        return test

    def _outer(self) -> str:
        """The implementation wrapping the observer's, if any ('' when the observer is
        outermost).

        Conftests register while collecting, before the observer registers again, so only a
        plugin registered later can come after it: the whole hook shows that.
        """
        last = self.config.hook.pytest_runtest_makereport.get_hookimpls()[-1]
        if last.plugin is self:
            return ""
        if id(last) not in self.outer:
            self.outer[id(last)] = impl_name(last, self.root)
        return self.outer[id(last)]

    def _tags(self, item: pytest.Item) -> dict[str, list[str]]:
        """The names ``-m`` and ``-k`` match a test by, beyond its node id: its markers, and
        the keywords pytest's ``-k`` adds (extra keyword matches, the function's attributes).
        What the item's parents add is worked out once per parent."""
        markers, keywords, names = self._parent_tags(item.parent)
        if item.own_markers:
            markers = markers.union(mark.name for mark in item.own_markers)
        namespace = _namespace(getattr(item, "obj", None))  # not item.function: slower
        attributes = [k for k in namespace if k[0] != "_" and k not in _NOT_KEYWORDS]
        if item.extra_keyword_matches or attributes:
            keywords = keywords.union(item.extra_keyword_matches, attributes)
        if keywords:
            keywords = keywords - markers - names - {item.name}
        tags = {}
        if markers:
            tags["markers"] = sorted(markers)
        if keywords:
            tags["keywords"] = sorted(keywords)
        return tags

    def _parent_tags(
        self, node: pytest.Item | pytest.Collector | None
    ) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """(markers, extra keywords, names) of ``node`` and the nodes above it."""
        if node is None:
            return frozenset(), frozenset(), frozenset()
        found = self.parents.get(id(node))
        if found is None:
            markers, keywords, names = self._parent_tags(node.parent)
            found = self.parents[id(node)] = (
                markers.union(mark.name for mark in node.own_markers),
                keywords.union(node.extra_keyword_matches),
                names | {node.name},
            )
        return found

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
        if exc is None and not test.called and test.probed:
            hooks = item.ihook
            if test.replaced:
                blame = "the test function (item.obj) was replaced after collection"
            elif self.reached is item:
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
        self.done.add(nodeid)
        del self.tests[nodeid]
        if test.clean and not test.reasons and not test.message:
            self.write(f'{{"kind": "test", "nodeid": {json.dumps(nodeid)}, "status": "passed"}}')
            return
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
    if not callable(function):
        return None
    flags = _code_flags(function)
    if flags & inspect.CO_ASYNC_GENERATOR:
        return None
    if flags & inspect.CO_COROUTINE:

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


def _code_flags(function: Any) -> int:
    """The coroutine and async-generator flags of ``function``: read from its code object when
    it has one (a function or method: many times cheaper than ``inspect``), else asked of
    ``inspect`` (a partial, a callable object, a function marked as a coroutine)."""
    code = getattr(function, "__code__", None)
    if isinstance(code, CodeType) and "_is_coroutine_marker" not in _namespace(function):
        return code.co_flags
    coroutine = inspect.CO_COROUTINE if inspect.iscoroutinefunction(function) else 0
    return coroutine | (inspect.CO_ASYNC_GENERATOR if inspect.isasyncgenfunction(function) else 0)


def _namespace(function: Any) -> dict[str, Any]:
    """The attributes of ``function`` (a bound method's are its function's)."""
    namespace = getattr(getattr(function, "__func__", function), "__dict__", None)
    return namespace if isinstance(namespace, dict) else {}


def _like(probe: Callable[..., Any], function: Any) -> Callable[..., Any]:
    """``functools.wraps``, cheaper: the name, the marks and the signature (``__wrapped__``)."""
    probe.__name__ = getattr(function, "__name__", "probe")
    probe.__qualname__ = getattr(function, "__qualname__", probe.__name__)
    probe.__dict__.update(_namespace(function))
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
