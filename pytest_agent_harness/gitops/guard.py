"""The git guard: no program from repository config or hooks that changed since the run started.

At run start ``GitGuard.record`` notes every config entry that makes git run a program (in the
repository's config, the files it includes, the worktree and global config, and submodules'
configs under ``.git/modules``) and a hash of the hooks directory. Before each harness git
operation ``check`` refuses (``GitStateError``) when such an entry was added or changed, and
says how to undo it; the user's own entries from before the run (git-lfs filters, a pager)
keep working. Changed hooks are not refused: the harness's commits skip them, with a warning.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GitStateError
from .hardening import run_git

WHOLE_SECTIONS = frozenset({"alias", "pager", "hook", "sendemail"})
PROGRAM_VARIABLES = {
    "core": {"fsmonitor", "hookspath", "pager", "editor", "sshcommand", "askpass", "gitproxy",
             "alternaterefscommand"},
    "filter": {"clean", "smudge", "process"},
    "diff": {"textconv", "command", "external"},
    "merge": {"driver"},
    "credential": {"helper"},
    "include": {"path"},
    "includeif": {"path"},
    "gpg": {"program"},
    "sequence": {"editor"},
    "uploadpack": {"packobjectshook"},
    "remote": {"uploadpack", "receivepack"},
    "difftool": {"cmd", "path"},
    "mergetool": {"cmd", "path"},
    "web": {"browser"},
    "browser": {"cmd", "path"},
    "man": {"cmd", "path"},
    "trailer": {"command", "cmd"},
    "interactive": {"difffilter"},
    "submodule": {"update"},
}  # fmt: skip
"""Per config section, the variables whose value is a program git may run (or a file of more
config): ``filter.<driver>.clean``, ``core.fsmonitor``, ``include.path``, ..."""


def runs_program(key: str) -> bool:
    """Whether the config key ``section[.subsection].variable`` names a program to run."""
    section, _, rest = key.partition(".")
    section, variable = section.lower(), rest.rpartition(".")[2].lower()
    return section in WHOLE_SECTIONS or variable in PROGRAM_VARIABLES.get(section, ())


@dataclass(frozen=True)
class Entry:
    """One config entry that runs a program, and where it is set."""

    key: str
    value: str
    origin: str
    """The file it is in (``file:PATH`` as git says it), for the message."""


def _parse(listing: str, origin: str | None = None) -> list[Entry]:
    """Entries of ``git config --list -z`` (with ``--show-scope --show-origin`` unless
    ``origin`` is given) that run programs; command-line entries (the harness's) are left out."""
    fields = listing.split("\0")
    width = 1 if origin else 3
    entries = []
    for i in range(0, len(fields) - width + 1, width):
        if origin is None and fields[i] == "command":
            continue
        key, _, value = fields[i + width - 1].partition("\n")
        if runs_program(key):
            entries.append(Entry(key, value, origin or fields[i + 1]))
    return entries


def common_dir(project_dir: Path) -> Path:
    """The repository's git directory (shared by its worktrees)."""
    return Path(project_dir, run_git(["rev-parse", "--git-common-dir"], project_dir).strip())


def program_entries(project_dir: Path, common: Path) -> list[Entry]:
    """Every config entry that runs a program and applies to this repository or its submodules
    (``common`` is its git directory)."""
    listing = run_git(
        ["config", "--list", "--includes", "--show-scope", "--show-origin", "-z"], project_dir
    )
    entries = _parse(listing)
    for config in sorted((common / "modules").rglob("config")):
        if config.is_file():
            out = run_git(["config", "--file", str(config), "--list", "--includes", "-z"], common)
            entries += _parse(out, origin=f"file:{config}")
    return entries


def hooks_fingerprint(hooks: Path) -> str:
    """A hash over the names, executable bits, link targets and contents of ``hooks``."""
    digest = hashlib.sha256()
    if not hooks.is_dir():
        return "no hooks directory" if not hooks.exists() else "not a directory"
    for root, dirs, files in os.walk(hooks):
        dirs.sort()
        for name in sorted(files):
            path = Path(root, name)
            digest.update(path.relative_to(hooks).as_posix().encode() + b"\0")
            if path.is_symlink():
                digest.update(b"link:" + os.readlink(path).encode() + b"\0")
            try:
                digest.update(b"x" if os.access(path, os.X_OK) else b"-")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
            except OSError:
                digest.update(b"unreadable")
    return digest.hexdigest()


def _hooks_dir(project_dir: Path, common: Path, entries: list[Entry]) -> Path:
    configured = [e.value for e in entries if e.key.lower() == "core.hookspath"]
    if configured and configured[-1]:
        path = Path(configured[-1]).expanduser()
        return path if path.is_absolute() else project_dir / path
    return common / "hooks"


def _undo(entry: Entry) -> str:
    where = entry.origin.removeprefix("file:")
    value = entry.value if len(entry.value) <= 60 else entry.value[:57] + "..."
    return (
        f"git config {entry.key} was added or changed since the harness last accepted the "
        f"repository (now '{value}', in {where}); it would make the harness's git run a "
        f"program. Undo it with `git config --file {where} --unset-all {entry.key}` (or edit "
        f"{where}) and run again, or, if you made the change, run `agent-harness trust`"
    )


def _unreadable(project_dir: Path, exc: subprocess.CalledProcessError) -> GitStateError:
    detail = (exc.stderr or "").strip().splitlines()
    why = detail[-1] if detail else f"git exited with {exc.returncode}"
    return GitStateError(f"{project_dir}: cannot read its git config ({why}); fix it and run again")


@dataclass
class GitGuard:
    """What the repository's config and hooks were at run start; ``check`` before each git step."""

    project_dir: Path
    common: Path
    """The git directory."""
    programs: frozenset[tuple[str, str]]
    """(key, value) of every config entry that runs a program, as the run found them."""
    hooks_dir: Path
    hooks_print: str
    hooks_ok: bool = True
    pending: list[str] = field(default_factory=list)

    @classmethod
    def record(cls, project_dir: Path) -> GitGuard:
        """Note the config and hooks of the repository at ``project_dir`` (run start)."""
        try:
            common = common_dir(project_dir)
            entries = program_entries(project_dir, common)
        except subprocess.CalledProcessError as exc:
            raise _unreadable(project_dir, exc) from exc
        hooks = _hooks_dir(project_dir, common, entries)
        programs = frozenset((e.key, e.value) for e in entries)
        return cls(project_dir, common, programs, hooks, hooks_fingerprint(hooks))

    @property
    def hooks(self) -> Path | None:
        """The user's hooks when unchanged at the last check, else None (run no hooks)."""
        return self.hooks_dir if self.hooks_ok else None

    def check(self, project_dir: Path | None = None) -> list[str]:
        """Refuse config that runs a program and was added or changed since ``record``; return
        the new warnings (changed hooks are skipped, said once per change), also kept in
        ``pending`` for ``take_warnings``."""
        project_dir = project_dir or self.project_dir
        try:
            entries = program_entries(project_dir, self.common)
        except subprocess.CalledProcessError as exc:
            raise _unreadable(project_dir, exc) from exc
        for entry in entries:
            if (entry.key, entry.value) not in self.programs:
                raise GitStateError(_undo(entry))
        same = hooks_fingerprint(self.hooks_dir) == self.hooks_print
        warnings = []
        if self.hooks_ok and not same:
            warnings.append(
                f"the git hooks in {self.hooks_dir} changed since the harness last accepted "
                "them; its commits skip them until they are as they were (or, if you changed "
                "them, until `agent-harness trust`)"
            )
        self.hooks_ok = same
        self.pending += warnings
        return warnings

    def to_json(self) -> dict[str, object]:
        return {
            "programs": sorted([key, value] for key, value in self.programs),
            "hooks_dir": str(self.hooks_dir),
            "hooks_print": self.hooks_print,
        }

    @classmethod
    def from_json(cls, project_dir: Path, data: object) -> GitGuard | None:
        """A guard whose reference is a saved one (None when ``data`` is not one)."""
        if not isinstance(data, dict):
            return None
        try:
            programs = frozenset((str(k), str(v)) for k, v in data["programs"])
            hooks_dir, hooks_print = Path(data["hooks_dir"]), str(data["hooks_print"])
            common = common_dir(project_dir)
        except (KeyError, TypeError, ValueError, subprocess.CalledProcessError):
            return None
        return cls(project_dir, common, programs, hooks_dir, hooks_print)

    def take_warnings(self) -> list[str]:
        """The warnings checks made since the last call (for the caller to print)."""
        taken, self.pending = self.pending, []
        return taken
