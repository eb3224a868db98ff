"""The built-in trackers, registered through the same hooks as any third-party tracker.

Registering them imports no tracker implementation: each is imported when it is built.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..markers import hookimpl

if TYPE_CHECKING:
    from ..config import Config
    from ..strength.check import StrengthGate
    from .base import Tracker
    from .evidence import Evidence, PytestSandbox

BUILTIN = ("json_checklist", "junit", "pytest", "notes_file", "none")


@hookimpl
def agent_harness_tracker_types() -> list[str]:
    return list(BUILTIN)


def evidence_source(config: Config, kind: str) -> Callable[[], Evidence]:
    """A function that gathers fresh evidence of the given kind each time it is called."""
    from .evidence import junit_evidence, pytest_evidence

    tracking = config.tracking
    if kind == "junit" and tracking.junit_command:
        from .producer import produced_junit_evidence

        return lambda: produced_junit_evidence(
            config.layout,
            tracking.junit_paths,
            tracking.junit_command,
            timeout=tracking.junit_timeout,
            sandbox=pytest_sandbox(config),
        )
    if kind == "junit":
        return lambda: junit_evidence(config.project_dir, tracking.junit_paths)
    return lambda: pytest_evidence(
        config.layout,
        args=suite_args(config),
        command=tracking.pytest_command,
        timeout=tracking.pytest_timeout,
        # Built at each call: an evidence-checked checklist is protected once it exists.
        sandbox=pytest_sandbox(config),
    )


def strength_gate(config: Config) -> StrengthGate | None:
    """The strength gate the pytest tracker holds the suite to, when ``[strength]`` is on."""
    if not config.strength.enabled:
        return None
    from ..strength.check import StrengthGate

    args = suite_args(config)
    return StrengthGate(config.layout, config.strength, args, lambda: pytest_sandbox(config))


TAKES_VALUE = frozenset(
    {"-k", "-m", "-p", "-c", "-o", "-W", "-n", "--deselect", "--ignore", "--ignore-glob",
     "--rootdir", "--confcutdir", "--basetemp", "--junitxml", "--junit-xml", "--tb", "--cov",
     "--cov-report", "--durations", "--dist", "--maxfail", "--override-ini", "--log-level",
     "--import-mode", "--timeout"}
)  # fmt: skip
"""pytest options whose value is the next word, so that word is not read as a test path."""


def suite_args(config: Config) -> tuple[str, ...]:
    """``tracking.pytest_args`` with the selection given on the command line (``pytest
    --agent-harness tests/legacy -k words``) after them; when the selection names test paths,
    they replace the paths the config names, so the selection narrows the suite."""
    configured, selection = config.tracking.pytest_args, config.pytest_selection
    if not _paths(selection):
        return (*configured, *selection)
    drop = _paths(configured)
    return (*(arg for i, arg in enumerate(configured) if i not in drop), *selection)


def _paths(args: Sequence[str]) -> set[int]:
    """Where ``args`` name test paths: words that are neither options nor an option's value."""
    found, value_next = set(), False
    for index, arg in enumerate(args):
        if not value_next and not arg.startswith("-"):
            found.add(index)
        value_next = arg in TAKES_VALUE
    return found


def pytest_sandbox(config: Config) -> PytestSandbox | None:
    """The project's tests run in the same OS sandbox as the agent's Bash, unless it is off."""
    from ..security.guards import protected_paths
    from .evidence import PytestSandbox

    sandbox = config.security.sandbox
    if not sandbox.enabled:
        return None
    return PytestSandbox(protected=protected_paths(config), deny_read=sandbox.deny_read)


@hookimpl
def agent_harness_make_tracker(config: Config) -> Tracker | None:
    from .checklist import ChecklistTracker
    from .notes import NotesTracker, NoTracker
    from .results import ResultsTracker

    tracking = config.tracking
    kind = tracking.type
    if kind == "json_checklist":
        evidence = (
            None if tracking.evidence == "field" else evidence_source(config, tracking.evidence)
        )
        return ChecklistTracker(
            config.project_dir / tracking.file,
            tracking.passing_field,
            layout=config.layout,
            evidence=evidence,
            allow_skipped=tracking.allow_skipped,
        )
    if kind in ("junit", "pytest"):
        return ResultsTracker(
            kind,
            evidence_source(config, kind),
            config.layout,
            tracking.allow_skipped,
            strength=strength_gate(config) if kind == "pytest" else None,
        )
    if kind == "notes_file":
        return NotesTracker(config.project_dir / tracking.file)
    if kind == "none":
        return NoTracker()
    return None


def agent_writable_evidence(config: Config) -> str:
    """Why the tracker's evidence is only as good as the agent's word, or ''."""
    tracking = config.tracking
    uses_junit = tracking.type == "junit" or (
        tracking.type == "json_checklist" and tracking.evidence == "junit"
    )
    if not uses_junit or tracking.junit_command:
        return ""
    return (
        f"the JUnit reports ({', '.join(tracking.junit_paths)}) are written by runs the agent "
        "makes, so the agent can write them too; set tracking.junit_command so that the harness "
        "runs the tests and writes them itself"
    )
