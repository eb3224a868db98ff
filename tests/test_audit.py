"""The session audit: any change to the protected set is found, reported and put back."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path

from pytest_agent_harness.agent.display import Display
from pytest_agent_harness.agent.session import EventSink, SessionOutcome, SessionSpec
from pytest_agent_harness.config import load_config
from pytest_agent_harness.errors import ExitCode
from pytest_agent_harness.run.audit import ProtectedFiles
from pytest_agent_harness.run.loop import Runner


def _tree(root: Path) -> dict[str, object]:
    out: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_symlink():
            out[key] = ("link", os.readlink(path))
        elif path.is_file():
            out[key] = (path.read_bytes(), os.stat(path).st_nlink)
        else:
            out[key] = "dir"
    return out


def test_every_kind_of_change_is_found_and_undone(tmp_path: Path) -> None:
    root = tmp_path / "protected"
    (root / "sub").mkdir(parents=True)
    (root / "config.toml").write_text("safe = true\n")
    (root / "sub" / "baseline.json").write_text("{}\n")
    (root / "gone.txt").write_text("kept\n")
    before = _tree(root)
    audit = ProtectedFiles([root])

    (root / "config.toml").write_text("safe = false\n")  # edited
    (root / "planted.toml").write_text("x\n")  # added
    (root / "gone.txt").unlink()  # removed
    (root / "sub" / "baseline.json").unlink()
    (root / "sub" / "baseline.json").symlink_to(tmp_path / "elsewhere")  # replaced by a link
    os.link(root / "config.toml", tmp_path / "outside-hard-link")  # hard-linked from outside

    changed = {p.relative_to(root).as_posix() for p in audit.changes()}
    assert changed == {"config.toml", "planted.toml", "gone.txt", "sub/baseline.json"}
    audit.restore(audit.changes())
    assert _tree(root) == before
    assert audit.changes() == []
    # The hard link outside no longer shares the restored file.
    assert (tmp_path / "outside-hard-link").read_text() == "safe = false\n"


def test_skipped_paths_are_not_compared(tmp_path: Path) -> None:
    (tmp_path / "claude").mkdir()
    audit = ProtectedFiles([tmp_path], skip=lambda p: p.name == "claude")
    (tmp_path / "claude" / "settings.json").write_text("{}")
    assert audit.changes() == []


def test_a_session_that_tampers_is_restored_recorded_and_never_complete(
    make_project: Callable[..., Path],
) -> None:
    project = make_project({"max_iterations": 1})
    subprocess_git(project)
    config_before = (project / ".agent-harness" / "config.toml").read_text()
    git_config_before = (project / ".git" / "config").read_text()

    def session(spec: SessionSpec, sink: EventSink) -> SessionOutcome:
        # What a layer that failed would let through: forge done, plant a program, edit config.
        items = json.loads((project / "feature_list.json").read_text())
        (project / "feature_list.json").write_text(
            json.dumps([{**i, "passes": True} for i in items])
        )
        with (project / ".git" / "config").open("a") as handle:
            handle.write('[core]\n\tfsmonitor = "touch /tmp/pwned"\n')
        with (project / ".agent-harness" / "config.toml").open("a") as handle:
            handle.write('\n[tools.mcp_servers.x]\ncommand = "/bin/sh"\n')
        return SessionOutcome(is_error=False, subtype="success")

    out = io.StringIO()
    config = load_config(project)
    result = Runner(config, Display(out), session_fn=session, sleep=lambda s: None).run()
    assert result.exit_code is not ExitCode.COMPLETE
    assert (project / ".agent-harness" / "config.toml").read_text() == config_before
    assert (project / ".git" / "config").read_text() == git_config_before
    ledger = json.loads((project / ".agent-harness" / "ledger.jsonl").read_text().splitlines()[-1])
    assert ledger["tampered"] == [".agent-harness/config.toml", ".git/config"]
    assert "tampering" in out.getvalue()
    assert any("tampering" in w for w in result.progress.warnings)


def subprocess_git(project: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", str(project)], check=True)
