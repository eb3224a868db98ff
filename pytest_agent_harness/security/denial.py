"""How the bash policy's checks refuse: raise ``Denied`` with the decision to return.

The walk over a script is deep and recursive; a check anywhere in it stops the whole walk by
raising, and ``check_command`` turns the exception back into its ``Decision``.
"""

from __future__ import annotations

from .decision import Decision, deny


class Denied(Exception):
    def __init__(self, decision: Decision) -> None:
        self.decision = decision


def no(rule: str, reason: str) -> Denied:
    """The exception to raise to deny with ``rule`` and ``reason``."""
    return Denied(deny(rule, reason))
