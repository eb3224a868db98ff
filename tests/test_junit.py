"""The JUnit reader on seven real runners' reports, the normalisation rules, and bad input."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_agent_harness.trackers.junit import find_reports, lookup, matches, read_junit

DATA = Path(__file__).parent / "data" / "junit"

# file: (unique testcases, passed, failed, error, skipped)
SAMPLES = {
    "pytest-xunit1.xml": (23, 12, 5, 3, 3),
    "pytest-xunit2.xml": (23, 12, 5, 3, 3),
    "node-test.xml": (9, 4, 3, 0, 2),
    "jest-junit-default.xml": (8, 6, 1, 0, 1),
    "gotestsum.xml": (7, 2, 4, 0, 1),
    "rspec.xml": (7, 2, 2, 0, 3),
    "surefire-3.2.5-TEST-demo.CalcTest.xml": (4, 1, 2, 1, 0),
}


@pytest.mark.parametrize(("name", "counts"), SAMPLES.items())
def test_real_reports_give_the_expected_counts(name: str, counts: tuple[int, ...]) -> None:
    report = read_junit([DATA / name])
    assert report.problems == ()
    statuses = Counter(case.status for case in report.cases.values())
    assert (
        len(report.cases), statuses["passed"], statuses["failed"], statuses["error"],
        statuses["skipped"],
    ) == counts  # fmt: skip


def test_all_samples_at_once_keep_every_case() -> None:
    report = read_junit(sorted(DATA.glob("*.xml")))
    # The two pytest reports run the same tests, but in two files they are two runs: each is
    # kept, its id qualified with its file, and a node id names both.
    assert len(report.cases) == sum(c[0] for c in SAMPLES.values())
    node = "tests/sub/test_classy.py::TestThing::test_method_fail"
    assert sorted(c.id for c in lookup(report, node)) == [
        "tests.sub.test_classy.TestThing::test_method_fail @ pytest-xunit1.xml > pytest",
        "tests.sub.test_classy.TestThing::test_method_fail @ pytest-xunit2.xml > pytest",
    ]


def test_xunit1_and_xunit2_give_the_same_ids_and_statuses() -> None:
    """The harness's own pytest runs may switch family (xunit1 keeps ``file``): no id moves."""
    one, two = (read_junit([DATA / f"pytest-{family}.xml"]) for family in ("xunit1", "xunit2"))
    assert {i: c.status for i, c in one.cases.items()} == {
        i: c.status for i, c in two.cases.items()
    }
    assert all(c.file for c in one.cases.values()) and not any(c.file for c in two.cases.values())


def test_pytest_xfail_and_teardown_error() -> None:
    report = read_junit([DATA / "pytest-xunit2.xml"])
    xfails = [c for c in report.cases.values() if c.xfail]
    assert len(xfails) == 1 and xfails[0].status == "skipped"
    node = "tests/sub/test_classy.py::TestThing::test_method_fail"
    (case,) = lookup(report, node)
    assert case.status == "failed" and "assert [1, 2] == [1, 3]" in case.message


def write(tmp_path: Path, body: str, name: str = "r.xml") -> Path:
    path = tmp_path / name
    path.write_text(f'<?xml version="1.0"?>\n{body}\n')
    return path


@pytest.mark.parametrize(
    ("cases", "status", "flaky"),
    [
        ('<testcase classname="c" name="t"><flakyFailure message="x"/></testcase>', "passed", True),
        ('<testcase classname="c" name="t"><rerunFailure/><failure message="x"/></testcase>', "failed", False),
        ('<testcase classname="c" name="t"><failure/></testcase><testcase classname="c" name="t"/>', "passed", True),
        ('<testcase classname="c" name="t"/><testcase classname="c" name="t"><error/></testcase>', "error", False),
        ('<testcase classname="c" name="t"><failure/></testcase><testcase classname="c" name="t"><error/></testcase>', "error", False),
        ('<testcase classname="c" name="t"><skipped/><failure/></testcase>', "failed", False),
    ],
)  # fmt: skip
def test_status_rules(tmp_path: Path, cases: str, status: str, flaky: bool) -> None:
    report = read_junit([write(tmp_path, f'<testsuite tests="99">{cases}</testsuite>')])
    (case,) = report.cases.values()
    assert (case.status, case.flaky) == (status, flaky)


def test_cases_count_at_any_depth_whatever_the_root(tmp_path: Path) -> None:
    body = (
        '<testsuites tests="1"><testcase name="top"/><testsuite><testsuite>'
        '<testcase classname="deep" name="a"/></testsuite></testsuite></testsuites>'
    )
    assert set(read_junit([write(tmp_path, body)]).cases) == {"top", "deep::a"}


@pytest.mark.parametrize(
    ("ref", "hit"),
    [
        ("tests/test_x.py::TestY::test_z[1]", True),
        ("tests/test_x.py::TestY::test_z[2]", False),
        ("tests.test_x.TestY::test_z[1]", True),
        ("test_z[1]", True),
        ("tests/test_x.py::test_z[1]", False),
    ],
)
def test_references_match_node_ids_and_classnames(tmp_path: Path, ref: str, hit: bool) -> None:
    body = '<testsuite><testcase classname="tests.test_x.TestY" name="test_z[1]"/></testsuite>'
    (case,) = read_junit([write(tmp_path, body)]).cases.values()
    assert matches(case, ref) is hit


def test_a_parametrized_reference_names_every_parameter_set(tmp_path: Path) -> None:
    body = (
        '<testsuite><testcase classname="tests.test_x" name="test_p[a]"/>'
        '<testcase classname="tests.test_x" name="test_p[b]"><failure/></testcase></testsuite>'
    )
    report = read_junit([write(tmp_path, body)])
    assert sorted(c.status for c in lookup(report, "tests/test_x.py::test_p")) == [
        "failed",
        "passed",
    ]


def test_a_bare_name_must_be_unique(tmp_path: Path) -> None:
    body = '<testsuite><testcase classname="a" name="t"/><testcase classname="b" name="t"/></testsuite>'
    assert lookup(read_junit([write(tmp_path, body)]), "t") == []


@pytest.mark.parametrize(
    "content",
    [
        "",
        "not xml at all",
        "<testsuites><testcase name='x'>",
        "<html><body/></html>",
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
        "<testsuites><testcase name='&lol2;'/></testsuites>",
        '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><testsuites><testcase name="&x;"/></testsuites>',
    ],
)
def test_bad_reports_are_problems_not_crashes(tmp_path: Path, content: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(content)
    report = read_junit([path, tmp_path / "missing.xml"])
    assert report.cases == {}
    assert len(report.problems) == 2
    assert all("not a readable JUnit XML report" in p for p in report.problems)


def test_find_reports_stays_inside_the_project(tmp_path: Path) -> None:
    (tmp_path / "p" / "reports").mkdir(parents=True)
    (tmp_path / "p" / "reports" / "a.xml").write_text("<testsuite/>")
    (tmp_path / "outside.xml").write_text("<testsuite/>")
    found = find_reports(tmp_path / "p", ["reports/*.xml", "../*.xml", "/etc/*.conf"])
    assert [p.name for p in found] == ["a.xml"]


# The three ways a test that failed or never ran used to come out passed.
SAME_NAME_TWO_SUITES = (
    '<testsuites><testsuite name="int"><testcase classname="test" name="adds"><failure/></testcase>'
    '</testsuite><testsuite name="float"><testcase classname="test" name="adds"/></testsuite>'
    "</testsuites>"
)
FORGED = """<testsuite><testcase classname="c" name="t"><failure/></testcase></testsuite>"""
ENTITY = '<!DOCTYPE r [<!ENTITY x \'<testcase classname="c" name="t"/>\'>]>'


def test_a_failure_is_not_hidden_by_a_same_named_pass_in_another_suite(tmp_path: Path) -> None:
    report = read_junit([write(tmp_path, SAME_NAME_TWO_SUITES)])
    assert {i: (c.status, c.flaky) for i, c in report.cases.items()} == {
        "test::adds @ int": ("failed", False),
        "test::adds @ float": ("passed", False),
    }
    assert [c.status for c in lookup(report, "test::adds")] == ["failed", "passed"]
    assert matches(report.cases["test::adds @ int"], "test::adds")


def test_a_failure_is_not_hidden_by_a_same_named_pass_in_another_file(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    failing = write(
        tmp_path / "a", '<testsuite name="s"><testcase name="m"><failure/></testcase></testsuite>'
    )
    passing = write(
        tmp_path / "b", '<testsuite name="s"><testcase name="m"/><testcase name="u"/></testsuite>'
    )
    report = read_junit([failing, passing])
    assert {i: c.status for i, c in report.cases.items()} == {
        "m @ a/r.xml > s": "failed",
        "m @ b/r.xml > s": "passed",
        "u": "passed",
    }


def test_ties_left_after_file_and_suite_are_numbered(tmp_path: Path) -> None:
    twice = '<testsuite name="s"><testcase name="m"/></testsuite>'
    report = read_junit([write(tmp_path, f"<testsuites>{twice}{twice}{twice}</testsuites>")])
    assert list(report.cases) == ["m @ s", "m @ s #2", "m @ s #3"]
    body = '<testsuite><testcase name="m" file="a.py"/><testcase name="m" file="b.py"/></testsuite>'
    assert list(read_junit([write(tmp_path, body)]).cases) == ["m @ a.py", "m @ b.py"]


@pytest.mark.parametrize(
    ("attrs", "child", "status"),
    [
        ('status="disabled"', "", "skipped"),
        ('status="notrun" result="suppressed"', "", "skipped"),
        ('status="run" result="skipped"', "", "skipped"),
        ('status="run" result="completed"', "", "passed"),
        ('status="disabled"', "<failure/>", "failed"),
        ('result="Not Run"', "", "skipped"),
    ],
)
def test_status_attributes_of_tests_that_never_ran(
    tmp_path: Path, attrs: str, child: str, status: str
) -> None:
    body = f'<testsuite><testcase classname="c" name="t" {attrs}>{child}</testcase></testsuite>'
    (case,) = read_junit([write(tmp_path, body)]).cases.values()
    assert case.status == status
    assert (case.message.startswith("not run")) is (status == "skipped")


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        (f'<?xml version="1.0"?><!-- <x -->{ENTITY}{FORGED}', "utf-8"),
        (f'<?xml version="1.0"?><?pi <x ?>{ENTITY}{FORGED}', "utf-8"),
        (f'<?xml version="1.0" encoding="UTF-16"?>{ENTITY}{FORGED}', "utf-16"),
        (f"{ENTITY}{FORGED}", "utf-16-be"),
        (f"<!DOCTYPE testsuite>{FORGED}", "utf-8"),
        (f"<!-- {'<x ' * 40_000} -->{ENTITY}{FORGED}", "utf-8"),  # past the first chunk
    ],
)
def test_a_doctype_is_refused_however_it_is_hidden(
    tmp_path: Path, content: str, encoding: str
) -> None:
    path = tmp_path / "r.xml"
    path.write_bytes(content.replace("<failure/>", "&x;").encode(encoding))
    report = read_junit([path])
    assert report.cases == {} and report.files == ()
    (problem,) = report.problems
    assert "not a readable JUnit XML report" in problem and "DOCTYPE" in problem


def test_a_utf16_report_without_a_doctype_reads(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    path.write_bytes(f'<?xml version="1.0" encoding="UTF-16"?>{FORGED}'.encode("utf-16"))
    assert [c.status for c in read_junit([path]).cases.values()] == ["failed"]


def test_a_node_id_finds_xunit1_cases_through_their_file(tmp_path: Path) -> None:
    """pytest run from ``tests/`` writes a shorter classname; its ``file`` still places it."""
    body = (
        '<testsuite><testcase classname="test_x.TestY" name="test_z[1]" file="test_x.py"/>'
        '<testcase classname="test_x.TestY" name="test_z[2]" file="test_x.py"><failure/>'
        "</testcase></testsuite>"
    )
    report = read_junit([write(tmp_path, body)])
    assert [c.name for c in lookup(report, "tests/test_x.py::TestY::test_z[1]")] == ["test_z[1]"]
    assert len(lookup(report, "tests/test_x.py::TestY::test_z")) == 2
    assert lookup(report, "tests/test_x.py::TestOther::test_z[1]") == []
    assert lookup(report, "tests/test_w.py::TestY::test_z[1]") == []


def test_thousands_of_nested_suites_do_not_crash(tmp_path: Path) -> None:
    depth = 5000
    body = '<testsuite name="s">' * depth + '<testcase name="t"/>' + "</testsuite>" * depth
    (case,) = read_junit([write(tmp_path, body)]).cases.values()
    assert case.id == "t" and case.suite.count(" > ") == depth - 1


ELEMENTS = st.sampled_from(
    ["testsuites", "testsuite", "testcase", "failure", "error", "skipped", "flakyFailure",
     "rerunFailure", "system-out", "properties"]
)  # fmt: skip
ATTRS = st.dictionaries(
    st.sampled_from(["name", "classname", "file", "time", "message", "type", "tests"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=8),
    max_size=3,
)


@st.composite
def documents(draw: st.DrawFn, depth: int = 0) -> str:
    from xml.sax.saxutils import quoteattr

    tag = draw(ELEMENTS)
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in draw(ATTRS).items())
    children = draw(st.lists(documents(depth + 1), max_size=3)) if depth < 3 else []
    return f"<{tag}{attrs}>{''.join(children)}</{tag}>"


@pytest.mark.fuzz
@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(doc=documents(), cut=st.integers(min_value=0, max_value=400))
def test_random_and_truncated_documents_never_crash(tmp_path: Path, doc: str, cut: int) -> None:
    for text in (doc, doc[:cut]):
        path = tmp_path / "fuzz.xml"
        path.write_text(text)
        report = read_junit([path])
        assert all(
            c.status in ("passed", "failed", "error", "skipped") for c in report.cases.values()
        )
