"""The migration's definition of done: no test module may use unittest any more."""

from pathlib import Path

LEGACY = ("import unittest", "unittest.TestCase", "self.assert", "def setUp")


def test_suite_is_idiomatic_pytest():
    offenders = [
        f"{path.name}: {marker}"
        for path in sorted(Path(__file__).parent.glob("test_*.py"))
        if path.name != "test_style.py"
        for marker in LEGACY
        if marker in path.read_text()
    ]
    assert offenders == []
