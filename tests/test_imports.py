"""The package's shape: no import cycle, cheap imports, one owner of the harness's paths."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pytest_agent_harness

PACKAGE = Path(pytest_agent_harness.__file__).parent
HEAVY = ("claude_agent_sdk", "git", "junitparser", "tree_sitter", "tree_sitter_bash")


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name (the demo project is data, not code)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        if "demo_project" in relative.parts:
            continue
        parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
        found[".".join(parts)] = path
    return found


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except what sits under ``if TYPE_CHECKING:`` (never imported at run time)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules ``name`` imports at run time, at module level or inside functions."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    edges = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            targets = [source] + [f"{source}.{alias.name}" for alias in node.names]
        edges |= {target for target in targets if target in known and target != name}
    return edges


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


@pytest.mark.slow  # >= 1.4 s
def test_the_package_has_no_import_cycle() -> None:
    known = modules()
    graph = {name: imports_of(name, path, known) for name, path in known.items()}
    assert graph["pytest_agent_harness.run.loop"], "the graph finder found no imports at all"
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def _loaded_after(code: str) -> set[str]:
    program = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_package_and_pytest_plugin_imports_load_nothing_heavy() -> None:
    loaded = _loaded_after("import pytest_agent_harness, pytest_agent_harness.pytest_plugin")
    assert not loaded & set(HEAVY)


def test_loading_a_config_loads_nothing_heavy_and_no_tracker(tmp_path: Path) -> None:
    harness = tmp_path / ".agent-harness"
    harness.mkdir()
    (harness / "config.toml").write_text('[[phases]]\nname = "a"\nprompt = "b"\n')
    loaded = _loaded_after(
        "from pathlib import Path\n"
        "from pytest_agent_harness.plugins import load_plugins\n"
        "from pytest_agent_harness.config import load_config\n"
        f"load_config(Path({str(tmp_path)!r}), tracker_types=load_plugins().tracker_types())"
    )
    assert not loaded & set(HEAVY)
    assert not {m for m in loaded if m.startswith("pytest_agent_harness.trackers.")} - {
        "pytest_agent_harness.trackers.builtin"
    }


def test_the_loop_and_cli_load_nothing_heavy() -> None:
    loaded = _loaded_after("import pytest_agent_harness.run.loop, pytest_agent_harness.cli")
    assert not loaded & set(HEAVY)


@pytest.mark.slow
def test_the_sdk_adapter_is_where_the_sdk_loads() -> None:
    assert "claude_agent_sdk" in _loaded_after("import pytest_agent_harness.agent.sdk")


HEAVY_HOMES = {
    "claude_agent_sdk": {"pytest_agent_harness.agent.sdk"},
    "git": {"pytest_agent_harness.gitops.repository"},
    "junitparser": {"pytest_agent_harness.trackers.junit"},
    "tree_sitter": {"pytest_agent_harness.security.bash"},
    "tree_sitter_bash": {"pytest_agent_harness.security.bash"},
}


@pytest.mark.parametrize("library", sorted(HEAVY_HOMES))
def test_each_heavy_library_has_one_importer(library: str) -> None:
    importers = set()
    for name, path in modules().items():
        if name.startswith("pytest_agent_harness.testing"):
            continue  # the scripted model's fixtures may use anything
        for node in _runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                sources = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                sources = [node.module or ""]
            else:
                continue
            if any(s == library or s.startswith(library + ".") for s in sources):
                importers.add(name)
    assert importers == HEAVY_HOMES[library]


# -- one owner of the harness's paths ---------------------------------------------------------

HARNESS_FILES = (
    ".agent-harness",
    "config.toml",
    "session.json",
    "ledger.jsonl",
    "baseline.json",
    "run.lock",
    "pytest-junit.xml",
)
HARNESS_DIRS = ("logs", "evidence", "prompts", "claude")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def spelt_paths(source: str) -> list[str]:
    """Harness paths spelt in code: a harness file's name in a string, or a harness dir joined
    onto something named like the harness dir. Docstrings (prose) do not count."""
    tree = ast.parse(source)
    prose = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            found += [name for name in HARNESS_FILES if name in node.value]
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Div)
            and isinstance(node.right, ast.Constant)
            and node.right.value in HARNESS_DIRS
            and "harness" in ast.unparse(node.left)
        ):
            found.append(ast.unparse(node))
    return sorted(found)


def test_the_path_finder_sees_spelt_paths() -> None:
    assert spelt_paths('p = root / ".agent-harness" / "session.json"') == [
        ".agent-harness",
        "session.json",
    ]
    assert spelt_paths('p = f"{root}/.agent-harness/run.lock"') == [".agent-harness", "run.lock"]
    assert spelt_paths('p = config.harness_dir / "logs"') == ["config.harness_dir / 'logs'"]
    assert spelt_paths('def f():\n    """Writes session.json."""\n') == []


def test_no_harness_path_is_spelt_outside_the_layout() -> None:
    spelt = {
        name: found
        for name, path in modules().items()
        if name != "pytest_agent_harness.layout" and (found := spelt_paths(path.read_text()))
    }
    assert spelt == {}


README = Path(__file__).resolve().parent.parent / "README.md"


def _architecture_tree() -> dict[str, str]:
    """The README's package tree: each top-level entry and the text describing it."""
    tree = README.read_text().split("## Architecture", 1)[1].split("```", 2)[1]
    entries: dict[str, str] = {}
    current = ""
    for line in tree.splitlines():
        if match := re.match(r"^  ([a-z_]+(?:\.py|/))\s*(.*)", line):
            current = match.group(1)
            entries[current] = match.group(2)
        elif current and line.startswith("   "):
            entries[current] += " " + line.strip()
    return entries


@pytest.mark.skipif(not README.is_file(), reason="the README is not in this tree")
def test_the_readme_architecture_is_true_to_the_code() -> None:
    entries = _architecture_tree()
    actual = {
        p.name + ("/" if p.is_dir() else "")
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").is_file())
        and p.name not in ("__init__.py", "__main__.py")
    }
    assert set(entries) == actual
    for entry, text in entries.items():
        if entry.endswith("/"):
            for module in re.findall(r"\b([a-z_]+\.py)\b", text):
                assert (PACKAGE / entry / module).is_file(), f"{entry}{module}"
