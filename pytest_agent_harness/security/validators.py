"""Extra checks for commands whose arguments matter: ``pkill``, ``chmod``, ``./init.sh``.

Each runs only when its command is allowed and configured under
``[security.bash.extra_validators.CMD]`` (``init.sh`` always). Plugins validate any other
command through the ``agent_harness_validate_command`` hook.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .decision import Decision, deny

if TYPE_CHECKING:
    from ..config import ExtraValidator
    from .bash import BashPolicy


def check_pkill(argv: Sequence[str], rule: ExtraValidator) -> Decision | None:
    targets = [a for a in argv[1:] if not a.startswith("-")]
    if not targets:
        return deny("pkill", "pkill needs a target process name")
    for target in targets:  # with -f the pattern matches whole command lines: check it all the same
        if not any(fnmatch.fnmatchcase(target, allowed) for allowed in rule.allowed_targets):
            listed = ", ".join(rule.allowed_targets) or "none"
            return deny("pkill", f"pkill {target}: only these targets may be stopped: {listed}")
    return None


def check_chmod(argv: Sequence[str], rule: ExtraValidator, project_dir: Path) -> Decision | None:
    args = list(argv[1:])
    if any(a.startswith("-") and a[1:2] in ("R", "-") for a in args if not a[1:2].isdigit()):
        return deny("chmod", "chmod -R is not allowed; name the files")
    modes = [a for a in args if not a.startswith("-")]
    if len(modes) < 2:
        return deny("chmod", "chmod needs a mode and at least one file")
    mode, files = modes[0], modes[1:]
    if mode not in rule.allowed_modes:
        listed = ", ".join(rule.allowed_modes) or "none"
        return deny("chmod", f"chmod {mode}: only these modes are allowed: {listed}")
    root = Path(os.path.realpath(project_dir))
    for name in files:
        path = Path(os.path.realpath(root / os.path.expanduser(name)))
        if path != root and root not in path.parents:
            return deny("chmod", f"chmod {name}: only files inside the project")
    return None


def check_init_script(argv: Sequence[str]) -> Decision | None:
    """``./init.sh`` runs only as exactly that: the project root's own script."""
    if argv[0] != "./init.sh":
        return deny("init.sh", "run the init script only as ./init.sh from the project root")
    return None


PluginCheck = Callable[[Sequence[str], Path], "Decision | None"]
"""What the run's plugins say of a command line (``Plugins.validate_command``)."""


def run_validators(
    argv: Sequence[str],
    policy: BashPolicy,
    rules: Mapping[str, ExtraValidator],
    plugin_check: PluginCheck | None = None,
) -> Decision | None:
    """The first denial among the built-in validators and the plugins', or None."""
    name = argv[0]
    base = name.rsplit("/", 1)[-1]
    if base == "init.sh":
        return check_init_script(argv)
    if base == "pkill" and "pkill" in rules:
        return check_pkill(argv, rules["pkill"])
    if base == "chmod" and "chmod" in rules:
        return check_chmod(argv, rules["chmod"], policy.project_dir)
    return plugin_check(argv, policy.project_dir) if plugin_check is not None else None
