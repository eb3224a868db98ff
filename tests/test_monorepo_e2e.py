"""A project that is a folder of a larger repository (a monorepo's package): the harness uses that
repository, never a nested one, commits only inside the folder, and keeps its refs apart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import harness_env, passing_checklist

from pytest_agent_harness import gitops
from pytest_agent_harness.testing import Turn, text, tool_use


def git(folder: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), *args], capture_output=True, text=True, check=True
    ).stdout


def monorepo(make_project, tmp_path: Path) -> tuple[Path, Path]:
    """``tmp_path`` as a repository holding ``project/`` and ``other/``, all committed; the
    user then edits ``other/keep.txt`` and leaves it uncommitted."""
    project = make_project(files={"src/lib.py": "x = 0\n"})
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "keep.txt").write_text("v1\n")
    (tmp_path / ".gitignore").write_text("claude-config/\nhome/\nmodel*/\n")
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=U", "-c", "user.email=u@e", "commit", "-qm", "monorepo")
    (tmp_path / "other" / "keep.txt").write_text("v2, the user's work in progress\n")
    return tmp_path, project


@pytest.mark.e2e
@pytest.mark.slow
def test_a_folder_of_a_repository_uses_it_and_commits_only_inside(
    make_project, scripted_model, tmp_path: Path
) -> None:
    top, project = monorepo(make_project, tmp_path)
    features = project / "feature_list.json"
    model = scripted_model(
        [
            Turn(
                tool_use("Write", {"file_path": str(project / "src" / "new.py"), "content": "y = 1\n"}),
                tool_use("Write", {"file_path": str(features), "content": passing_checklist(project)}),
            ),
            Turn(text("Done.")),
        ]
    )  # fmt: skip
    env = harness_env(model, tmp_path)
    harness = [sys.executable, "-m", "pytest_agent_harness"]
    verify = subprocess.run(
        [*harness, "verify", "--project-dir", str(project)], capture_output=True, text=True, env=env
    )
    assert f"PASS  git: {project} is the folder project/ of the git repository at {top}" in (
        verify.stdout
    ), verify.stdout
    # From the folder, as `pytest --agent-harness`, then as `agent-harness run`.
    started = subprocess.run(
        [sys.executable, "-m", "pytest", "--agent-harness", "-p", "no:cacheprovider"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    assert f"Using the git repository at {top}; commits take only files in project/" in (
        started.stdout
    )
    again = subprocess.run(
        [*harness, "run", "--project-dir", str(project)], capture_output=True, text=True, env=env
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert "initialised" not in started.stdout + again.stdout
    assert not (project / ".git").exists()

    committed = git(top, "log", "--name-only", "--format=", "HEAD~1..HEAD").split()
    assert committed == ["project/feature_list.json", "project/src/new.py"], committed
    assert " M other/keep.txt" in git(top, "status", "--porcelain")  # the user's, untouched
    assert (top / "other" / "keep.txt").read_text().startswith("v2")
    refs = git(top, "for-each-ref", "--format=%(refname)", "refs/agent-harness").split()
    assert refs == ["refs/agent-harness/projects/project/session-1/start"], refs
    assert list(gitops.snapshot_refs(project)) == refs
    assert gitops.snapshot_refs(top) == {}  # the top's own refs are apart from the folder's


def test_a_folder_the_repository_ignores_gets_its_own(make_project, tmp_path: Path) -> None:
    project = make_project()
    (tmp_path / ".gitignore").write_text("project/\n")
    git(tmp_path, "init", "-q")
    result = gitops.preflight(project)
    assert result.initialized
    assert result.messages[0] == (
        f"{project} is ignored by the repository at {tmp_path}; initialised one"
    )
    assert (project / ".git").is_dir()


def test_a_repository_planted_in_the_folder_is_out_of_the_agents_reach(
    make_project, tmp_path: Path
) -> None:
    from pytest_agent_harness.config import load_config
    from pytest_agent_harness.security.guards import protected_paths
    from pytest_agent_harness.security.paths import PathPolicy

    project = make_project()
    git(tmp_path, "init", "-q")
    config = load_config(project)
    assert config.layout.git_dir == tmp_path / ".git"
    policy = PathPolicy(project_dir=project, protected=protected_paths(config))
    for target in (project / ".git" / "config", project / ".git" / "hooks" / "pre-commit"):
        reason = policy.check("Write", {"file_path": str(target), "content": "x"})
        assert reason is not None and "belongs to the harness" in reason, target
