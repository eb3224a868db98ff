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
may import pytest; of the harness it imports only ``infra.py``, ``outcomes.py`` and ``probe.py``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any

import pytest

from .infra import OBSERVER, RECORD_OPTION, fingerprint, impl_name, impl_names
from .outcomes import RANK, SKIPS, aggregate, claimed, describe, expected_failure, first_line
from .probe import Seen, namespace, probe

PLUGIN_NAME = OBSERVER
"""The name pytest registers this plugin under (``config.pluginmanager.has_plugin``)."""
_DEST = "agent_harness_record"
_WATCHER = "agent-harness-observer"
FLUSH_EVERY = 64
_NOT_KEYWORDS = frozenset({"pytestmark", "cache_parameters"})
"""Function attributes pytest's ``-k`` does not match."""


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


class Watcher:
    """The hook implementations that watch; registered last, so its wrappers are outermost."""

    def __init__(self, config: pytest.Config, handle: IO[str]) -> None:
        self.config = config
        self.handle = handle
        self.root = Path(str(config.rootpath))
        self.tests: dict[str, Seen] = {}
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
            message = first_line(str(report.longrepr))
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
        """The hook was reached (the probe set after setup says whether the function ran);
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

    def _probe_call(self, item: pytest.Item, test: Seen, function: Any) -> None:
        """Wrap the test function just before its call, to see whether it is called and what
        it raises; one probe at a time, so nothing piles up over a long run."""
        test.probed = True
        if item.obj is not function:  # type: ignore[attr-defined]
            test.replaced = True  # whatever replaced it would run instead of the test
            return
        test.function = function
        test.probe = probe(function, test)
        if test.probe is not None:
            item.obj = test.probe  # type: ignore[attr-defined]
        else:
            test.probed = False

    def _phase(
        self, item: pytest.Item, test: Seen, when: str, exc: BaseException | None, report: Any
    ) -> None:
        test.clean = False
        observed = self._classify(item, when, exc)
        flagged = len(test.reasons)
        if when == "call":
            observed = self._check_call(item, test, exc, observed)
        reported = claimed(report, when)
        if exc is not None and not test.message:
            test.message = describe(exc)
        rewritten = RANK[reported] < RANK[observed] or (RANK[reported] == 1 and RANK[observed] != 1)
        if rewritten and len(test.reasons) == flagged:
            hook = "pytest_runtest_makereport"
            test.reasons.append(
                f"{when}: {observed} but reported {reported}; {hook} by "
                + impl_names(item.ihook.pytest_runtest_makereport, self.root)
            )
        key = f"subtest{len(test.observed)}" if when == "subtest" else when
        test.observed[key] = (observed, reported)

    def _test(self, nodeid: str) -> Seen:
        test = self.tests.get(nodeid)
        if test is None:
            test = self.tests[nodeid] = Seen()
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
        attrs = namespace(getattr(item, "obj", None))  # not item.function: slower
        attributes = [k for k in attrs if k[0] != "_" and k not in _NOT_KEYWORDS]
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
        if isinstance(exc, SKIPS):
            return "skipped"
        if isinstance(exc, pytest.xfail.Exception):
            return "xfailed"
        if when in ("call", "subtest") and expected_failure(item, exc):
            return "xfailed"
        return "error" if when in ("setup", "teardown") else "failed"

    def _check_call(
        self, item: pytest.Item, test: Seen, exc: BaseException | None, observed: str
    ) -> str:
        """The function's own view: called at all, and what it raised."""
        if exc is None and test.raised is not None:
            truth = self._classify(item, "call", test.raised)
            if truth != "passed":
                test.message = describe(test.raised)
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

    def _finish(self, nodeid: str, test: Seen) -> None:
        self.done.add(nodeid)
        del self.tests[nodeid]
        if test.clean and not test.reasons and not test.message:
            self.write(f'{{"kind": "test", "nodeid": {json.dumps(nodeid)}, "status": "passed"}}')
            return
        phases = test.observed
        observed = aggregate({k: v[0] for k, v in phases.items()})
        reported = aggregate({k: v[1] for k, v in phases.items()})
        status = reported if RANK[reported] > RANK[observed] else observed
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


def _plain_function(item: pytest.Item) -> bool:
    """A test whose run is pytest's: ``runtest`` -> ``pytest_pyfunc_call`` -> the function."""
    return isinstance(item, pytest.Function) and type(item).runtest is pytest.Function.runtest
