"""``agent-harness verify``: everything a run needs, checked without running the agent.

Checks never print a secret: credentials are judged by shape only.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from ..envvars import API_KEY, AUTH_TOKEN, OAUTH_TOKEN
from ..errors import ConfigError, ExitCode, GitStateError
from ..layout import Layout
from ..run.network import DEFAULT_API

if TYPE_CHECKING:
    from ..config import Config

Level = Literal["PASS", "WARN", "FAIL", "SKIP"]
MIN_TOKEN_LENGTH = 40


@dataclass(frozen=True, kw_only=True)
class Check:
    level: Level
    name: str
    message: str


def run_checks(
    layout: Layout, *, live: bool = False, environ: Mapping[str, str] | None = None
) -> Iterator[Check]:
    """Each check as soon as it is done, so a slow one (``--live``) shows what came before."""
    env = os.environ if environ is None else environ
    yield check_python()
    yield from check_sdk()
    credentials = check_credentials(env)
    yield credentials
    config, config_checks = check_config(layout)
    yield from config_checks
    if config is not None:
        yield from check_mcp_commands(config)
        yield check_allowlist(config)
        yield check_sandbox(config)
        yield check_evidence(config)
        yield check_budget(config)
        yield from check_init_files(config)
    yield check_git(layout.project_dir)
    if live and config is not None:
        if credentials.level == "FAIL":
            yield Check(level="SKIP", name="live API", message="the credentials check failed")
        else:
            yield check_live(config, env)


def print_checks(checks: Iterable[Check]) -> int:
    counts = dict.fromkeys(("FAIL", "WARN", "PASS", "SKIP"), 0)
    for check in checks:
        print(f"{check.level:4}  {check.name}: {check.message}", flush=True)
        counts[check.level] += 1
    skipped = f", {counts['SKIP']} skipped" if counts["SKIP"] else ""
    passed = f"{counts['PASS']} passed{skipped}"
    print(f"\n{counts['FAIL']} failed, {counts['WARN']} warning(s), {passed}")
    return int(ExitCode.INCOMPLETE) if counts["FAIL"] else int(ExitCode.COMPLETE)


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    return Check(level="PASS", name="python", message=version)


def check_sdk() -> list[Check]:
    try:
        from ..agent.sdk import bundled_cli, sdk_version
    except ImportError as exc:
        return [
            Check(
                level="FAIL",
                name="claude-agent-sdk",
                message=f"cannot be imported ({exc}); `pip install claude-agent-sdk`",
            )
        ]
    checks = [Check(level="PASS", name="claude-agent-sdk", message=sdk_version())]
    path, version = bundled_cli()
    if path is None:
        checks.append(
            Check(
                level="FAIL",
                name="Claude Code CLI",
                message="the SDK wheel has no bundled CLI; reinstall claude-agent-sdk from a wheel",
            )
        )
    else:
        checks.append(
            Check(
                level="PASS", name="Claude Code CLI", message=f"{version or '?'} (bundled, {path})"
            )
        )
    return checks


CREDENTIALS = (
    (OAUTH_TOKEN, "; create a new one with `claude setup-token`"),
    (API_KEY, ""),
    (AUTH_TOKEN, ""),
)


def check_credentials(env: Mapping[str, str]) -> Check:
    """Judge the credentials by shape; the value itself is never shown. Behind a gateway or a
    local endpoint (``ANTHROPIC_BASE_URL``) a credential has whatever shape that endpoint uses."""
    gateway = _gateway(env)
    for variable, fix in CREDENTIALS:  # the CLI prefers the OAuth token when both are set
        secret = env.get(variable)
        if secret is None:
            continue
        problem = _malformed(secret, shape=not gateway)
        if problem:
            message = f"{variable} is malformed ({problem}){fix}"
            return Check(level="FAIL", name="credentials", message=message)
        where = f" for {gateway} (ANTHROPIC_BASE_URL)" if gateway else ""
        message = f"{variable} is set{where} (value hidden)"
        return Check(level="PASS", name="credentials", message=message)
    return Check(
        level="FAIL",
        name="credentials",
        message=f"neither {API_KEY}, {AUTH_TOKEN} nor {OAUTH_TOKEN} is set; export one of them",
    )


def _gateway(env: Mapping[str, str]) -> str:
    """The host of an endpoint other than Anthropic's own API, if one is set."""
    host = urlsplit(env.get("ANTHROPIC_BASE_URL") or DEFAULT_API).hostname or ""
    return "" if host == urlsplit(DEFAULT_API).hostname else host


def _malformed(secret: str, *, shape: bool = True) -> str:
    if not secret.strip():
        return "empty"
    if any(ch.isspace() for ch in secret.strip()):
        return "contains whitespace; it was probably pasted across lines"
    if secret != secret.strip():
        return "has leading or trailing whitespace"
    if shape and len(secret) < MIN_TOKEN_LENGTH:
        return f"only {len(secret)} characters long; it looks truncated"
    return ""


def check_config(layout: Layout) -> tuple[Config | None, list[Check]]:
    from ..config import load_config
    from ..plugins import load_plugins

    try:
        tracker_types = load_plugins().tracker_types()
        config = load_config(layout.project_dir, layout.harness_dir, tracker_types=tracker_types)
    except ConfigError as exc:
        return None, [
            Check(level="FAIL", name="config", message=problem.render(exc.path))
            for problem in exc.problems
        ]
    checks = [Check(level="PASS", name="config", message=str(config.path))]
    phases = ", ".join(phase.name for phase in config.phases)
    checks.append(Check(level="PASS", name="prompts", message=f"phases: {phases}"))
    return config, checks


def check_mcp_commands(config: Config) -> list[Check]:
    checks = []
    for name, server in config.tools.mcp_servers.items():
        if server.type != "stdio":
            checks.append(
                Check(level="PASS", name=f"mcp {name}", message=f"{server.type} {server.url}")
            )
            continue
        found = shutil.which(server.command or "")
        if found:
            checks.append(Check(level="PASS", name=f"mcp {name}", message=found))
        else:
            checks.append(
                Check(
                    level="FAIL",
                    name=f"mcp {name}",
                    message=f"command {server.command!r} is not on PATH "
                    f"(tools.mcp_servers.{name}.command); install it or fix the path",
                )
            )
    return checks


def check_allowlist(config: Config) -> Check:
    """Warn about allowed programs that can run anything: the allowlist cannot see inside them."""
    from ..security.commands import BASE_COMMANDS, CODE_RUNNERS

    bash = config.security.bash
    allowed = set(bash.allowed_commands) | (BASE_COMMANDS if bash.inherit_base else set())
    runners = sorted(allowed & CODE_RUNNERS)
    if runners:
        return Check(
            level="WARN",
            name="bash allowlist",
            message=f"{', '.join(runners)} can run arbitrary code; keep the OS sandbox on",
        )
    return Check(level="PASS", name="bash allowlist", message=f"{len(allowed)} commands")


def check_evidence(config: Config) -> Check:
    """Whether the tracker's evidence is produced by the harness or could be the agent's."""
    from ..trackers.builtin import agent_writable_evidence

    notice = agent_writable_evidence(config)
    tracking = config.tracking
    if not notice and tracking.type == "json_checklist" and tracking.evidence == "field":
        notice = (
            f"{tracking.file}'s {tracking.passing_field} flags are the agent's word; set "
            'tracking.evidence = "pytest" (or "junit" with tracking.junit_command) and list '
            "each item's tests so the tests decide"
        )
    if notice:
        return Check(level="WARN", name="evidence", message=notice)
    return Check(level="PASS", name="evidence", message=f"tracker {config.tracking.type}")


def check_budget(config: Config) -> Check:
    """A run with no cost cap can spend without limit: say so before the first real run."""
    budget = config.budget
    if budget.max_cost_usd is None:
        return Check(
            level="WARN",
            name="budget",
            message="no budget.max_cost_usd: a run can spend without limit; set one in "
            "[budget] (or pass --max-cost to run)",
        )
    limits = [f"${budget.max_cost_usd:g}"]
    if budget.max_duration:
        limits.append(budget.max_duration)
    if config.max_iterations is not None:
        limits.append(f"{config.max_iterations} sessions")
    return Check(level="PASS", name="budget", message=", ".join(limits))


def check_init_files(config: Config) -> list[Check]:
    """An init file still holding the placeholder ``init`` wrote gives the agent nothing to go
    on: the first run would turn a placeholder into a feature list."""
    from ..files import read_bytes
    from .init import APP_SPEC

    checks = []
    for init_file in config.init_files:
        try:
            untouched = read_bytes(init_file.source).decode("utf-8", "replace") == APP_SPEC
        except OSError:
            continue  # the config check has said what is wrong with it
        if untouched:
            checks.append(
                Check(
                    level="WARN",
                    name="spec",
                    message=f"{init_file.source} is still the placeholder `init` wrote; "
                    "describe what to build there before the first run",
                )
            )
    return checks


def check_sandbox(config: Config) -> Check:
    if not config.security.sandbox.enabled:
        return Check(level="WARN", name="sandbox", message="disabled (security.sandbox.enabled)")
    from ..sandbox import cli_sandbox_missing

    missing = cli_sandbox_missing()
    if not missing:
        return Check(level="PASS", name="sandbox", message="enabled; bwrap and socat found")
    if config.security.sandbox.fail_if_unavailable:
        return Check(
            level="FAIL",
            name="sandbox",
            message=f"{missing} not installed: run would stop (apt-get install bubblewrap socat)",
        )
    return Check(
        level="WARN",
        name="sandbox",
        message=f"{missing} not installed: Bash would run unsandboxed "
        "(apt-get install bubblewrap socat)",
    )


def check_git(project_dir: Path) -> Check:
    """The repository a run will commit to, found as the run finds it (``gitops.located``)."""
    if shutil.which("git") is None:
        return Check(level="FAIL", name="git", message="git is not on PATH; install git")
    from .. import gitops

    try:
        where = gitops.located(project_dir)
    except GitStateError as exc:
        return Check(level="FAIL", name="git", message=str(exc))
    if where is None or where.ignored:
        why = "is not in a git repository"
        if where is not None:
            why = f"is ignored by the repository at {where.top}"
        message = f"{project_dir} {why}; the run will initialise one there"
        return Check(level="WARN", name="git", message=message)
    if where.prefix:
        message = f"{project_dir} is the folder {where.prefix} of the git repository at {where.top}"
        return Check(level="PASS", name="git", message=message)
    return Check(level="PASS", name="git", message=f"{project_dir} is a git work tree")


def check_live(config: Config, env: Mapping[str, str]) -> Check:
    """One short real session: proves credentials, network and model together. The endpoint is
    probed first, so an offline machine gets its answer at once, and the CLI does not retry."""
    from ..agent.sdk import run_session
    from ..agent.session import SessionSpec
    from ..run.network import unreachable

    why = unreachable(env)
    if why:
        return Check(level="FAIL", name="live API", message=f"{why}; check the network or proxy")
    with tempfile.TemporaryDirectory(prefix="agent-harness-live-") as tmp:
        spec = SessionSpec(
            prompt="Reply with the single word OK.",
            cwd=Path(tmp),
            config_dir=Layout.of(Path(tmp)).claude_config_dir,
            model=config.model,
            tools=(),
            max_turns=1,
            env={"CLAUDE_CODE_MAX_RETRIES": "0", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"},
        )
        outcome = run_session(spec, lambda event: None)
    if outcome.is_error:
        from ..run.recovery import OutcomeClass, classify, describe_error

        cls = classify(outcome)
        detail = describe_error(outcome, cls)
        if cls is OutcomeClass.AUTH:
            detail += "; the credentials were refused"
        return Check(level="FAIL", name="live API", message=f"round trip failed: {detail}")
    return Check(
        level="PASS",
        name="live API",
        message=f"model {outcome.model} answered (${outcome.cost_usd:.4f})",
    )
