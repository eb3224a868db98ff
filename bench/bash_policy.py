"""Time the bash policy on the test corpus: median and p95 microseconds per command.

Every command is checked in each of several interleaved rounds (the first round, which builds
the parser, is not counted). Target: median under 200 microseconds per command.

    python bench/bash_policy.py [--rounds N]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from _common import Row, parser, report
from test_bash_policy import CASES, POLICY, VALIDATED, VALIDATOR_CASES

from pytest_agent_harness.security.bash import check_command

TARGET_US = 200.0


def main() -> int:
    options = parser(__doc__)
    options.add_argument("--rounds", type=int, default=20)
    args = options.parse_args()
    corpus = [(c, POLICY) for c, _ in CASES] + [(c, VALIDATED) for c, _ in VALIDATOR_CASES]
    for command, policy in corpus:  # warm-up: parser construction, imports
        check_command(command, policy)
    per_command: list[list[float]] = [[] for _ in corpus]
    for _ in range(args.rounds):
        for index, (command, policy) in enumerate(corpus):
            start = time.perf_counter()
            check_command(command, policy)
            per_command[index].append((time.perf_counter() - start) * 1e6)
    medians = sorted(statistics.median(times) for times in per_command)
    median = statistics.median(medians)
    p95 = medians[int(len(medians) * 0.95)]
    print(f"bash policy: {len(corpus)} commands x {args.rounds} rounds")
    row = Row(
        what="bash policy, one command",
        measured=f"median {median:.1f} us, p95 {p95:.1f} us",
        target=f"median < {TARGET_US:g} us",
        holds=median < TARGET_US,
    )
    return report([row], args.rows_json)


if __name__ == "__main__":
    sys.exit(main())
