"""The built-in trackers, registered through the same hooks as any third-party tracker.

Registering them imports no tracker implementation: each is imported when it is built.
"""

from __future__ import annotations

from collections.abc import Callable
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
        args=(*tracking.pytest_args, *config.pytest_selection),
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

    args = (*config.tracking.pytest_args, *config.pytest_selection)
    return StrengthGate(config.layout, config.strength, args, lambda: pytest_sandbox(config))


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
