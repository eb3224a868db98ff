"""Run a command under bubblewrap with the boundary of the agent's own Bash sandbox.

Inside, the whole filesystem is read-only (``--ro-bind / /``) except the project; ``/dev``,
``/proc`` (of a new PID namespace, so no process of the harness is visible), ``/tmp`` and
``/run`` are fresh; HOME is a throwaway tmpfs; there is no network, no IPC with the host, no
capability (bwrap run by root would otherwise keep them all and could remount the read-only
binds writable) and, where this bwrap can say so, no nested user namespace. The environment is
rebuilt from scratch, without secrets.

Mounts are applied in order, later ones over earlier ones: the project writable, then the
``read_only`` paths inside it (the harness dir, ``.git``), then the ``writable`` carve-outs inside
those (the directory a report is written to), then the ``hidden`` paths (credential stores).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from .envvars import ADDED_BY_CLI, API_CREDENTIALS, is_secret, without_secrets

INSTALL_HINT = "apt-get install bubblewrap"
SANDBOX_HOME = "/tmp/home"
"""HOME inside the sandbox: a tmpfs of its own, gone when the command ends."""
SANDBOX_TMP = "/tmp"
PROBE_TIMEOUT_SECONDS = 10.0
NOT_PASSED = frozenset(
    {"SSH_AUTH_SOCK", "GPG_AGENT_INFO", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "TMPDIR"}
)
"""Variables that point at the host's agents and per-user dirs, which the sandbox hides."""


def withholding_secrets(
    command: Sequence[str], *, keep: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> list[str]:
    """``env -u NAME ... -- COMMAND``: COMMAND runs without any secret variable, except the
    names in ``keep``.

    For a command another program starts with its own environment (the CLI starting an MCP
    server): the secrets of ``environ`` (default: this process's), the CLI's credentials and the
    secrets the CLI adds are all unset.
    """
    present = os.environ if environ is None else environ
    names = {n for n in present if is_secret(n)} | {*API_CREDENTIALS, *ADDED_BY_CLI}
    unset = [arg for name in sorted(names - set(keep)) for arg in ("-u", name)]
    return [shutil.which("env") or "/usr/bin/env", *unset, "--", *command]


def cli_sandbox_missing() -> str:
    """What the Claude Code CLI's own sandbox lacks here, such as 'bwrap and socat' ('' when
    it can run; macOS has its own)."""
    if sys.platform == "darwin":
        return ""
    return " and ".join(tool for tool in ("bwrap", "socat") if shutil.which(tool) is None)


def available(bwrap: str | None = None) -> str | None:
    """None when a sandbox can be made here, else the reason and the fix, in one line."""
    if not sys.platform.startswith("linux"):
        return f"the test sandbox needs Linux and bubblewrap; this is {sys.platform}"
    path = bwrap or shutil.which("bwrap")
    if path is None:
        return f"bwrap not found; {INSTALL_HINT}"
    return _probe(path)


@functools.lru_cache(maxsize=8)
def _probe(bwrap: str) -> str | None:
    """Start a real sandbox once per bwrap binary: some hosts forbid user namespaces."""
    argv = bwrap_argv(["true"], project_dir=Path(tempfile.gettempdir()), env={}, bwrap=bwrap)
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            stdin=subprocess.DEVNULL,
            timeout=PROBE_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap cannot start ({exc}); {INSTALL_HINT}"
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1][:200]
        return (
            f"bwrap cannot make a sandbox here ({detail}); allow unprivileged user namespaces "
            "(sysctl kernel.unprivileged_userns_clone=1) or run where they are allowed"
        )
    return None


@functools.lru_cache(maxsize=8)
def supports_disable_userns(bwrap: str) -> bool:
    """Whether this bwrap (0.8.0 and later) has ``--disable-userns``."""
    try:
        done = subprocess.run(
            [bwrap, "--help"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "--disable-userns" in done.stdout + done.stderr


def sandbox_environment(environ: Mapping[str, str], home: str = SANDBOX_HOME) -> dict[str, str]:
    """``environ`` without secrets nor pointers to the host's agents; HOME and TMPDIR inside."""
    env = {k: v for k, v in without_secrets(environ).items() if k not in NOT_PASSED}
    env["HOME"] = home
    env["TMPDIR"] = SANDBOX_TMP
    return env


def bwrap_argv(
    command: Sequence[str],
    *,
    project_dir: Path,
    writable: Iterable[Path] = (),
    read_only: Iterable[Path] = (),
    hidden: Iterable[str | Path] = (),
    env: Mapping[str, str] | None = None,
    bwrap: str | None = None,
    home: str = SANDBOX_HOME,
    bound_from: Path | None = None,
) -> list[str]:
    """The argv that runs ``command`` in ``project_dir`` under bubblewrap.

    With ``bound_from`` (a private copy of the project), the copy is what is seen at
    ``project_dir``: the command cannot tell it from the project.

    ``read_only`` paths are bound read-only over the writable project (missing ones are
    skipped); ``writable`` paths, which must exist, are bound writable after them, so one output
    dir inside a protected dir stays writable; ``hidden`` paths (``~`` expanded against this
    process's HOME) are covered last, a dir by an empty tmpfs and a file by ``/dev/null``.
    ``env`` (default: this process's environment) loses its secrets; HOME becomes ``home``.
    """
    program = bwrap or shutil.which("bwrap") or "bwrap"
    project = str(project_dir.resolve())
    argv = [program, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
    argv += ["--tmpfs", SANDBOX_TMP, "--tmpfs", "/run", "--tmpfs", home]
    argv += ["--bind", str(bound_from.resolve()) if bound_from else project, project]
    for path in _resolved(read_only):
        argv += ["--ro-bind-try", path, path]
    for path in _resolved(writable):
        argv += ["--bind", path, path]
    argv += _hide(hidden)
    argv += _namespaces(program)
    argv += ["--clearenv"]
    for name, value in sorted(
        sandbox_environment(os.environ if env is None else env, home).items()
    ):
        argv += ["--setenv", name, value]
    return [*argv, "--chdir", project, "--", *command]


def _resolved(paths: Iterable[str | Path]) -> list[str]:
    return list(dict.fromkeys(str(Path(p).expanduser().resolve()) for p in paths))


def _hide(paths: Iterable[str | Path]) -> list[str]:
    """Cover each existing path, and the file a symlink among them points to."""
    argv: list[str] = []
    for given in dict.fromkeys(str(p) for p in paths):
        path = Path(given).expanduser()
        if not path.is_absolute() or not (path.exists() or path.is_symlink()):
            continue
        for target in dict.fromkeys((path.resolve(), Path(os.path.abspath(path)))):
            if target.is_dir():
                argv += ["--tmpfs", str(target), "--remount-ro", str(target)]
            elif target.exists():
                argv += ["--ro-bind", os.devnull, str(target)]
    return argv


def _namespaces(bwrap: str) -> list[str]:
    """No network, PID, IPC or UTS sharing, no capabilities, no nested user namespaces.

    ``--disable-userns`` needs a user namespace of its own, so ``--unshare-user`` goes with it;
    an older bwrap without it unshares the user namespace only when not root (where it would be
    implied anyway), and stays capability-free.
    """
    flags = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
    if supports_disable_userns(bwrap):
        flags += ["--unshare-user", "--disable-userns"]
    elif os.geteuid() != 0:
        flags += ["--unshare-user"]
    return [*flags, "--cap-drop", "ALL", "--die-with-parent", "--new-session"]
