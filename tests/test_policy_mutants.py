"""Mutants of every denied command in the policy's tables: each must stay denied, or, when the
policy allows it, really running it must start only allowed programs and write nothing outside
the project or into its protected set.

A mutation keeps what bash runs but changes how it is spelled: quotes inside a word (``jo""bs``,
``'sort'``), an option's value attached (``-o x`` -> ``-ox``) or a junk one added, a long option
cut to a prefix (``--compress-prog``), an assignment quoted (``export 'PATH=x'``), a wrapper the
policy allows (``timeout 5``, ``nice``, ``env``), a ``\\``-newline, a ``;true``. An allowed mutant
runs under the real bash inside bubblewrap (the filesystem read-only but a scratch dir, no
network), with a PATH of shims that record their name and run the real program.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import write_recording_shims
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bash_policy import CASES, POLICY
from test_policy_writes import ATTACKS, EXTRA

from pytest_agent_harness.security.bash import BashPolicy, check_command
from pytest_agent_harness.security.commands import BASE_COMMANDS

pytestmark = pytest.mark.fuzz

TOOLS = {name: shutil.which(name) or name for name in ("bwrap", "bash", "find", "git")}
ALLOWED = frozenset(POLICY.allowed_commands | BASE_COMMANDS | EXTRA)
EXAMPLES = int(os.environ.get("AGENT_HARNESS_MUTANT_EXAMPLES", "150"))
"""Hypothesis examples of combined mutations; raise it for an exploratory run."""

# -- mutations: each takes a command and a Random, and returns a mutant (maybe the same) -------

WORD = re.compile(r"(?<![^\s;|&(])[A-Za-z0-9_./-]{2,}(?![^\s;|&)])")
"""A plain word: letters, digits and ./-_ only, between separators."""


def _pick(rng: random.Random, matches: list[re.Match[str]]) -> re.Match[str] | None:
    return rng.choice(matches) if matches else None


def quote_inside(command: str, rng: random.Random) -> str:
    match = _pick(rng, list(WORD.finditer(command)))
    if match is None:
        return command
    word, at = match[0], rng.randrange(1, len(match[0]))
    quoted = rng.choice([f"{word[:at]}''{word[at:]}", f'{word[:at]}""{word[at:]}', f"'{word}'",
                         f'"{word}"', f"{word[:at]}'{word[at:]}'"])  # fmt: skip
    return command[: match.start()] + quoted + command[match.end() :]


def attach_value(command: str, rng: random.Random) -> str:
    spaced = list(re.finditer(r"(?<=\s)(-[A-Za-z])\s+([^\s;|&<>()-][^\s;|&<>()]*)", command))
    if spaced and rng.random() < 0.7:
        option = rng.choice(spaced)
        return command[: option.start()] + option[1] + option[2] + command[option.end() :]
    flag = _pick(rng, list(re.finditer(r"(?<=\s)-[A-Za-z]+(?=\s|$)", command)))
    if flag is None:
        return command
    return command[: flag.end()] + rng.choice(["foo", "x", "1", "/tmp/x"]) + command[flag.end() :]


def abbreviate(command: str, rng: random.Random) -> str:
    match = _pick(rng, list(re.finditer(r"(?<=\s)--[a-z][a-z-]+", command)))
    if match is None:
        return command
    cut = rng.randrange(3, len(match[0])) if len(match[0]) > 3 else len(match[0])
    return command[: match.start()] + match[0][:cut] + command[match.end() :]


def quote_assignment(command: str, rng: random.Random) -> str:
    pattern = r"\b(?:export|local|readonly|env) +([A-Za-z_][A-Za-z0-9_]*)=([^\s;|&]*)"
    match = _pick(rng, list(re.finditer(pattern, command)))
    if match is None:
        return command
    name, value = match[1], match[2]
    form = rng.choice([f"'{name}={value}'", f'"{name}"={value}', f"{name}'='{value}",
                       f'"{name}={value}"'])  # fmt: skip
    return command[: match.start(1)] + form + command[match.end() :]


def wrap(command: str, rng: random.Random) -> str:
    wrapper = rng.choice(["timeout 5", "nice", "env", "nohup", "nice -n 1", "env -u X",
                          "timeout -k 1 5", "stdbuf -oL", "time"])  # fmt: skip
    return f"{wrapper} {command}"


def continue_line(command: str, rng: random.Random) -> str:
    spaces = [m.start() for m in re.finditer(r" ", command)]
    inside = [m.start() + 1 for m in WORD.finditer(command)]
    choices = [(i, " \\\n") for i in spaces] + [(i, "\\\n") for i in inside]
    if not choices:
        return command
    at, text = rng.choice(choices)
    return command[:at] + text + command[at + (1 if text.startswith(" ") else 0) :]


def add_true(command: str, rng: random.Random) -> str:
    return rng.choice(
        [f"{command};true", f"true;{command}", f"{command} ;true", f"true&&{command}"]
    )


MUTATORS: dict[str, Callable[[str, random.Random], str]] = {
    "quote-inside": quote_inside, "attach-value": attach_value, "abbreviate": abbreviate,
    "quote-assignment": quote_assignment, "wrap": wrap, "continue-line": continue_line,
    "add-true": add_true,
}  # fmt: skip

# -- the scratch project, the shims and the sandboxed run ----------------------------------------


@dataclass(frozen=True)
class Scratch:
    root: Path
    project: Path
    bin: Path
    log: Path
    bashenv: Path
    policy: BashPolicy

    def __repr__(self) -> str:
        return f"Scratch({str(self.root)!r})"


def _names_in_corpora() -> set[str]:
    commands = [c for c, _ in CASES] + [c for c, _ in ATTACKS]
    return {w for c in commands for w in re.findall(r"[A-Za-z][A-Za-z0-9_.-]*", c)}


def _layout(project: Path) -> None:
    """As ``test_policy_writes`` lays it out, with a real repository."""
    if project.exists():
        shutil.rmtree(project)
    for directory in (".agent-harness/logs", "src", "sub", "build", "logs"):
        (project / directory).mkdir(parents=True, exist_ok=True)
    subprocess.run([TOOLS["git"], "init", "-q", "-b", "main", str(project)], check=True)
    (project / ".agent-harness" / "config.toml").write_text("max_iterations = 1\n")
    (project / "feature_list.json").write_text("[]\n")
    for name in ("a", "b", "a.txt", "in", "in.txt", "x", "README.md", "src/a.py"):
        (project / name).write_text("one\ntwo\n")
    (project / "src" / "link-to-git").symlink_to(project / ".git")


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Scratch:
    if shutil.which("bwrap") is None or shutil.which("git") is None:
        pytest.skip("needs bubblewrap and git")
    root = tmp_path_factory.mktemp("mutants")
    project, bin_dir, log = root / "project", root / "bin", root / "log"
    bin_dir.mkdir()
    (root / "home").mkdir()
    names = sorted((_names_in_corpora() | ALLOWED) - {"bin"})
    real = {name: shutil.which(name) if name in ALLOWED else None for name in names}
    bashenv = write_recording_shims(bin_dir, real, log)
    _layout(project)
    resolved = Path(os.path.realpath(project))
    policy = BashPolicy(
        allowed_commands=ALLOWED,
        project_dir=resolved,
        protected=tuple(resolved / p for p in (".agent-harness", ".git", "feature_list.json")),
    )
    return Scratch(root, project, bin_dir, log, bashenv, policy)


def _state(scratch: Scratch) -> dict[str, bytes | None]:
    """Everything outside the project (in the scratch root) and in its protected set; .git
    only where no allowed git writes (config, hooks, info)."""
    seen: dict[str, bytes | None] = {}
    p = scratch.project
    tops = [scratch.root]
    tops += [p / ".agent-harness", p / "feature_list.json", p / ".git/config", p / ".git/hooks"]
    for top in tops:
        if top.is_file():
            seen[str(top)] = top.read_bytes()
        for directory, dirs, files in os.walk(top):
            if Path(directory) == p:
                dirs[:] = []
                continue
            seen[directory] = None
            for name in files:
                path = Path(directory, name)
                if path != scratch.log and path.is_file():
                    seen[str(path)] = path.read_bytes()
    return seen


def run_sandboxed(scratch: Scratch, command: str) -> tuple[list[str], list[str], str]:
    """Programs started, paths written outside or into the protected set, stderr."""
    _layout(scratch.project)
    keep = {scratch.project, scratch.bin, scratch.log, scratch.bashenv}
    for stray in scratch.root.iterdir():  # what an earlier mutant wrote beside the project
        if stray not in keep:
            shutil.rmtree(stray) if stray.is_dir() and not stray.is_symlink() else stray.unlink()
    (scratch.root / "home").mkdir()
    scratch.log.write_text("")
    before = _state(scratch)
    tmp_list = scratch.root / "tmp-listing"
    outer = '"$3" -c "$1"; "$4" /tmp -mindepth 1 > "$2" 2>/dev/null; true'
    argv = [TOOLS["bwrap"], "--ro-bind", "/", "/", "--tmpfs", "/tmp", "--bind", str(scratch.root),
            str(scratch.root), "--dev", "/dev", "--proc", "/proc", "--unshare-all",
            "--die-with-parent", "--chdir", str(scratch.project), "/bin/sh", "-c", outer, "sh",
            command, str(tmp_list), TOOLS["bash"], TOOLS["find"]]  # fmt: skip
    env = {"PATH": str(scratch.bin), "HOME": str(scratch.root / "home"),
           "BASH_ENV": str(scratch.bashenv)}  # fmt: skip
    proc = subprocess.run(argv, env=env, capture_output=True, timeout=30, check=False)
    after = _state(scratch)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k, 0) != after.get(k, 0))
    changed = [c for c in changed if c != str(tmp_list)]
    ancestors = {str(p) for p in scratch.root.parents} | {str(scratch.root)}
    in_tmp = tmp_list.read_text().split() if tmp_list.exists() else []
    changed += [
        f"/tmp: {p}" for p in in_tmp if p not in ancestors and not p.startswith(f"{scratch.root}/")
    ]
    stderr = proc.stderr.decode(errors="replace")
    if "Read-only file system" in stderr:
        changed.append("a write outside failed on the read-only filesystem")
    started = [line for line in scratch.log.read_text().splitlines() if line]
    return started, changed, stderr


# -- the corpus and the tests -------------------------------------------------------------------


def denied_corpus(policy: BashPolicy) -> list[str]:
    commands = dict.fromkeys(c for c, rule in [*CASES, *ATTACKS] if rule)
    return [c for c in commands if not check_command(c, policy).allowed]


@dataclass
class Tally:
    mutants: int = 0
    allowed: int = 0


def judge(scratch: Scratch, original: str, mutant: str, tally: Tally) -> str | None:
    """None when the mutant is denied or harmless; otherwise what it did."""
    tally.mutants += 1
    if not check_command(mutant, scratch.policy).allowed:
        return None
    tally.allowed += 1
    started, changed, stderr = run_sandboxed(scratch, mutant)
    forbidden = sorted(set(started) - ALLOWED)
    if forbidden or changed:
        return (
            f"{original!r} -> {mutant!r} is allowed and started {forbidden} / wrote {changed} "
            f"(stderr {stderr[-300:]!r})"
        )
    return None


HOLES = [
    # Found by this sweep, now closed. tree-sitter-bash splits a word at a backslash-newline;
    # bash joins the two halves first, so every check of that word saw two harmless words
    ("line-continuation", "tee .\\\ngit/config"),
    ("line-continuation", "mkdir .\\\n./x"),
    ("line-continuation", "bash -\\\nc -- 'curl x'"),
    ("line-continuation", "sort -\\\no.git/config in"),
    # unset's word is read as written, not as bash reads it: the function stays, then goes
    ("unset-quoted-name", 'curl() { ls; }; unset cu""rl; curl'),
]
"""Mutants the sweep found getting through; each must stay denied."""


def test_every_single_mutation_of_every_denied_command(scratch: Scratch) -> None:
    corpus = denied_corpus(scratch.policy)
    tally, escapes = Tally(), list[str]()
    for original in corpus:
        for name, mutate in MUTATORS.items():
            for seed in range(2):
                mutant = mutate(original, random.Random(f"{original}|{name}|{seed}"))
                if mutant != original and (why := judge(scratch, original, mutant, tally)):
                    escapes.append(why)
    print(
        f"\nmutants: {tally.mutants} of {len(corpus)} denied commands; "
        f"{tally.allowed} allowed and run; {len(escapes)} got through"
    )
    assert len(corpus) >= 300 and tally.mutants >= 2000
    assert not escapes, "\n".join(escapes)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_combined_mutations_stay_denied_or_harmless(scratch: Scratch, data: st.DataObject) -> None:
    corpus = _CORPUS.setdefault("denied", denied_corpus(scratch.policy))
    original = data.draw(st.sampled_from(corpus), label="original")
    names = data.draw(st.lists(st.sampled_from(sorted(MUTATORS)), min_size=1, max_size=4))
    rng = data.draw(st.randoms(use_true_random=False))
    mutant = original
    for name in names:
        mutant = MUTATORS[name](mutant, rng)
    why = judge(scratch, original, mutant, Tally())
    assert why is None, why


@pytest.mark.parametrize(("hole", "mutant"), HOLES, ids=[m for _, m in HOLES])
def test_the_holes_it_found_stay_closed(scratch: Scratch, hole: str, mutant: str) -> None:
    assert not check_command(mutant, scratch.policy).allowed, hole


_CORPUS: dict[str, list[str]] = {}


def test_the_sandbox_sees_what_runs_and_what_is_written(scratch: Scratch) -> None:
    """The checks can fail: run directly, bypassing the policy."""
    started, changed, _ = run_sandboxed(scratch, "curl x; ls")
    assert started == ["curl", "ls"] and changed == []
    _, changed, _ = run_sandboxed(scratch, "echo x > .agent-harness/config.toml")
    assert changed == [str(scratch.project / ".agent-harness" / "config.toml")]
    _, changed, _ = run_sandboxed(scratch, "cp a ../w; echo x > /tmp/w; echo x >> ~/.bashrc")
    assert len(changed) == 3, changed
    _, changed, _ = run_sandboxed(scratch, "echo x > /etc/w")
    assert changed == ["a write outside failed on the read-only filesystem"]
    started, _, _ = run_sandboxed(scratch, "env timeout 5 nice curl x")
    assert started == ["env", "timeout", "nice", "curl"]


def test_mutators_keep_meaning() -> None:
    rng = random.Random(0)
    assert attach_value("sort -o x in", random.Random(1)) in ("sort -ox in", "sort -ofoo x in",
                                                              "sort -ox x in", "sort -o1 x in",
                                                              "sort -o/tmp/x x in")  # fmt: skip
    assert quote_assignment("export PATH=x", rng) in (
        "export 'PATH=x'",
        'export "PATH"=x',
        "export PATH'='x",
        'export "PATH=x"',
    )
    assert abbreviate("sort --compress-program=sh in", rng).startswith("sort --co")
    assert subprocess.run(["bash", "-c", continue_line("echo hello world", rng)],
                          capture_output=True, text=True, check=True).stdout.split() in (
        ["hello", "world"], ["helloworld"])  # fmt: skip
