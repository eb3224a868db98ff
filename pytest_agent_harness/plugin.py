"""The pytest11 entry point. It is loaded into every pytest run, so it imports nothing heavy."""

from __future__ import annotations
