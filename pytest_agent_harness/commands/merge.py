"""``agent-harness merge BRANCH...``: bring shard branches together, then gate like
``status --check``.

Each branch is merged into the checked-out branch with a merge commit, in the order given; a
conflict is aborted (nothing half-merged is left) and ends the command. A branch may change the
harness's own committed files (its ``.gitignore``, the tamper baseline) only to add what this
branch lacks or what it holds already: a shard taken from the same tree carries the same
baseline, and one carrying another is refused, as is any change to the config, the prompts or
a ``.git`` entry. The merged tree is then measured, read-only, as ``status --check`` does
(with the strength gate when ``[strength]`` is on), and the exit code is that gate's.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import ExitCode
from ..layout import Layout

if TYPE_CHECKING:
    from ..config import Config


def run_merge(layout: Layout, names: Sequence[str], *, trust_config: bool = False) -> int:
    from ..config import load_config
    from ..gitops import branches
    from ..parallel import books
    from ..parallel.books import MergeRecord
    from ..parallel.coordinator import forbidden_paths
    from ..plugins import load_plugins
    from ..run.books import run_lock
    from ..run.checkpoints import accepted_git
    from ..trust import check
    from .status import run_status

    plugins = load_plugins()
    config = load_config(
        layout.project_dir, layout.harness_dir, tracker_types=plugins.tracker_types()
    )
    if notice := check(config.layout, accept=trust_config):
        print(notice)
    project = config.project_dir
    with run_lock(config.layout):
        guard = accepted_git(config.layout)
        record = books.load(config.layout)
        for name in names:
            if branches.tip(project, name) is None:
                print(f"merge: no branch or commit named {name!r}", file=sys.stderr)
                return int(ExitCode.USAGE_ERROR)
            if why := _refused(config, name, forbidden_paths(config)):
                print(f"merge: {name} not merged: {why}", file=sys.stderr)
                return int(ExitCode.INCOMPLETE)
            merged = branches.merge(
                project, name, f"agent-harness: merge {name}", config.git.author, guard
            )
            detail = ", ".join(merged.conflicts) or merged.error
            record.merges.append(
                MergeRecord(
                    unit=name,
                    branch=name,
                    worker="",
                    result="merged" if merged.commit else "conflict",
                    commit=merged.commit,
                    detail=detail,
                )
            )
            books.save(config.layout, record)
            if merged.commit is None:
                what = f"conflicts in {detail}" if merged.conflicts else detail
                print(f"merge: {name} not merged ({what}); nothing was changed", file=sys.stderr)
                return int(ExitCode.INCOMPLETE)
            print(f"Merged {name} as {merged.commit[:10]}")
    return run_status(
        layout,
        check=True,
        as_json_output=False,
        junit_xml=None,
        trust_config=False,
        strength=config.strength.enabled,
    )


def _refused(config: Config, name: str, paths: tuple[str, ...]) -> str:
    """Why the branch ``name`` may not be merged, or ''."""
    from ..gitops import branches
    from ..parallel.merging import forbidden

    project = config.project_dir
    top, _ = branches.top_of(project)
    own = {p.relative_to(top.resolve()).as_posix() for p in config.layout.committed_files
           if top.resolve() in p.parents}  # fmt: skip
    bad = []
    for path in branches.changed_by(project, name):
        if path in own:
            here, there = branches.blob(project, "HEAD", path), branches.blob(project, name, path)
            if here is not None and here != there:
                bad.append(path)
        elif forbidden(path, paths):
            bad.append(path)
    return f"it changes files no run may: {', '.join(bad[:5])}" if bad else ""
