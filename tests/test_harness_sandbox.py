"""The harness's own pytest run under bubblewrap: a planted conftest gets nothing.

The project's conftest is the agent's code and runs with whatever the harness gives it. Each
attack is run twice: without the sandbox, to show that it works (so the sandbox is what stops
it), and with it, to show that it is stopped while the real tests are still reported.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_agent_harness import sandbox
from pytest_agent_harness.envvars import is_secret
from pytest_agent_harness.layout import Layout
from pytest_agent_harness.trackers.evidence import PytestSandbox, pytest_evidence

REASON = sandbox.available()
needs_bwrap = pytest.mark.skipif(REASON is not None, reason=f"no test sandbox: {REASON}")

CREDENTIAL = "sk-ant-oat01-planted-credential-7f3a"
ENV_SECRET = "sk-ant-api03-env-secret-91c2"
PROC_SECRET = "sk-ant-api03-held-by-another-process-5d8e"

CONFTEST = """
import json, os, pathlib, socket

LOOT = pathlib.Path(__file__).parent / "loot.jsonl"


def attempt(name, action):
    try:
        result = action()
    except Exception as exc:
        result = "blocked: " + type(exc).__name__
    with open(LOOT, "a") as handle:
        handle.write(json.dumps({name: result}) + "\\n")


def environs():
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        try:
            data = (entry / "environ").read_bytes()
        except Exception:
            continue
        found += [v.decode() for v in data.split(b"\\0") if b"ANTHROPIC_API_KEY=" in v]
    return found


def write(path, text):
    with open(path, "a") as handle:
        handle.write(text)
    return "written"


attempt("credentials", lambda: pathlib.Path(CREDENTIALS).read_text())
attempt("home", lambda: str(pathlib.Path.home()))
attempt("network", lambda: socket.create_connection(("127.0.0.1", PORT), timeout=3).close())
attempt("harness", lambda: write(HARNESS + "/config.toml", "pwned"))
attempt("harness_new", lambda: write(HARNESS + "/planted.toml", "pwned"))
attempt("git", lambda: write(GIT + "/HEAD", "pwned"))
attempt("git_hook", lambda: write(GIT + "/hooks-post-commit", "pwned"))
attempt("environ", lambda: dict(os.environ))
attempt("other_processes", environs)
"""

TESTS = """
def test_ok():
    assert True


def test_bad():
    assert False
"""


@dataclass
class Attack:
    layout: Layout
    credentials: Path
    listener: socket.socket
    protected: dict[Path, bytes]

    @property
    def project(self) -> Path:
        return self.layout.project_dir

    def loot(self) -> dict[str, object]:
        lines = (self.project / "loot.jsonl").read_text().splitlines()
        return {k: v for line in lines for k, v in json.loads(line).items()}

    def connections(self) -> int:
        self.listener.settimeout(0.2)
        count = 0
        while True:
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                return count
            conn.close()
            count += 1

    def sandbox(self) -> PytestSandbox:
        return PytestSandbox(
            protected=self.layout.protected(),
            deny_read=("~/.claude", "~/.claude.json", "~/.ssh"),
        )


@pytest.fixture
def attack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Attack]:
    home = tmp_path / "home"
    credentials = home / ".claude" / ".credentials.json"
    credentials.parent.mkdir(parents=True)
    credentials.write_text(json.dumps({"claudeAiOauth": {"accessToken": CREDENTIAL}}))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("ANTHROPIC_API_KEY", ENV_SECRET)
    monkeypatch.setenv("MY_SERVICE_TOKEN", ENV_SECRET)
    layout = Layout.of(tmp_path / "project")
    layout.harness_dir.mkdir(parents=True)
    layout.config.write_text("max_turns = 3\n")
    (layout.git_dir / "hooks").mkdir(parents=True)
    (layout.git_dir / "HEAD").write_text("ref: refs/heads/main\n")
    listener = socket.create_server(("127.0.0.1", 0))
    values = {
        "CREDENTIALS": str(credentials),
        "PORT": listener.getsockname()[1],
        "HARNESS": str(layout.harness_dir),
        "GIT": str(layout.git_dir),
    }
    header = "".join(f"{k} = {v!r}\n" for k, v in values.items())
    (layout.project_dir / "conftest.py").write_text(header + CONFTEST)
    (layout.project_dir / "test_things.py").write_text(TESTS)
    (layout.project_dir / "pytest.ini").write_text("[pytest]\n")
    # Another process of the harness's user that holds a key (as the CLI does).
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)"],
        env={**os.environ, "ANTHROPIC_API_KEY": PROC_SECRET},
    )
    protected = {p: p.read_bytes() for p in (layout.config, layout.git_dir / "HEAD")}
    try:
        yield Attack(layout, credentials, listener, protected)
    finally:
        holder.kill()
        holder.wait()
        listener.close()


def files_holding(root: Path, secret: str, *, besides: Path) -> list[Path]:
    return [
        path
        for path in root.rglob("*")
        if path.is_file() and path != besides and secret.encode() in path.read_bytes()
    ]


def assert_tests_reported(attack: Attack, evidence: object) -> None:
    report = evidence.report  # type: ignore[attr-defined]
    statuses = {case.name: case.status for case in report.cases.values()}
    assert statuses == {"test_ok": "passed", "test_bad": "failed"}


@pytest.mark.slow  # >= 1.4 s
def test_without_the_sandbox_the_planted_conftest_gets_everything(attack: Attack) -> None:
    evidence = pytest_evidence(attack.layout, timeout=60)

    assert_tests_reported(attack, evidence)
    loot = attack.loot()
    assert CREDENTIAL in str(loot["credentials"])
    assert attack.connections() == 1
    assert loot["harness"] == loot["git"] == loot["git_hook"] == "written"
    assert attack.layout.config.read_bytes() != attack.protected[attack.layout.config]
    assert f"ANTHROPIC_API_KEY={PROC_SECRET}" in list(loot["other_processes"])  # type: ignore[call-overload]
    # The environment was already cleaned before this change; it stays so.
    assert not [name for name in loot["environ"] if is_secret(name)]  # type: ignore[attr-defined]


@pytest.mark.slow  # >= 1.4 s
@needs_bwrap
def test_the_sandbox_stops_a_planted_conftest(attack: Attack, tmp_path: Path) -> None:
    evidence = pytest_evidence(attack.layout, timeout=60, sandbox=attack.sandbox())

    assert evidence.completable and evidence.warnings == ()
    assert_tests_reported(attack, evidence)
    loot = attack.loot()  # the project itself stays writable
    assert loot["credentials"] == "blocked: FileNotFoundError"
    assert loot["home"] == sandbox.SANDBOX_HOME
    assert loot["network"].startswith("blocked: ")  # type: ignore[attr-defined]
    assert attack.connections() == 0
    for name in ("harness", "harness_new", "git", "git_hook"):
        assert loot[name] == "blocked: OSError", name
    assert {p: p.read_bytes() for p in attack.protected} == attack.protected
    assert not (attack.layout.harness_dir / "planted.toml").exists()
    assert sorted(p.name for p in attack.layout.git_dir.rglob("*")) == ["HEAD", "hooks"]
    environ = loot["environ"]
    assert isinstance(environ, dict)
    assert not [name for name in environ if is_secret(name)]
    assert "SSH_AUTH_SOCK" not in environ and environ["HOME"] == sandbox.SANDBOX_HOME
    assert not [v for v in loot["other_processes"] if PROC_SECRET in v]  # type: ignore[attr-defined]
    for secret in (CREDENTIAL, ENV_SECRET, PROC_SECRET):
        assert files_holding(tmp_path, secret, besides=attack.credentials) == []
        assert secret not in " ".join(evidence.warnings)


def test_no_bwrap_means_no_run_and_a_warning_naming_the_fix(
    attack: Attack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))

    evidence = pytest_evidence(attack.layout, timeout=60, sandbox=attack.sandbox())

    assert not evidence.completable
    assert evidence.report.cases == {}
    (warning,) = evidence.warnings
    assert "bwrap not found; apt-get install bubblewrap" in warning
    assert "security.sandbox.enabled" in warning
    assert not (attack.project / "loot.jsonl").exists()  # never run unsandboxed


@needs_bwrap
@pytest.mark.slow
def test_a_sandboxed_run_that_times_out_leaves_no_process(tmp_path: Path) -> None:
    layout = Layout.of(tmp_path / "project")
    layout.harness_dir.mkdir(parents=True)
    marker = f"sandbox-orphan-{os.getpid()}-{time.monotonic_ns()}"
    (layout.project_dir / "test_slow.py").write_text(
        "import subprocess, sys, time\n"
        "def test_slow():\n"
        "    subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', "
        f"{marker!r}], start_new_session=True)\n"
        "    time.sleep(300)\n"
    )
    started = time.monotonic()
    evidence = pytest_evidence(layout, timeout=3, sandbox=PytestSandbox())

    assert time.monotonic() - started < 20
    assert not evidence.completable
    assert "did not finish within 3s" in evidence.warnings[0]
    time.sleep(0.2)
    alive = [
        p for p in Path("/proc").glob("[0-9]*/cmdline") if marker.encode() in _read_or_empty(p)
    ]
    assert alive == []


def _read_or_empty(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


@needs_bwrap
def test_order_of_mounts_hidden_inside_the_project_and_a_carve_out(tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "secret").mkdir(parents=True)
    (project / "secret" / "key").write_text("hidden-dir-content")
    (project / "key.txt").write_text("hidden-file-content")
    (project / "guarded" / "out").mkdir(parents=True)
    script = (
        "cat secret/key key.txt 2>/dev/null; echo x > guarded/no 2>/dev/null || echo ro; "
        "echo y > guarded/out/yes && echo carved; echo z > free && echo free"
    )
    argv = sandbox.bwrap_argv(
        ["sh", "-c", script],
        project_dir=project,
        read_only=[project / "guarded"],
        writable=[project / "guarded" / "out"],
        hidden=[project / "secret", project / "key.txt"],
    )
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)

    assert done.stdout.split() == ["ro", "carved", "free"]
    assert (project / "guarded" / "out" / "yes").exists()
    assert not (project / "guarded" / "no").exists()


@needs_bwrap
@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare(1)")
def test_no_capability_and_no_nested_user_namespace(tmp_path: Path) -> None:
    (tmp_path / "ro").mkdir()
    script = (
        "grep CapEff /proc/self/status; "
        f"mount -o remount,bind,rw {tmp_path / 'ro'} 2>/dev/null && echo REMOUNTED; "
        "unshare -U true 2>/dev/null && echo NESTED; true"
    )
    argv = sandbox.bwrap_argv(
        ["sh", "-c", script], project_dir=tmp_path, read_only=[tmp_path / "ro"]
    )
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30)

    assert done.stdout.split()[:2] == ["CapEff:", "0000000000000000"]
    assert "REMOUNTED" not in done.stdout
    if sandbox.supports_disable_userns(argv[0]):
        assert "NESTED" not in done.stdout


def test_the_argv_shape(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", ENV_SECRET)
    project = tmp_path / "p"
    argv = sandbox.bwrap_argv(
        ["python", "-m", "pytest"],
        project_dir=project,
        read_only=[project / ".git"],
        writable=[project / "out"],
        hidden=[tmp_path],
        bwrap="/usr/bin/bwrap",
    )
    assert argv[:4] == ["/usr/bin/bwrap", "--ro-bind", "/", "/"]
    assert argv[-4:] == ["--", "python", "-m", "pytest"]
    index = {a: argv.index(a) for a in ("--bind", "--ro-bind-try", "--clearenv", "--chdir")}
    assert index["--bind"] < index["--ro-bind-try"] < argv.index(str(project / "out")) - 1
    assert argv.index("--tmpfs", argv.index(str(project / "out"))) < index["--clearenv"]
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent", "--new-session"):
        assert flag in argv
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    assert ENV_SECRET not in argv
    assert argv[argv.index("HOME", index["--clearenv"]) + 1] == sandbox.SANDBOX_HOME
