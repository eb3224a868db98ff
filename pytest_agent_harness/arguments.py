"""The ``agent-harness`` command line's grammar: every subcommand, its options and their help.

``build_parser`` is all the rest of the package needs; ``cli`` parses with it and dispatches.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from . import __version__
from .layout import CONFIG_NAME, HARNESS_DIR_NAME

EPILOG = """\
exit codes:
  0    the tracker says the work is complete
  1    stopped before completion (max iterations, no eligible phase)
  2    the agent cannot go on (credentials, invalid request, circuit breaker),
       or the harness hit a bug (the message names a crash log)
  3    a budget was exhausted
  4    usage or config error
  130  interrupted (run the same command again to resume)
"""


def _location_options(project: str = "the current directory") -> argparse.ArgumentParser:
    # SUPPRESS as default lets the options appear before or after the subcommand
    # without the subparser's default overwriting a value given before it.
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("project location")
    group.add_argument(
        "--project-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help=f"the project the agent works on (default: {project})",
    )
    group.add_argument(
        "--harness-dir",
        type=Path,
        default=argparse.SUPPRESS,
        help=f"where {CONFIG_NAME} and the run state live (default: PROJECT/{HARNESS_DIR_NAME})",
    )
    return parent


def _output_options() -> argparse.ArgumentParser:
    """How a run shows itself: -v, -q and colour (``NO_COLOR`` turns auto colour off)."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("output")
    amount = group.add_mutually_exclusive_group()
    amount.add_argument("-v", "--verbose", action="store_true", help="also each tool's result")
    amount.add_argument(
        "-q", "--quiet", action="store_true", help="only sessions, warnings and the summary"
    )
    group.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour on a terminal (auto, unless NO_COLOR is set), always, or never",
    )
    return parent


def build_parser() -> argparse.ArgumentParser:
    location = _location_options()
    parser = argparse.ArgumentParser(
        prog="agent-harness",
        description=(
            "Run a coding agent through fresh-context sessions until a tracker, "
            "not the agent, says the work is complete."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[location],
    )
    parser.add_argument("-V", "--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sub.add_parser(
        "init",
        parents=[location],
        help=f"scaffold {HARNESS_DIR_NAME}/ ({CONFIG_NAME} and prompts) in the project",
        description=(
            f"Create {HARNESS_DIR_NAME}/{CONFIG_NAME} and starter prompts. Never overwrites."
        ),
    )
    verify = sub.add_parser(
        "verify",
        parents=[location],
        help="check the environment, credentials and config without running the agent",
        description="Print PASS/WARN/FAIL for each check; exit 1 if any check fails.",
    )
    verify.add_argument(
        "--live", action="store_true", help="also make one real API round trip (costs a little)"
    )
    _add_run(sub, location)
    _add_merge(sub, location)
    _add_status(sub, location)
    _add_report(sub, location)
    _add_try(sub, location)
    _add_baseline(sub, location)
    sub.add_parser(
        "trust",
        parents=[location],
        help="accept the config as it is now (a changed config does not run until trusted)",
        description=(
            "Record the config's exact content as trusted, in the user's state dir. A run whose "
            "config changed since refuses to start, naming the changed keys."
        ),
    )
    sub.add_parser(
        "demo",
        parents=[_location_options("a new temporary directory"), _output_options()],
        help="run a whole project offline on a scripted model (no credentials, no network)",
        description=(
            "Create a demo project (in a new temporary directory, or an empty --project-dir) "
            "and run the harness on it with the real Claude Code CLI and a scripted model."
        ),
    )
    return parser


def _add_baseline(sub: Any, location: argparse.ArgumentParser) -> None:
    baseline = sub.add_parser(
        "baseline",
        parents=[location],
        help="show the tamper baseline; --accept replaces it with the project as it is now",
        description=(
            "The baseline is what the tracker compares later evidence with; it never changes "
            "by itself. --accept measures the project now and makes that the baseline."
        ),
    )
    baseline.add_argument(
        "--accept", action="store_true", help="take a new baseline from the project as it is now"
    )
    baseline.add_argument("--trust-config", action="store_true", help=TRUST_HELP)


def _add_run(sub: Any, location: argparse.ArgumentParser) -> None:
    run = sub.add_parser(
        "run",
        parents=[location, _output_options()],
        help="run sessions until the tracker says the work is complete",
        description="Run the session loop. Running it again after a stop resumes.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--max-iterations",
        type=_positive_int,
        help="stop after this many sessions in this invocation (overrides the config)",
    )
    run.add_argument(
        "--max-cost",
        type=_positive_float,
        metavar="USD",
        help="stop before a session once the run has cost this much (overrides "
        "budget.max_cost_usd)",
    )
    run.add_argument(
        "--max-duration",
        type=_duration,
        metavar="TIME",
        help='stop before a session once this invocation has run this long, e.g. "90m", '
        '"8h" (overrides budget.max_duration)',
    )
    run.add_argument("--model", help="model for the agent (overrides the config)")
    run.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per event on stdout (the human lines go to stderr)",
    )
    run.add_argument(
        "--dry-run",
        action="store_true",
        help="show the phase, prompt, tools, commands, sandbox, git policy and budget a run "
        "would use; ask no model and write nothing",
    )
    run.add_argument("--trust-config", action="store_true", help=TRUST_HELP)
    run.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="run N agents at once, each on one unit of the work in its own git worktree, "
        "merged back into this branch as each unit passes",
    )
    run.add_argument(
        "--shard",
        type=_shard,
        metavar="I/N",
        help="work on shard I of N only (a CI matrix job), on the branch "
        "agent-harness/shard-I-of-N; bring the shards together with agent-harness merge",
    )


def _add_merge(sub: Any, location: argparse.ArgumentParser) -> None:
    merge = sub.add_parser(
        "merge",
        parents=[location],
        help="merge shard branches into this branch and check the merged tree like status --check",
        description="Merge the given branches (the shards' results) into the checked-out "
        "branch with merge commits, then measure the merged tree with the tracker (and the "
        "strength gate when it is on). Exit 0 only when it is complete and untampered.",
    )
    merge.add_argument("branches", nargs="+", metavar="BRANCH", help="branches to merge")
    merge.add_argument("--trust-config", action="store_true", help=TRUST_HELP)


def _shard(text: str) -> tuple[int, int]:
    from .parallel.units import parse_shard

    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_status(sub: Any, location: argparse.ArgumentParser) -> None:
    status = sub.add_parser(
        "status",
        parents=[location],
        help="tracker progress measured now, and the ledger's totals; --check is a CI gate",
        description="Evaluate the tracker's evidence now (never trusting stored state).",
    )
    status.add_argument(
        "--check", action="store_true", help="exit 0 only when complete and untampered, else 1"
    )
    status.add_argument("--json", action="store_true", help="print a machine-readable status")
    status.add_argument("--junit-xml", type=Path, help="also write the items as JUnit test cases")
    status.add_argument("--trust-config", action="store_true", help=TRUST_HELP)
    status.add_argument(
        "--strength",
        action="store_true",
        help="also run the strength gate read-only and print baseline against now",
    )
    status.add_argument(
        "--allow-no-baseline",
        action="store_true",
        help="with --check, pass a project that has no tamper baseline yet (otherwise it fails)",
    )


def _add_try(sub: Any, location: argparse.ArgumentParser) -> None:
    tried = sub.add_parser(
        "try",
        parents=[location, _output_options()],
        help="run the project's config offline on a scripted model, in a copy of the project",
        description="Copy the project into a new folder and run the harness there with the "
        "real Claude Code CLI answered by a script (JSON or TOML): no credentials, no network, "
        'costs simulated. A script is {"replies": [...]}; each reply has text, tools '
        "([{name, input}]), or http_error (and headers), and an optional delay; {project} in "
        "a string is the folder the run happens in.",
    )
    tried.add_argument("--script", type=Path, required=True, help="the script file")
    tried.add_argument("--into", type=Path, help="run in this empty folder (default: a new one)")
    tried.add_argument("--max-iterations", type=_positive_int, help="stop after N sessions")


def _add_report(sub: Any, location: argparse.ArgumentParser) -> None:
    report = sub.add_parser(
        "report",
        parents=[location],
        help="write the run report (HTML with charts, and Markdown) from the ledger",
        description="The report of the project's run, as every run writes it at its end: "
        "outcome, a chart per session, the sessions, denials and warnings, transcripts.",
    )
    report.add_argument("--html", type=Path, help="where to write the HTML report")
    report.add_argument("--markdown", type=Path, help="where to write the Markdown report")
    log = sub.add_parser(
        "log",
        parents=[location],
        help="a session's transcript, readable (the last session's unless N is given)",
    )
    log.add_argument("session", nargs="?", type=_positive_int, metavar="N")
    log.add_argument("--raw", action="store_true", help="the transcript's JSON lines as stored")


TRUST_HELP = "accept a config changed since it was trusted (for CI, where no person reviews)"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def _duration(text: str) -> str:
    from .config.fields import DURATION_HELP, duration_seconds

    if duration_seconds(text) is None:
        raise argparse.ArgumentTypeError(f"{DURATION_HELP}, got {text!r}")
    return text.strip()
