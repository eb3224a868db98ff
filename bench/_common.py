"""What every benchmark shares: a row per measured target, printed and optionally saved as JSON.

``run_all.py`` starts each benchmark in its own process with ``--rows-json FILE`` and builds
its summary table from those files, so no benchmark's imports or memory colour another's.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Row:
    what: str
    measured: str
    target: str
    holds: bool


def parser(doc: str) -> argparse.ArgumentParser:
    """A benchmark's options: its docstring's first line, and run_all's hidden --rows-json."""
    options = argparse.ArgumentParser(description=doc.splitlines()[0])
    options.add_argument("--rows-json", type=Path, help=argparse.SUPPRESS)
    return options


def report(rows: Sequence[Row], rows_json: Path | None) -> int:
    """Print each row with its verdict; exit status 0 only when every target holds."""
    width = max(len(row.what) for row in rows)
    for row in rows:
        verdict = "holds" if row.holds else "MISSED"
        print(f"  {row.what:<{width}}  {row.measured}   target {row.target}   {verdict}")
    if rows_json is not None:
        rows_json.write_text(json.dumps([asdict(row) for row in rows]))
    return 0 if all(row.holds for row in rows) else 1
