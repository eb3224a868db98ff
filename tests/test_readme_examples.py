"""The README's code that a user copies runs as written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).resolve().parent.parent / "README.md"


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.mark.e2e
@pytest.mark.slow
def test_the_scripted_model_example_runs_as_written(pytester: pytest.Pytester) -> None:
    (block,) = python_blocks(section("Testing a config offline: the scripted model"))
    pytester.makepyfile(test_readme_example=block)
    if shutil.which("bwrap") is None or shutil.which("socat") is None:
        pytest.skip("init's config asks for the OS sandbox: bubblewrap and socat")
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider", timeout=300)
    result.assert_outcomes(passed=1)
