"""The file arguments of programs that write files: checked, not left to the sandbox alone.

Redirections were never the only way to write: ``cp evil .agent-harness/config.toml``,
``tee -a .git/config``, ``ln .git/config x`` (then write x) do it with base commands. For every
program here the command line is read from a table of its options (an unknown option, or a
word whose value is not known before it runs, is denied: ``sort $X`` may be ``sort -o FILE``),
and each file argument is judged by the part it plays (``targets.Targets``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from .archives import ARCHIVERS
from .denial import no
from .editors import EDITORS
from .options import OptionError, Parsed, Spec, parse, spec
from .paths import PathPolicy
from .targets import SAFE_TARGETS, Targets, join, last_name

Handler = Callable[[Targets, Parsed], None]

COPY_COMMON = ("-b", "--backup::", "-f|--force", "-i|--interactive", "-S|--suffix:",
               "-t|--target-directory:", "-T|--no-target-directory", "-v|--verbose",
               "--help", "--version")  # fmt: skip
CP = spec(*COPY_COMMON, "-a|--archive", "--attributes-only", "--copy-contents", "-d", "--debug",
          "-H", "-l|--link", "-L|--dereference", "-n|--no-clobber", "-P|--no-dereference",
          "-p", "--preserve::", "--no-preserve:", "--parents", "-R|-r|--recursive",
          "--reflink::", "--remove-destination", "--sparse:", "--strip-trailing-slashes",
          "-s|--symbolic-link", "-u", "--update::", "--keep-directory-symlink",
          "-x|--one-file-system", "-Z", "--context::")  # fmt: skip
MV = spec(*COPY_COMMON, "--debug", "--exchange", "-n|--no-clobber", "--no-copy",
          "--strip-trailing-slashes", "-u", "--update::", "-Z|--context")  # fmt: skip
LN = spec(*COPY_COMMON, "-d|-F|--directory", "-L|--logical", "-n|--no-dereference",
          "-P|--physical", "-r|--relative", "-s|--symbolic")  # fmt: skip
INSTALL = spec(*COPY_COMMON, "-c", "-C|--compare", "-d|--directory", "-D", "-g|--group:",
               "-m|--mode:", "-o|--owner:", "-p|--preserve-timestamps", "-s|--strip",
               "--strip-program:", "--preserve-context", "-Z", "--context::",
               "--debug")  # fmt: skip
CP_LINKS = ("-a", "-d", "-P", "-l", "-s")
"""cp options that make links to the source or copy its links as links."""


def _copy_family(t: Targets, p: Parsed, *, minimum: int = 2) -> tuple[list[str], str, bool]:
    """The sources, the destination, and whether each source lands inside it by name."""
    if p.has("-t"):
        return p.operands, p.values("-t")[-1], True
    if len(p.operands) < minimum:
        raise OptionError(f"{t.program} needs a source and a destination")
    if len(p.operands) == 1:  # ln TARGET: the link is ./NAME
        return p.operands, ".", True
    return p.operands[:-1], p.operands[-1], len(p.operands) > 2


def _landing(t: Targets, p: Parsed, source: str, dest: str, into: bool) -> list[str]:
    """Where ``source`` lands: ``dest`` itself, or ``dest/NAME`` when dest is a directory."""
    if dest in SAFE_TARGETS:
        return [dest]
    if p.has("--parents"):
        return [join(dest, source)]
    name = last_name(source)
    if p.has("-T") or name in (".", "..", "/"):
        return [dest]
    inside = join(dest, name)
    return [inside] if into or t.is_directory(dest) else [dest, inside]


def _copy(t: Targets, p: Parsed, *, tree: bool, removes: bool) -> list[tuple[str, str]]:
    """Check each destination (written, or a whole tree); return (source, landing) pairs."""
    sources, dest, into = _copy_family(t, p, minimum=1 if t.program == "ln" else 2)
    pairs = []
    for source in sources:
        if removes:
            t.remove(source)
        for landing in _landing(t, p, source, dest, into):
            (t.tree if tree else t.write)(landing)
            if p.has("-b", "--backup"):
                t.prefix(landing)  # the backup is landing~ or landing plus --suffix
            pairs.append((source, landing))
    return pairs


def _cp(t: Targets, p: Parsed) -> None:
    recursive = p.has("-R", "-a")
    for source, _ in _copy(t, p, tree=recursive, removes=False):
        if p.has("-l", "-s"):
            t.linked(source)
        elif recursive or p.has(*CP_LINKS):
            t.source(source)


def _mv(t: Targets, p: Parsed) -> None:
    _copy(t, p, tree=True, removes=True)


def _ln(t: Targets, p: Parsed) -> None:
    symbolic_from_link = p.has("-s") and not p.has("-r")
    for source, landing in _copy(t, p, tree=False, removes=False):
        base = landing.rsplit("/", 1)[0] if "/" in landing and symbolic_from_link else ""
        t.linked(source, base=base)


def _install(t: Targets, p: Parsed) -> None:
    if p.has("--strip-program"):
        raise no("write-runs-program", "install --strip-program runs a program; leave it out")
    if p.has("-d"):
        _each(t.write)(t, p)
    else:
        _copy(t, p, tree=False, removes=False)


def _each(check: Callable[[str], None], skip: int = 0) -> Handler:
    """A handler that applies ``check`` to every operand after the first ``skip``."""

    def handler(t: Targets, p: Parsed) -> None:
        if len(p.operands) <= skip:
            raise OptionError(f"{t.program} needs a file operand")
        for operand in p.operands[skip:]:
            check(operand)

    return handler


def _by_name(method: str, skip: int = 0) -> Handler:
    return lambda t, p: _each(getattr(t, method), skip)(t, p)


def _sort(t: Targets, p: Parsed) -> None:
    if p.has("--compress-program"):
        raise no("write-runs-program", "sort --compress-program runs a program; leave it out")
    for output in p.values("-o"):
        t.write(output)
    for directory in p.values("-T"):
        t.write(directory)


def _uniq(t: Targets, p: Parsed) -> None:
    if len(p.operands) > 2 or any(o.startswith("+") for o in p.operands):
        raise OptionError("uniq takes at most an input and an output file")
    if len(p.operands) == 2:
        t.write(p.operands[1])


def _tree(t: Targets, p: Parsed) -> None:
    if p.has("-R"):
        raise no("write-unchecked", "tree -R writes 00Tree.html into every directory it lists")
    for output in p.values("-o"):
        t.write(output)


def _file(t: Targets, p: Parsed) -> None:
    if p.has("-C"):
        raise no("write-unchecked", "file -C compiles magic files into the working directory")


def _split(t: Targets, p: Parsed) -> None:
    if p.has("--filter"):
        raise no("write-runs-program", "split --filter runs a shell command; leave it out")
    if len(p.operands) > 2:
        raise OptionError("split takes at most an input and a prefix")
    t.prefix(p.operands[1] if len(p.operands) == 2 else "x")


def _csplit(t: Targets, p: Parsed) -> None:
    t.prefix((p.values("-f") or ["xx"])[-1])


def _mktemp(t: Targets, p: Parsed) -> None:
    directory = p.values("-p", "--tmpdir")
    if not directory and (p.has("-t", "--tmpdir") or not p.operands):
        raise no(
            "write-outside",
            "mktemp writes in $TMPDIR or /tmp; give a directory in the project: "
            "mktemp -p DIR NAME.XXXXXX",
        )
    if len(p.operands) > 1:
        raise OptionError("mktemp takes one template")
    template = p.operands[-1] if p.operands else "tmp.XXXXXXXXXX"
    stem = template if p.has("--suffix") else template.rstrip("X")
    t.prefix(join(directory[-1], stem) if directory else stem)


DD_KEYS = frozenset({"if", "of", "ibs", "obs", "bs", "cbs", "skip", "iseek", "seek", "oseek",
                     "count", "status", "conv", "iflag", "oflag"})  # fmt: skip


def _dd(t: Targets, p: Parsed) -> None:
    """``dd of=FILE`` writes FILE; every operand must be a KEY=VALUE dd knows."""
    for operand in p.operands:
        key, equals, value = operand.partition("=")
        if not equals or key not in DD_KEYS:
            raise OptionError(f"dd {operand}: an operand the policy does not know")
        if key == "of":
            t.write(value)


def _mode_owner(t: Targets, p: Parsed) -> None:
    """chmod, chown, chgrp: the first operand is the mode or owner unless --reference."""
    skip = 0 if p.has("--reference") else 1
    _each(t.tree if p.has("-R") else t.write, skip)(t, p)


def _mknod(t: Targets, p: Parsed) -> None:
    _each(t.write)(t, Parsed(p.options, p.operands[:1]))


MODE_OWNER = ("-c|--changes", "-f|--silent|--quiet", "-v|--verbose", "--no-preserve-root",
              "--preserve-root", "--reference:", "-R|--recursive", "-h|--no-dereference",
              "--dereference", "-H", "-L", "-P")  # fmt: skip
CONTEXT = ("-Z", "--context::", "-m|--mode:")
TREE = spec(*(f"-{c}" for c in "adlfxqNQpugshDFvtcUrinACSXJR"), "-L:", "-P:", "-I:", "-H:",
            "-T:", "-o:", "--gitignore", "--gitfile:", "--ignore-case", "--matchdirs",
            "--metafirst", "--prune", "--info", "--infofile:", "--noreport", "--charset:",
            "--filelimit:", "--si", "--du", "--timefmt:", "--inodes", "--device",
            "--dirsfirst", "--filesfirst", "--sort:", "--nolinks", "--hintro:",
            "--houtro:", "--fromfile", "--fromtabfile", "--fflinks", "--help",
            "--version")  # fmt: skip
SORT = spec(*(f"-{c}" for c in "bdfgiMhnRrVcCsuzm"), "-k|--key:", "-t|--field-separator:",
            "-S|--buffer-size:", "-T|--temporary-directory:", "-o|--output:", "--parallel:",
            "--batch-size:", "--files0-from:", "--random-source:", "--sort:", "--check::",
            "--compress-program:", "--debug", "--merge", "--ignore-leading-blanks",
            "--dictionary-order", "--ignore-case", "--general-numeric-sort",
            "--ignore-nonprinting", "--month-sort", "--human-numeric-sort", "--numeric-sort",
            "--random-sort", "--reverse", "--version-sort", "--stable", "--unique",
            "--zero-terminated", "--help", "--version")  # fmt: skip
UNIQ = spec("-c|--count", "-d|--repeated", "-D", "--all-repeated::", "-f|--skip-fields:",
            "--group::", "-i|--ignore-case", "-s|--skip-chars:", "-u|--unique",
            "-z|--zero-terminated", "-w|--check-chars:", "--help", "--version")  # fmt: skip
SPLIT = spec("-a|--suffix-length:", "--additional-suffix:", "-b|--bytes:", "-C|--line-bytes:",
             "-d", "--numeric-suffixes::", "-x", "--hex-suffixes::", "-e|--elide-empty-files",
             "-l|--lines:", "-n|--number:", "-t|--separator:", "-u|--unbuffered",
             "--verbose", "--filter:", "--help", "--version", digits=True)  # fmt: skip
CSPLIT = spec("-b|--suffix-format:", "-f|--prefix:", "-k|--keep-files", "--suppress-matched",
              "-n|--digits:", "-s|-q|--quiet|--silent", "-z|--elide-empty-files",
              "--help", "--version")  # fmt: skip

WRITERS: dict[str, tuple[Spec, Handler]] = {
    "cp": (CP, _cp),
    "mv": (MV, _mv),
    "ln": (LN, _ln),
    "link": (spec(), lambda t, p: _ln(t, Parsed([("-T", None)], p.operands))),
    "install": (INSTALL, _install),
    "rm": (
        spec(
            "-f|--force",
            "-i",
            "-I",
            "--interactive::",
            "--one-file-system",
            "--no-preserve-root",
            "--preserve-root::",
            "-r|-R|--recursive",
            "-d|--dir",
            "-v|--verbose",
            "--help",
            "--version",
        ),
        _by_name("remove"),
    ),
    "rmdir": (
        spec("--ignore-fail-on-non-empty", "-p|--parents", "-v|--verbose"),
        _by_name("remove"),
    ),
    "unlink": (spec(), _by_name("remove")),
    "mkdir": (spec(*CONTEXT, "-p|--parents", "-v|--verbose"), _by_name("write")),
    "mkfifo": (spec(*CONTEXT), _by_name("write")),
    "mknod": (spec(*CONTEXT), _mknod),
    "touch": (
        spec(
            "-a",
            "-c|--no-create",
            "-d|--date:",
            "-f",
            "-h|--no-dereference",
            "-m",
            "-r|--reference:",
            "-t:",
            "--time:",
        ),
        _by_name("write"),
    ),
    "truncate": (
        spec("-c|--no-create", "-o|--io-blocks", "-r|--reference:", "-s|--size:"),
        _by_name("write"),
    ),
    "tee": (
        spec("-a|--append", "-i|--ignore-interrupts", "-p", "--output-error::"),
        _by_name("write"),
    ),
    "sort": (SORT, _sort),
    "shuf": (
        spec(
            "-e|--echo",
            "-i|--input-range:",
            "-n|--head-count:",
            "-o|--output:",
            "--random-source:",
            "-r|--repeat",
            "-z|--zero-terminated",
        ),
        _sort,
    ),
    "uniq": (UNIQ, _uniq),
    "tree": (TREE, _tree),
    "split": (SPLIT, _split),
    "csplit": (CSPLIT, _csplit),
    "mktemp": (
        spec(
            "-d|--directory", "-u|--dry-run", "-q|--quiet", "--suffix:", "-p:", "--tmpdir::", "-t"
        ),
        _mktemp,
    ),
    "dd": (spec("--help", "--version"), _dd),
    "chmod": (spec(*MODE_OWNER), _mode_owner),
    "chown": (spec(*MODE_OWNER, "--from:"), _mode_owner),
    "chgrp": (spec(*MODE_OWNER, "--from:"), _mode_owner),
    **ARCHIVERS,
    **EDITORS,
}
"""Every program whose arguments name files it writes, links, removes or renames."""
CHECKED_WRITERS = frozenset(WRITERS) | {"file"}
"""Programs whose arguments this module reads: xargs may not add arguments to them."""

FILE_OPTIONS = spec(*(f"-{c}" for c in "bcCdEhiIklLNnprsSvz0"), "-e:", "-f:", "-F:", "-m:",
                    "-P:", "--compile")  # fmt: skip


def check_writes(
    base: str, argv: Sequence[str | None], paths: PathPolicy, cwd: Path | None
) -> None:
    """Deny ``argv`` when the program ``base``, run in ``cwd``, would write where it may not,
    or when its command line cannot be read with enough confidence to say where it writes."""
    if base not in WRITERS and base != "file":
        return
    if any(word is None for word in argv[1:]):
        raise no(
            "write-unchecked",
            f"{base} writes files: name them literally (no variables, globs or substitutions) "
            "so the policy can check where they land",
        )
    words = [w or "" for w in argv[1:]]
    table, handler = WRITERS.get(base, (FILE_OPTIONS, _file))
    try:
        handler(Targets(base, paths, cwd), _read(base, words, table))
    except OptionError as error:
        raise no("write-unchecked", f"{error}; the policy cannot tell what it writes") from None


def _read(base: str, words: list[str], table: Spec) -> Parsed:
    if base == "chmod":  # chmod -x FILE: a mode that looks like an option
        index = next((i for i, w in enumerate(words) if _looks_like_mode(w)), None)
        if index is not None:
            parsed = parse(base, words[:index] + words[index + 1 :], table)
            return Parsed(parsed.options, [words[index], *parsed.operands])
    if base in ARCHIVERS or base in EDITORS:
        return Parsed([], words)  # they read their own command lines
    return parse(base, words, table)


def _looks_like_mode(word: str) -> bool:
    return word[:1] == "-" and len(word) > 1 and set(word[1:]) <= set("rwxXstugoa=+-,01234567")
