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
from typing import TYPE_CHECKING

from .arguments import build_parser
from .commands.exit import run_command
from .errors import INTERRUPTIONS, ExitCode
from .layout import Layout

if TYPE_CHECKING:
    from .agent.display import Display


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
        return _run(args, layout)
    if args.command == "merge":
        from .commands.merge import run_merge

        return run_merge(layout, args.branches, trust_config=args.trust_config)
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
        display = _display(args, " (simulated)")  # a scripted model's costs
        return run_demo(layout.project_dir if given is not None else None, display)
    raise AssertionError(f"unhandled command {args.command}")  # pragma: no cover


def _run(args: argparse.Namespace, layout: Layout) -> int:
    from .commands.run import run_harness

    overrides = {"max_iterations": args.max_iterations, "model": args.model or None}
    given = (("max_cost_usd", args.max_cost), ("max_duration", args.max_duration))
    budget = {key: value for key, value in given if value is not None}
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
        workers=args.workers,
        shard=args.shard,
    )


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
    if code in INTERRUPTIONS:
        # State is saved; do not let interpreter shutdown wait on threads still reading from
        # a CLI that was interrupted mid-answer: a second Ctrl+C must exit at once.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
