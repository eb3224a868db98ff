# PYTHON_ARGCOMPLETE_OK
"""The ``agent-harness`` command: one parser, one exit path.

``main(argv)`` returns an exit code and never raises: each ``HarnessError`` becomes a one-line
message on stderr and its documented exit code, and a bug in the harness a one-line message naming
the crash log that holds its traceback (``commands.exit``). Only ``console_main`` calls
``sys.exit``. The subcommands themselves live in ``commands/``, one module each.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .commands.exit import run_command
from .errors import ExitCode
from .layout import CONFIG_NAME, HARNESS_DIR_NAME, Layout

if TYPE_CHECKING:
    from .agent.display import Display

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


def _layout(args: argparse.Namespace) -> Layout:
    project = Path(getattr(args, "project_dir", Path("."))).expanduser()
    harness = getattr(args, "harness_dir", None)
    return Layout.of(project, Path(harness).expanduser() if harness is not None else None)


def _misspelt_command(parser: argparse.ArgumentParser, words: list[str]) -> str | None:
    """``agent-harness: unknown command 'stauts'; did you mean 'status'?`` for a first word
    that is no command (options and their values are skipped)."""
    import difflib

    commands = next(
        (list(a.choices) for a in parser._actions if isinstance(a, argparse._SubParsersAction)),
        [],
    )
    index = 0
    while index < len(words) and words[index].startswith("-"):
        takes_value = words[index] in ("--project-dir", "--harness-dir")
        index += 2 if takes_value else 1
    if index >= len(words) or words[index] in commands:
        return None
    word = words[index]
    close = difflib.get_close_matches(word, commands, n=1)
    suggestion = f"; did you mean '{close[0]}'?" if close else ""
    return f"{parser.prog}: unknown command '{word}'{suggestion} (commands: {', '.join(commands)})"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code."""
    parser = build_parser()
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (the completion extra)
        _complete(parser)
    words = list(sys.argv[1:] if argv is None else argv)
    if (hint := _misspelt_command(parser, words)) is not None:
        print(hint, file=sys.stderr)
        return int(ExitCode.USAGE_ERROR)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits for --help (0) and usage errors (2)
        code = exc.code if isinstance(exc.code, int) else 0
        return int(ExitCode.USAGE_ERROR) if code else 0
    layout = _layout(args)
    if layout.project_dir.exists() and not layout.project_dir.is_dir():
        print(
            f"{parser.prog}: error: --project-dir {layout.project_dir} is a file; give the "
            "project's folder",
            file=sys.stderr,
        )
        return int(ExitCode.USAGE_ERROR)
    return run_command(lambda: _dispatch(args, layout), layout)


def _dispatch(args: argparse.Namespace, layout: Layout) -> int:
    if args.command == "init":
        from .commands.init import run_init

        return run_init(layout)
    if args.command == "verify":
        from .commands.verify import print_checks, run_checks

        return print_checks(run_checks(layout, live=args.live))
    if args.command == "run":
        from .commands.run import run_harness

        overrides = {"max_iterations": args.max_iterations, "model": args.model or None}
        budget = {
            key: value
            for key, value in (
                ("max_cost_usd", args.max_cost),
                ("max_duration", args.max_duration),
            )
            if value is not None
        }
        if args.dry_run:
            from .commands.dry_run import run_dry

            return run_dry(layout.project_dir, layout.harness_dir, overrides, budget=budget)
        return run_harness(
            layout.project_dir,
            layout.harness_dir,
            overrides,
            trust_config=args.trust_config,
            budget=budget,
            json_events=args.json,
            display=None if args.json else _display(args),
        )
    if args.command == "status":
        from .commands.status import run_status

        return run_status(
            layout,
            check=args.check,
            as_json_output=args.json,
            junit_xml=args.junit_xml,
            trust_config=args.trust_config,
            allow_no_baseline=args.allow_no_baseline,
            strength=args.strength,
        )
    if args.command == "baseline":
        from .commands.baseline import run_baseline

        return run_baseline(layout, accept=args.accept, trust_config=args.trust_config)
    if args.command == "try":
        from .commands.try_script import run_try

        return run_try(
            layout, args.script, args.into, args.max_iterations, _display(args, " (simulated)")
        )
    if args.command in ("report", "log"):
        from .commands.report import run_log, run_report

        if args.command == "log":
            return run_log(layout, args.session, raw=args.raw)
        return run_report(layout, html=args.html, markdown=args.markdown)
    if args.command == "trust":
        from .commands.trust import run_trust

        return run_trust(layout)
    if args.command == "demo":
        from .commands.demo import run_demo

        given = getattr(args, "project_dir", None)
        return run_demo(layout.project_dir if given is not None else None, _display(args))
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


def _display(args: argparse.Namespace, cost_note: str = "") -> Display:
    from .agent.live import make_display

    return make_display(
        verbose=args.verbose, quiet=args.quiet, colour=args.color, cost_note=cost_note
    )


def _complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request and exit (argcomplete does); without argcomplete
    installed, nothing: the command runs as typed."""
    try:
        import argcomplete
    except ImportError:
        return
    argcomplete.autocomplete(parser)


def console_main() -> None:
    """Entry point of the ``agent-harness`` script."""
    code = main()
    if code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED, ExitCode.HUNG_UP):
        # State is saved; do not let interpreter shutdown wait on threads still reading from
        # a CLI that was interrupted mid-answer: a second Ctrl+C must exit at once.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
