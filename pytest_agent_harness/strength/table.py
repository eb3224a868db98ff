"""The strength gate's before/after summary (``gate.summary``) as text and as Markdown: for
``status``, the end of a run and the GitHub step summary. Plain data in, no imports of the
engine."""

from __future__ import annotations

from typing import Any

HEADER = ("file", "lines", "branches", "mutants killed")


def verdict(data: dict[str, Any]) -> str:
    return "passes" if data["passed"] else "inconclusive" if data["inconclusive"] else "fails"


def rows(data: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """One row per source file: baseline -> now."""

    def pair(values: list[float | None]) -> str:
        return " -> ".join("-" if v is None else f"{v:g}%" for v in values)

    found = []
    for file, row in data["files"].items():
        killed = f"{row['killed'][0]} -> {row['killed'][1]} of {row['mutants']}"
        found.append((file, pair(row["lines"]), pair(row["branches"]), killed))
    return found


def render(data: dict[str, Any]) -> str:
    """A plain table, the verdict and the problems; or the reason there is no table."""
    if "files" not in data:
        return f"Strength gate: {data.get('problem', 'not measured')}"
    table = [HEADER, *rows(data)]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in table]
    lines.append(f"Strength gate: {verdict(data)} (baseline -> now)")
    lines += [f"  {p}" for p in data["problems"]]
    lines += [f"  note: {n}" for n in data.get("notes", ())]
    lines += [f"  renamed: {old} -> {', '.join(new)}" for old, new in _renamed(data)]
    return "\n".join(lines)


def markdown(data: dict[str, Any]) -> str:
    if "files" not in data:
        return f"**Strength gate**: {data.get('problem', 'not measured')}\n"
    lines = [f"### Strength gate: {verdict(data)} (baseline -> now)", ""]
    lines += ["| " + " | ".join(HEADER) + " |", "|---|---|---|---|"]
    lines += [
        "| " + " | ".join(f"`{r[0]}`" if i == 0 else r[i] for i in range(4)) + " |"
        for r in rows(data)
    ]
    lines += [""] + [f"- {p}" for p in data["problems"]]
    lines += [f"- note: {n}" for n in data.get("notes", ())]
    renamed = _renamed(data)
    if renamed:
        lines += ["", "| baseline test | now caught by |", "|---|---|"]
        lines += [f"| `{old}` | {', '.join(f'`{n}`' for n in new)} |" for old, new in renamed]
    return "\n".join(lines) + "\n"


def _renamed(data: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """Baseline tests that are gone, and the tests that now kill the mutants they killed."""
    return [(old, new) for old, new in data.get("renamed", {}).items() if new and old not in new]
