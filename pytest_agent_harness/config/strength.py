"""The ``[strength]`` table: the gate a refactored suite passes before the work is complete."""

from __future__ import annotations

from dataclasses import dataclass

from .fields import above, at_least, key, one_of


@dataclass(frozen=True, kw_only=True)
class StrengthConfig:
    enabled: bool = key(
        False, "bool", help="Hold the suite to the baseline suite's strength (pytest tracker)."
    )
    source: tuple[str, ...] = key(
        (),
        "list[str]",
        help="The code under test: files or folders in the project; empty: its packages.",
    )
    coverage: bool = key(True, "bool", help="Line and branch coverage must not fall.")
    mutation: bool = key(
        True, "bool", help="Every sampled mutant the baseline suite killed must still be killed."
    )
    mutants: int = key(200, "int", check=at_least(1), help="How many mutants are sampled.")
    seed: int = key(0, "int", help="The seed the sample is drawn with.")
    max_seconds: float = key(
        600.0, "number", check=above(0), help="Budget of one gate run; beyond it: inconclusive."
    )
    when: str = key(
        "complete",
        check=one_of("complete", "every-session"),
        help="When the gate runs: once the tests would be complete, or after every session.",
    )
    source_frozen: bool = key(
        True, "bool", help="The code under test must stay byte-identical to the baseline."
    )
    tolerance: float = key(
        0.0, "number", check=at_least(0), help="Coverage points a file may lose."
    )
