"""Random bash compositions: whenever the policy allows one, really running it starts only allowed
programs and writes nothing outside the project, because a parser-based policy is only as good
as its agreement with what bash actually does.

Each allowed command runs under the real bash in a scratch project, with PATH holding only shims
that record their own name; the wrappers and shells among them exec the real program, so what
those start is recorded too. A denied command is never run.
"""

from __future__ import annotations

import os
import select
import shlex
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import write_recording_shims
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pytest_agent_harness.security.bash import BashPolicy, check_command
from pytest_agent_harness.security.builtins import BUILTINS
from pytest_agent_harness.security.options import Spec, spellings
from pytest_agent_harness.security.writers import SORT

pytestmark = pytest.mark.fuzz

ALLOWED = frozenset(
    {"ls", "cat", "echo", "grep", "sort", "head", "wc", "true", "false", "test", "printf",
     "mkdir", "touch", "env", "timeout", "nice", "nohup", "xargs", "bash", "sh", "python3",
     "git", "cd", "sleep", "wait", "read", "export", "unset", "local", "declare", "typeset",
     "readonly", "mapfile", "readarray", "getopts", "jobs", "["}
)  # fmt: skip
FORBIDDEN = ("curl", "wget", "rm", "nc", "ssh", "perl", "dd", "chmod", "kill", "node", "make")
"""Not allowed. kill is a bash builtin as well: it starts no program, so it records nothing."""
RUNNERS = ("env", "timeout", "nice", "nohup", "xargs", "bash", "sh")
"""Shims that exec the real program, so the programs *they* start are recorded as well."""
SHIMS = sorted(ALLOWED | set(FORBIDDEN))
"""Builtins (echo, cd, test, ...) get a shim too; bash uses the builtin, env or xargs the shim."""

# The grammar writes these placeholders; each test swaps in the scratch area's real paths.
OUT = "@OUT@"
BIN = "@BIN@"

# -- the scratch area and the recorder ---------------------------------------------------------

PROJECT_FILES = {
    "README.md": "# demo\nhello world\n",
    "notes.txt": "one\ntwo\n",
    "src/app.py": "print('hi')\n",
    ".agent-harness/config.toml": "max_iterations = 1\n",
}
OUTSIDE_FILES = {"keep.txt": "outside\n", "src/keep.txt": "a src dir outside, for CDPATH\n"}


@dataclass(frozen=True, repr=False)
class Scratch:
    root: Path
    project: Path
    bin: Path
    log: Path
    outside: Path
    bashenv: Path
    bash: str
    policy: BashPolicy

    def __repr__(self) -> str:  # short, for Hypothesis's report of a failing example
        return f"Scratch({str(self.root)!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    def materialise(self, template: str) -> str:
        return template.replace(OUT, str(self.outside)).replace(BIN, str(self.bin))


@dataclass(frozen=True)
class Run:
    started: list[str]
    """Every program name recorded, in order: shims and names bash could not find."""
    changed: list[str]
    """Paths outside the project (or under its protected dir) created, changed or removed."""
    returncode: int
    stderr: str


def _write_tree(base: Path, files: dict[str, str]) -> None:
    if base.exists():
        shutil.rmtree(base)
    for name, text in files.items():
        (base / name).parent.mkdir(parents=True, exist_ok=True)
        (base / name).write_text(text)


def _reset(scratch: Scratch) -> None:
    """A fresh project and outside dir, so no run depends on what an earlier one wrote."""
    _write_tree(scratch.project, PROJECT_FILES)
    _write_tree(scratch.outside, OUTSIDE_FILES)
    scratch.log.write_text("")


def _snapshot(scratch: Scratch) -> dict[str, bytes | None]:
    """Everything in the scratch root but the project and the log, plus the protected dir."""
    seen: dict[str, bytes | None] = {}
    protected = scratch.project / ".agent-harness"
    for directory, dirs, files in os.walk(scratch.root):
        here = Path(directory)
        if here == scratch.project:
            dirs[:] = []
            continue
        seen[str(here)] = None
        for name in files:
            path = here / name
            if path != scratch.log:
                seen[str(path)] = path.read_bytes()
    for directory, _, files in os.walk(protected):
        seen[directory] = None
        for name in files:
            seen[str(Path(directory) / name)] = (Path(directory) / name).read_bytes()
    return seen


def _drain(fd: int, seconds: float) -> bool:
    """Read fd until EOF: every process that inherited its other end has exited."""
    deadline = time.monotonic() + seconds
    while (remaining := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready and not os.read(fd, 4096):
            return True
    return False


def run(scratch: Scratch, script: str) -> Run:
    """Run script under the real bash with the shim PATH; the project must have been reset."""
    before = _snapshot(scratch)
    scratch.log.write_text("")
    # Background jobs and process substitutions can outlive bash: each inherits the write end
    # of this pipe, so EOF on the read end means the last of them is gone.
    done, alive = os.pipe()
    try:
        with subprocess.Popen(
            [scratch.bash, "-c", script],
            cwd=scratch.project,
            env={
                "PATH": str(scratch.bin),
                "HOME": str(scratch.project),
                "BASH_ENV": str(scratch.bashenv),
            },
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(alive,),
            start_new_session=True,
        ) as proc:
            os.close(alive)
            alive = -1
            try:
                _, err = proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                raise
        if not _drain(done, 10):
            pytest.fail(f"a process started by {script!r} was still running after 10 s")
    finally:
        os.close(done)
        if alive != -1:
            os.close(alive)
    after = _snapshot(scratch)
    changed = sorted(
        path
        for path in before.keys() | after.keys()
        if path not in before or path not in after or before[path] != after[path]
    )
    return Run(
        started=[line for line in scratch.log.read_text().splitlines() if line],
        changed=changed,
        returncode=proc.returncode,
        stderr=err.decode(errors="replace"),
    )


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    root = tmp_path_factory.mktemp("bash-fuzz")
    log = root / "log"
    bin_dir = root / "bin"
    bin_dir.mkdir()
    real = {name: shutil.which(name) for name in RUNNERS}
    missing = [name for name, path in real.items() if path is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} on PATH")
    bashenv = write_recording_shims(bin_dir, {name: real.get(name) for name in SHIMS}, log)
    project = root / "project"
    outside = root / "outside"
    scratch = Scratch(
        root=root,
        project=project,
        bin=bin_dir,
        log=log,
        outside=outside,
        bashenv=bashenv,
        bash=str(real["bash"]),
        policy=BashPolicy(
            allowed_commands=ALLOWED,
            project_dir=project,
            protected=(project / ".agent-harness",),
        ),
    )
    _reset(scratch)
    return scratch


# -- the grammar -------------------------------------------------------------------------------

FUNCTION_NAMES = ("f", "g", "wget")
"""Names the grammar defines functions under; f and g have no shim (bash's hook records them)."""
PLAIN_ALLOWED = [
    "ls", "cat", "echo", "grep", "sort", "head", "wc", "true", "false", "test", "printf",
    "mkdir", "touch", "python3", "git", "sleep", "read", "wait", "export", "env", "timeout",
    "nice", "nohup", "xargs",
]  # fmt: skip
"""Bare bash/sh are left out: a shell reading a script file or stdin runs whatever is in it,
which the policy allows on purpose ("the shell itself was allowed"). Shells come with -c."""
TRICKY_NAMES = [
    "\\curl", '"curl"', "cu''rl", "c\\url", "$x", "${X:-curl}", "'ls'", f"{BIN}/curl",
    f"{BIN}/ls", "./curl", "{curl,x}",
]  # fmt: skip
WORDS = [
    "x", "1", "-n", "-c", "--", "out.txt", "src", "README.md", "X=1", "'a b'", '"ls"', "curl",
    "wget", "ls", "env", "-u", "$HOME", '"$X"', "$((1+2))", "~-", "-",
]  # fmt: skip
BRACE_PARTS = ["x", "curl", "ls", "-c", "X=1", "5", "'curl x'"]
REDIRECTS = [
    "> out.txt", ">> src/o.txt", "> /dev/null", "2>&1", "2> /dev/null", "&> out.txt",
    ">& out.txt", ">| out.txt", "< README.md", "<<< hi", f"> {OUT}/w.txt",
    ">> ../outside/w.txt", "> src/../../outside/w.txt", "> ~-/w.txt", "> ~+/w.txt",
    "> .agent-harness/w.txt", "> ~/w.txt",
]  # fmt: skip
ASSIGNED = ["X", "CDPATH", "OLDPWD", "PS4", "BASH_ENV", "HOME"]
"""PATH is never assigned: a run with another PATH would start programs the recorder misses."""
VALUES = ["1", OUT, "src", "out.txt", "'$(curl x)'"]
CD_TARGETS = ["src", ".", "src/..", "..", "-", "~-", "~+", OUT, "~"]
TEST_TARGETS = ["y", "1", "out.txt", f"{OUT}/w.txt", "../outside/w.txt"]
SHELL_FLAGS = ["-c", "-c", "-ec", "-xc", "-e -c", "-x -c", "-c --"]
ENV_OPTIONS = ["X=1", "-u X", "-u ls", "--unset=X", "PS4='$(curl x)'"]
"""Never -i or a bare -: a cleared environment has no PATH, so env would find real programs."""
TIMEOUT_OPTIONS = ["", "", "-k 1", "-s TERM", "--preserve-status"]
NICE_OPTIONS = ["", "-n 1", "-5"]
XARGS_OPTIONS = ["", "-r", "-n 1", "-I{}", "--process-slot-var X", "--process-slot-var ls"]
LEAVES = ["true", "(( 1 < 2 ))", "echo $((1+2))", "wait", "ls -la", "cat README.md"]

Sub = st.SearchStrategy[str] | None


def _dq(script: str) -> str:
    """script in double quotes, escaped so that bash passes it on unchanged."""
    for char in '\\"$`':
        script = script.replace(char, "\\" + char)
    return f'"{script}"'


def _brace() -> st.SearchStrategy[str]:
    parts = st.sampled_from(BRACE_PARTS)
    return st.builds(lambda a, b: f"{{{a},{b}}}", parts, parts)


def _arg(sub: Sub) -> st.SearchStrategy[str]:
    options = [st.sampled_from(WORDS), _brace()]
    if sub is not None:
        options += [
            sub.map(lambda c: f"$( {c} )"),
            sub.map(lambda c: f'"$( {c} )"'),
            sub.map(lambda c: f"<( {c} )"),
            sub.map(lambda c: f"${{X:-$( {c} )}}"),
        ]
    return st.one_of(options)


def _assignment(sub: Sub) -> st.SearchStrategy[str]:
    values = st.sampled_from(VALUES)
    if sub is not None:
        values = st.one_of(values, sub.map(lambda c: f"$( {c} )"), sub.map(lambda c: f'"$( {c} )"'))
    return st.builds(lambda n, v: f"{n}={v}", st.sampled_from(ASSIGNED), values)


def _simple(
    names: st.SearchStrategy[str], sub: Sub, *, prefix: bool = True
) -> st.SearchStrategy[str]:
    return st.builds(
        lambda pre, name, args, redirect: " ".join([*pre, name, *args, *redirect]),
        st.lists(_assignment(sub), max_size=1 if prefix else 0),
        names,
        st.lists(_arg(sub), max_size=3),
        st.lists(st.sampled_from(REDIRECTS), max_size=1),
    )


def _backticks(names: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """`cmd` as an argument; only around plain commands, so backticks never nest."""
    return st.builds(
        lambda name, word, args: f"{name} `{word} {args}`",
        names,
        names,
        st.lists(st.sampled_from(WORDS), max_size=2).map(" ".join),
    )


def _shell(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    quote: st.SearchStrategy[Callable[[str], str]] = st.sampled_from([shlex.quote, _dq])
    return st.builds(
        lambda sh, flags, q, script, extra: f"{sh} {flags} {q(script)}{extra}",
        st.sampled_from(["bash", "sh"]),
        st.sampled_from(SHELL_FLAGS),
        quote,
        inner,
        st.sampled_from(["", "", " arg0 x"]),
    )


def _wrapped(
    names: st.SearchStrategy[str], inner: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    def pick(options: list[str]) -> st.SearchStrategy[str]:
        return st.sampled_from(options)

    wrapper = st.one_of(
        st.lists(st.one_of(pick(ENV_OPTIONS), _brace()), max_size=2).map(
            lambda opts: " ".join(["env", *opts])
        ),
        st.builds(
            lambda opt, duration: " ".join(w for w in ("timeout", opt, duration) if w),
            pick(TIMEOUT_OPTIONS),
            st.one_of(pick(["5", "5", "1"]), _brace()),
        ),
        pick(NICE_OPTIONS).map(lambda opt: f"nice {opt}".strip()),
        st.just("nohup"),
        pick(XARGS_OPTIONS).map(lambda opt: f"xargs {opt}".strip()),
    )
    command = st.one_of(_simple(names, None, prefix=False), _shell(inner), st.just(""), st.just(""))
    return st.builds(
        lambda ws, cmd: " ".join([*ws, cmd]).strip(),
        st.lists(wrapper, min_size=1, max_size=2),
        command,
    )


def _heredoc(
    names: st.SearchStrategy[str], inner: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    """A heredoc in a group, so that whatever follows it starts on a line of its own."""
    body = st.one_of(
        st.just("plain text"),
        inner.map(lambda c: f"$( {c} )"),
        inner.map(lambda c: f"${{X:-$( {c} )}}"),
        _simple(names, None, prefix=False).map(lambda c: f"`{c}`"),
        st.just("$((1+2))"),
    )

    def build(opener: str, quote: str, text: str, tail: str) -> str:
        delimiter = "EOF"
        while delimiter in text:
            delimiter += "X"
        quoted = {"'": f"'{delimiter}'", '"': f'"{delimiter}"', "\\": f"\\{delimiter}"}
        start = quoted.get(quote, delimiter)
        if opener == "<<-":  # tabs are stripped from the body and the terminator
            text = "\t" + text.replace("\n", "\n\t")
            delimiter = "\t" + delimiter
        return f"{{ cat {opener}{start}{tail}\n{text}\n{delimiter}\n}}"

    return st.builds(
        build,
        st.sampled_from(["<<", "<<", "<<-"]),
        st.sampled_from(["", "", "'", '"', "\\"]),
        body,
        st.sampled_from(["", "", " | cat", " > out.txt", f" > {OUT}/w.txt"]),
    )


def _tests() -> st.SearchStrategy[str]:
    return st.builds(
        lambda form, op, target: form.format(f"x {op} {target}"),
        st.sampled_from(["[ {} ]", "test {}", "[[ {} ]]"]),
        st.sampled_from(["=", "!=", ">", "<", "-eq"]),
        st.sampled_from(TEST_TARGETS),
    )


NAME_WORDS = [
    "x",
    "PATH",
    "a[1]",
    "'a[$(curl x)]'",
    '"a[$(curl x)]"',
    "a[$(curl x)]",
    "'x=($(curl x))'",
]
"""Variable names as a builtin may get them: plain, dangerous, with a subscript that runs code."""


def _option_words(table: Spec) -> list[str]:
    """Every alias of every option in a table, and each long option's unique prefixes."""
    canonical = {name for name, _ in (*table.short.values(), *table.long.values())}
    return sorted({alias for name in canonical for alias in spellings(table, name)})


def _builtin_line() -> st.SearchStrategy[str]:
    """A builtin from the policy's tables with its options (denied ones too, attached or not)
    and names that bash would evaluate, plus sort's program-running option in every spelling."""

    def line(name: str) -> st.SearchStrategy[str]:
        option = st.sampled_from(_option_words(BUILTINS[name].options) or ["--"])
        attached = st.builds(lambda o, n: o + n.strip("'\""), option, st.sampled_from(NAME_WORDS))
        words = st.lists(st.one_of(option, attached, st.sampled_from(NAME_WORDS)), max_size=3)
        return words.map(lambda ws: " ".join([name, *ws]))

    sort = st.builds(
        lambda o, sep: f"sort -S 1K {o}{sep}curl < README.md",
        st.sampled_from(spellings(SORT, "--compress-program")),
        st.sampled_from(["=", " "]),
    )
    builtin = st.sampled_from(sorted(n for n in BUILTINS if n in ALLOWED)).flatmap(line)
    in_function = builtin.map(lambda b: f"f() {{ {b}; }}; f")
    return st.one_of(builtin, in_function, sort, st.just("jobs -x curl x"))


def _cd() -> st.SearchStrategy[str]:
    return st.builds(
        lambda pre, target: f"{pre}cd {target}",
        st.sampled_from(["", "", "", f"CDPATH={OUT} "]),
        st.sampled_from(CD_TARGETS),
    )


def _grammar(
    names: st.SearchStrategy[str], bodies: st.SearchStrategy[str] | None, max_leaves: int
) -> st.SearchStrategy[str]:
    """Scripts over names; with bodies, also functions (whose bodies never call a function)."""
    leaf = st.one_of(
        _simple(names, None),
        _simple(names, None),
        _simple(names, None),
        _cd(),
        _tests(),
        _assignment(None),
        _assignment(None).map(lambda a: f"export {a}"),
        st.sampled_from(LEAVES),
        _builtin_line(),
    )

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        two = st.tuples(inner, inner)
        options = [
            st.builds(
                lambda ab, op: f"{ab[0]}{op}{ab[1]}",
                two,
                st.sampled_from([" | ", " && ", " || ", "; ", " & ", "\n", "; "]),
            ),
            st.builds(
                lambda a, form, redirect: form.format(a) + redirect,
                inner,
                st.sampled_from(["( {} )", "{{ {}; }}"]),
                st.sampled_from(["", "", " > out.txt", f" > {OUT}/w.txt"]),
            ),
            st.builds(
                lambda form, a: form.format(a),
                st.sampled_from(["! {}", "time {}"]),
                _simple(names, inner),
            ),
            st.builds(lambda a, b, c: f"if {a}; then {b}; else {c}; fi", inner, inner, inner),
            st.builds(
                lambda form, a: form.format(a),
                st.sampled_from(
                    [
                        "for i in 1 2; do {}; done",
                        "while false; do {}; done",
                        "until true; do {}; done",
                    ]
                ),
                inner,
            ),
            st.builds(lambda a, b: f"case x in x) {a};; *) {b};; esac", inner, inner),
            _simple(names, inner),
            _simple(names, inner),
            _backticks(names),
            _assignment(inner),
            _wrapped(names, inner),
            _wrapped(names, inner),
            _shell(inner),
            _shell(inner),
            _heredoc(names, inner),
        ]
        if bodies is not None:
            function_name = st.sampled_from(FUNCTION_NAMES)
            options += [
                st.builds(
                    lambda form, name, body: form.format(name=name, body=body),
                    st.sampled_from(
                        [
                            "{name}() {{ {body}; }}",
                            "function {name} {{ {body}; }}",
                            "{name}() ( {body} )",
                        ]
                    ),
                    function_name,
                    bodies,
                ),
                st.builds(
                    lambda name, body, args: f"{name}() {{ {body}; }}; {name}{args}",
                    function_name,
                    bodies,
                    st.sampled_from(["", " x"]),
                ),
                st.builds(
                    lambda outer, name, body: f"{outer}() {{ {name}() {{ {body}; }}; }}",
                    st.sampled_from(["f", "g"]),
                    function_name,
                    bodies,
                ),
            ]
        return st.one_of(options)

    return st.recursive(leaf, extend, max_leaves=max_leaves)


def _names(allowed: list[str], others: list[str]) -> st.SearchStrategy[str]:
    # Allowed names twice over: otherwise almost every composition would be denied.
    return st.sampled_from(allowed * 2 + others)


# Function bodies may not call f, g or wget, so no function ever calls itself.
BODIES = _grammar(
    _names(PLAIN_ALLOWED, [n for n in FORBIDDEN if n not in FUNCTION_NAMES] + TRICKY_NAMES),
    None,
    max_leaves=3,
)
SCRIPTS = _grammar(
    _names(PLAIN_ALLOWED, [*FORBIDDEN, *TRICKY_NAMES, *FUNCTION_NAMES, *FUNCTION_NAMES]),
    BODIES,
    max_leaves=8,
)


# -- the tests ---------------------------------------------------------------------------------


def check_and_run(scratch: Scratch, template: str) -> None:
    command = scratch.materialise(template)
    _reset(scratch)
    decision = check_command(command, scratch.policy)
    if not decision.allowed:
        assert decision.rule and decision.reason, (command, decision)
        return
    result = run(scratch, command)
    forbidden = sorted(set(result.started) - ALLOWED)
    assert not forbidden, (
        f"the policy allowed\n{command}\nbut running it started {forbidden} "
        f"(all started: {result.started}; stderr: {result.stderr[-500:]!r})"
    )
    assert not result.changed, (
        f"the policy allowed\n{command}\nbut running it wrote outside the project: {result.changed}"
    )


@settings(
    # AGENT_HARNESS_FUZZ_EXAMPLES raises it for an exploratory run; CI keeps the default.
    max_examples=int(os.environ.get("AGENT_HARNESS_FUZZ_EXAMPLES", "2000")),
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(SCRIPTS)
def test_allowed_commands_start_only_allowed_programs(scratch: Scratch, template: str) -> None:
    check_and_run(scratch, template)


# What the fuzz found (each was allowed, and started curl or wrote outside), minimised: kept
# as cases so they stay denied.
FINDINGS = [
    # -c inside a cluster of short options is missed, so the script is never checked
    ("shell-option-cluster", "bash -ec 'curl x'"),
    ("sh-option-cluster", "sh -xc 'curl x'"),
    # brace expansion turns what the policy reads as one word into several
    ("brace-shell", "bash {-c,'curl x'}"),
    ("brace-env", "env {X=1,curl} ls"),
    ("brace-timeout", "timeout {5,curl} ls"),
    # wrapper options that take a separate argument
    ("env-unset", "env -u ls curl x"),
    ("xargs-option-argument", "xargs --process-slot-var ls curl"),
    # xargs appends its input to a wrapper, which runs it
    ("xargs-env", "echo curl | xargs env"),
    ("xargs-nice", "echo curl | xargs nice"),
    # a function defined anywhere allows its name everywhere
    ("function-defined-later", "curl x; curl() { ls; }"),
    ("function-in-subshell", "( curl() { ls; } ); curl x"),
    ("function-inside-function", "f() { curl() { ls; }; }; curl x"),
    ("function-through-wrapper", "curl() { ls; }; env curl x"),
    ("function-in-nested-shell", "curl() { ls; }; bash -c 'curl x'"),
    # the parse (or the words taken from it) differs from what the shell runs
    ("heredoc-dash", "cat <<-EOF\n\t$(curl x)\n\tEOF"),
    ("escaped-backticks-in-double-quotes", 'bash -c "echo \\`curl x\\`"'),
    ("single-bracket-redirect", "[ x > ../outside/w.txt ]"),
    ("double-bracket-in-sh", "sh -c '[[ x > ../outside/w.txt ]]'"),
    # cd and redirect targets that depend on shell variables
    ("cd-dash", f"OLDPWD={OUT}; cd - && echo x > w.txt"),
    ("tilde-dash-redirect", f"OLDPWD={OUT}; echo x > ~-/w.txt"),
    ("cdpath", f"CDPATH={OUT} cd src && echo x > w.txt"),
    # variables that make a shell run code the policy never saw
    ("xtrace-ps4", "bash -x -c \"PS4='\\$(curl x)'; true\""),
    ("bash-env", "echo curl > out.txt; BASH_ENV=out.txt bash -c true"),
]


@pytest.mark.parametrize("command", [c for _, c in FINDINGS], ids=[i for i, _ in FINDINGS])
def test_policy_findings(scratch: Scratch, command: str) -> None:
    check_and_run(scratch, command)


def test_the_grammar_makes_both_allowed_and_denied_commands(scratch: Scratch) -> None:
    verdicts: list[bool] = []

    @settings(
        max_examples=200,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(SCRIPTS)
    def draw(template: str) -> None:
        _reset(scratch)
        verdicts.append(check_command(scratch.materialise(template), scratch.policy).allowed)

    draw()
    share = sum(verdicts) / len(verdicts)
    assert len(verdicts) >= 150
    assert 0.2 <= share <= 0.8, f"{share:.0%} of {len(verdicts)} generated commands are allowed"


def test_the_recorder_sees_every_program(scratch: Scratch) -> None:
    _reset(scratch)
    assert run(scratch, "curl x").started == ["curl"]
    _reset(scratch)
    assert run(scratch, "bash -c 'env nice wget y'").started == ["bash", "env", "nice", "wget"]
    _reset(scratch)
    assert run(scratch, "nosuchprog").started == ["nosuchprog"]
    _reset(scratch)
    nested = "echo 1 | xargs timeout 5 nohup sh -c 'ls $(dd)'"
    assert sorted(run(scratch, nested).started) == ["dd", "ls", "nohup", "sh", "timeout", "xargs"]
    _reset(scratch)
    # A background job and a process substitution still running when bash exits are waited for.
    late = "{ sleep; perl; } > /dev/null 2>&1 & cat <(node) > /dev/null"
    assert sorted(run(scratch, late).started) == ["cat", "node", "perl", "sleep"]
    _reset(scratch)
    assert run(scratch, f"{scratch.bin}/rm -rf x; echo ok").started == ["rm"]
    _reset(scratch)
    assert run(scratch, "echo ok; f() { curl; }; f").started == ["curl"]


def test_the_recorder_sees_writes_outside_the_project(scratch: Scratch) -> None:
    _reset(scratch)
    assert run(scratch, "echo x > out.txt; echo y > src/o.txt").changed == []
    _reset(scratch)
    assert run(scratch, f"echo x > {scratch.outside}/w.txt").changed == [
        str(scratch.outside / "w.txt")
    ]
    _reset(scratch)
    assert run(scratch, "echo x > .agent-harness/config.toml").changed == [
        str(scratch.project / ".agent-harness" / "config.toml")
    ]
    _reset(scratch)
    assert run(scratch, "cd ..; echo x > new.txt").changed == [str(scratch.root / "new.txt")]


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    template=st.builds(
        lambda before, line, after: f"{before}{line}{after}",
        st.sampled_from(["", "a=(1 2); "]),  # bash evaluates an existing array's subscripts
        _builtin_line(),
        st.sampled_from(["", " < README.md", " <<< x"]),
    )
)
def test_builtin_lines_start_only_allowed_programs(scratch: Scratch, template: str) -> None:
    """Builtins drawn from the policy's own tables, options and names that evaluate code,
    densely: whatever the policy allows runs under real bash and starts nothing forbidden."""
    check_and_run(scratch, template)


NAME_TAKING = sorted(n for n in BUILTINS if n in ALLOWED and BUILTINS[n].operands)


@pytest.mark.parametrize("builtin", NAME_TAKING)
def test_every_name_taking_builtin_with_every_name_form(scratch: Scratch, builtin: str) -> None:
    """Exhaustive where the grammar is sparse: each builtin that takes names, with each name
    form (an existing array makes bash evaluate the subscript), run if the policy allows it."""
    for name in NAME_WORDS:
        for before in ("", "a=(1 2); "):
            for after in ("", " <<< x"):
                check_and_run(scratch, f"{before}{builtin} {name}{after}")
                check_and_run(scratch, f"f() {{ {before}{builtin} {name}{after}; }}; f")
