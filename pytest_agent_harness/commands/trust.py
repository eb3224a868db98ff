"""``agent-harness trust``: a person accepts the config as it is now."""

from __future__ import annotations

from ..errors import ExitCode
from ..layout import Layout


def run_trust(layout: Layout) -> int:
    """Check the config loads, then record it as trusted and say what changed."""
    from ..config import load_config
    from ..plugins import load_plugins
    from ..trust import trust

    load_config(
        layout.project_dir, layout.harness_dir, tracker_types=load_plugins().tracker_types()
    )
    changed = trust(layout)
    if layout.git_dir.exists():
        from ..run.checkpoints import accepted_git

        accepted_git(layout, accept=True)  # its hooks and program-running config, as they are
    detail = f"; changed since the last trust: {', '.join(changed)}" if changed else ""
    print(f"Trusted {layout.config}{detail}")
    return int(ExitCode.COMPLETE)
