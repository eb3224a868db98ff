"""The pluggy markers of the ``agent_harness`` project, apart from the specs so plugins import
them without loading anything else."""

from __future__ import annotations

import pluggy

PROJECT = "agent_harness"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
