"""Work units: the tracker's items split into pieces that workers and shards take whole.

A unit's key is what its items share, so the split is the same on every machine and every run:

- a test (pytest and JUnit trackers): the part of its id before the first ``::``, which is the
  test file for pytest (``tests/test_io.py``) and the classname for JUnit
  (``com.acme.ParserTest``);
- a checklist item: the item itself (``#3``).

``parallel.together`` patterns (``fnmatch``) join every unit whose key matches one pattern into
one unit, keyed by the pattern. Shard ``I`` of ``N`` takes the units at positions ``I-1``,
``I-1+N``, ... of the keys in sorted order (round-robin), so shards are reproducible and
even.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..trackers.base import Item, Progress


@dataclass(frozen=True)
class Unit:
    key: str
    items: tuple[str, ...]
    """The ids of the tracker items it holds."""

    @property
    def name(self) -> str:
        """A name for branches, worktrees and folders: the key made safe, and a hash of it
        so two keys that make the same safe name stay apart."""
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.key).strip("-.")[-40:] or "unit"
        return f"{slug}-{hashlib.sha256(self.key.encode()).hexdigest()[:8]}"

    @property
    def paths(self) -> tuple[str, ...]:
        """The test files the unit's keys name (pytest): what a worker's tracker runs."""
        return tuple(sorted({item.split("::", 1)[0] for item in self.items}))


def item_key(item_id: str) -> str:
    return item_id.split("::", 1)[0]


def partition(items: Iterable[Item], together: Sequence[str] = ()) -> list[Unit]:
    """The units of ``items``, sorted by key."""
    grouped: dict[str, list[str]] = {}
    for item in items:
        key = item_key(item.id)
        key = next((pattern for pattern in together if fnmatch.fnmatchcase(key, pattern)), key)
        grouped.setdefault(key, []).append(item.id)
    return [Unit(key, tuple(ids)) for key, ids in sorted(grouped.items())]


def shard(units: Sequence[Unit], index: int, count: int) -> list[Unit]:
    """Shard ``index`` (1-based) of ``count``: round-robin over the keys in sorted order."""
    ordered = sorted(units, key=lambda unit: unit.key)
    return [unit for position, unit in enumerate(ordered) if position % count == index - 1]


def parse_shard(text: str) -> tuple[int, int]:
    """``I/N`` as ``(I, N)``; ValueError with the fix when it is not one."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"--shard takes I/N with 1 <= I <= N, such as 2/8 (got {text!r})")
    return int(match[1]), int(match[2])


def of_unit(progress: Progress, unit: Unit) -> Progress:
    """``progress`` as one unit sees it: its own items, and every warning (tampering anywhere
    in the tree is the unit's business too)."""
    wanted = set(unit.items)
    items = tuple(item for item in progress.items if item.id in wanted)
    missing = wanted - {item.id for item in items}
    items += tuple(
        Item(id=item_id, status="missing", evidence="not in the results") for item_id in missing
    )
    return Progress(
        items=items,
        warnings=progress.warnings,
        source=progress.source,
        completable=progress.completable,
        extra=progress.extra,
        strength=progress.strength,
    )
