"""Parsing a JUnit report without DTDs: no report needs one, and entities live there.

Every chunk goes first to a bare expat parser whose DOCTYPE and entity-declaration handlers
raise, and only then to ElementTree's C parser, which builds the tree. A DOCTYPE may only stand
in the prolog, so the check ends at the root element's start: both parsers are expat reading the
same bytes, so a DOCTYPE the tree parser could see is one the checker saw first, whatever comes
before it (comments, processing instructions) and in any encoding (UTF-16 included), which a
byte scan could not promise. The tree parser keeps its fast path (no Python per element).
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn
from xml.etree import ElementTree
from xml.parsers import expat

CHUNK = 1 << 16
ROOTS = ("testsuites", "testsuite")


class ReportRefused(ValueError):
    """The file is XML but not a report the harness will read."""


class _PrologEnds(Exception):
    """The root element starts: nothing after it can declare an entity."""


def _refuse(*_: object) -> NoReturn:
    raise ReportRefused("it has a DOCTYPE; DTDs and entities are refused")


def _root(*_: object) -> NoReturn:
    raise _PrologEnds


def _checker() -> expat.XMLParserType:
    checker = expat.ParserCreate(namespace_separator="}")  # as ElementTree creates its own
    checker.StartDoctypeDeclHandler = _refuse
    checker.EntityDeclHandler = _refuse
    checker.UnparsedEntityDeclHandler = _refuse
    checker.StartElementHandler = _root
    return checker


def parse_report(path: Path | str) -> ElementTree.Element:
    """The root ``<testsuites>`` or ``<testsuite>`` of a report.

    Raises ``OSError``, ``ElementTree.ParseError`` or ``ValueError`` (``ReportRefused``
    among them); the caller turns each into a problem.
    """
    checker: expat.XMLParserType | None = _checker()
    parser = ElementTree.XMLParser()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            if checker is not None:
                checker = _check(checker, chunk)  # a DOCTYPE raises before the tree sees it
            parser.feed(chunk)
    if checker is not None:
        _check(checker, b"", final=True)  # no root element yet: let expat say what is wrong
    root: ElementTree.Element = parser.close()
    if root.tag not in ROOTS:
        raise ReportRefused(f"the root element is <{root.tag}>, not <testsuites> or <testsuite>")
    return root


def _check(
    checker: expat.XMLParserType, chunk: bytes, *, final: bool = False
) -> expat.XMLParserType | None:
    """Feed the checker; ``None`` once the prolog is over (no more checking needed)."""
    try:
        checker.Parse(chunk, final)
    except _PrologEnds:
        return None
    except expat.ExpatError as exc:
        raise ElementTree.ParseError(str(exc)) from exc
    return checker
