"""Every example is a complete, valid project: `agent-harness verify` passes on each, offline."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_agent_harness.cli import main
from pytest_agent_harness.config import load_config
from pytest_agent_harness.security.mcp import check_mcp

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NAMES = ["claude-ai-clone", "node-junit", "pytest-refactor"]


def test_the_examples_are_all_here() -> None:
    assert sorted(p.name for p in EXAMPLES.iterdir()) == NAMES


def test_the_demos_packaged_copy_is_the_pytest_refactor_example() -> None:
    """The example is the source; the package ships a copy for `agent-harness demo`."""
    from pytest_agent_harness.commands.demo import DEMO_PROJECT

    def files(root: Path) -> dict[str, bytes]:
        skip = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
        return {
            path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*"))
            if path.is_file() and not skip & set(path.relative_to(root).parts)
        }

    example = EXAMPLES / "pytest-refactor"
    assert not example.is_symlink()  # a copy of the examples folder must be a working project
    assert files(DEMO_PROJECT) == files(example), (
        "pytest_agent_harness/demo_project differs from examples/pytest-refactor: after editing "
        "the example, refresh the copy: rm -r pytest_agent_harness/demo_project && "
        "cp -r examples/pytest-refactor pytest_agent_harness/demo_project"
    )


@pytest.mark.parametrize("name", NAMES)
def test_example_passes_verify(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if name == "claude-ai-clone" and shutil.which("npx") is None:
        pytest.skip("its MCP server is started with npx, which is not installed here")
    project = tmp_path / name
    shutil.copytree(EXAMPLES / name, project, symlinks=False)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    monkeypatch.delenv("CLAUDE_CODE_OAUTH_TOKEN", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-" + "e" * 90)

    assert main(["verify", "--project-dir", str(project)]) == 0, capsys.readouterr().out
    load_config(project)  # and it loads as a config object


def test_the_node_example_is_read_through_junit() -> None:
    config = load_config(EXAMPLES / "node-junit")
    assert (config.tracking.type, config.tracking.junit_paths) == ("junit", ("reports/*.xml",))


def test_the_clone_example_restricts_its_browser() -> None:
    config = load_config(EXAMPLES / "claude-ai-clone")
    restrictions = config.security.tool_restrictions
    for url in ("file:///etc/passwd", "FILE:/etc/passwd", "javascript:alert(1)", "chrome://x"):
        for tool in ("mcp__puppeteer__puppeteer_navigate", "mcp__puppeteer__puppeteer_fill"):
            assert check_mcp(restrictions, tool, {"url": url}), (tool, url)
    assert check_mcp(restrictions, "mcp__puppeteer__puppeteer_navigate", {"url": "data:x"})
    assert not check_mcp(
        restrictions, "mcp__puppeteer__puppeteer_navigate", {"url": "http://localhost:3000/"}
    )
    assert [p.name for p in config.phases] == ["initializer", "coding"]
