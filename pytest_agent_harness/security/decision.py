"""A policy's verdict: allowed, or denied with a rule id and a reason the model can act on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Decision:
    allowed: bool
    rule: str = ""
    reason: str = ""


ALLOWED = Decision(allowed=True)


def allow() -> Decision:
    return ALLOWED


def deny(rule: str, reason: str) -> Decision:
    return Decision(allowed=False, rule=rule, reason=reason)
