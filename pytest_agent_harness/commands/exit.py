"""The one exit path: every command's expected errors become a one-line message and their exit
code; anything else is a harness bug, whose traceback goes to a crash log, not the console.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from .. import __version__
from ..errors import ExitCode, HarnessError, InternalError
from ..layout import Layout


def run_command(
    command: Callable[[], int], layout: Layout | None, *, prog: str = "agent-harness"
) -> int:
    """Run ``command`` and return its exit code, reporting every failure on one stderr line."""
    try:
        code = int(command())
        sys.stdout.flush()  # here, not at exit, where a closed pipe would print a traceback
        return code
    except BrokenPipeError:
        from ..agent.display import quiet_stdout

        quiet_stdout()
        return int(ExitCode.OUTPUT_CLOSED)
    except HarnessError as exc:
        return report(exc, prog)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:
        return report(InternalError(exc, write_crash_log(exc, layout)), prog)


def report(error: HarnessError, prog: str = "agent-harness") -> int:
    print(f"{prog}: error: {error}", file=sys.stderr)
    return int(error.exit_code)


def write_crash_log(error: BaseException, layout: Layout | None) -> Path | None:
    """Write the traceback to the harness's logs (or the temp dir); None if nowhere works."""
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
    places = [layout.crash_log(stamp)] if layout is not None else []
    places.append(Path(tempfile.gettempdir()) / f"agent-harness-crash-{stamp}.log")
    text = (
        f"agent-harness {__version__}, Python {sys.version.split()[0]}\n"
        f"command: {' '.join(sys.argv)}\n\n"
        + "".join(traceback.format_exception(type(error), error, error.__traceback__))
    )
    for path in places:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError:
            continue
        return path
    return None
