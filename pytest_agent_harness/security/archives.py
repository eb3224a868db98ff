"""Archivers and compressors: where ``tar -x``, ``unzip`` and ``gzip FILE`` write.

An archive's members are not on the command line, so an extraction is judged by where it
lands: a directory that holds nothing protected (the project root holds ``.git``, so extract
with ``-C DIR``/``-d DIR``). Compressors replace each file with a sibling of a similar name,
which may not be protected either. Options that run programs (``tar --to-command``,
``-I PROG``, ``--checkpoint-action``, remote archives) are left out of the tables, so denied.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from .denial import no
from .options import REQUIRED, OptionError, Parsed, Spec, parse, spec
from .targets import Targets, join

TAR = spec("-c|--create", "-x|--extract|--get", "-t|--list", "-r|--append", "-u|--update",
           "-A|--catenate|--concatenate", "-d|--diff|--compare", "--delete", "-f|--file:",
           "-C|--directory:", "-z|--gzip|--gunzip|--ungzip", "-j|--bzip2", "-J|--xz", "--zstd",
           "--lzip", "--lzma", "-a|--auto-compress", "-v|--verbose",
           "-p|--preserve-permissions|--same-permissions", "-k|--keep-old-files",
           "--keep-newer-files", "--skip-old-files", "-O|--to-stdout", "--strip-components:",
           "--exclude:", "-T|--files-from:", "-X|--exclude-from:", "--wildcards",
           "--no-wildcards", "--anchored", "--no-anchored", "--no-same-owner",
           "--no-same-permissions", "-m|--touch", "-h|--dereference", "--numeric-owner",
           "--owner:", "--group:", "--mode:", "--mtime:", "--sort:", "-W|--verify",
           "-S|--sparse", "-b|--blocking-factor:", "-i|--ignore-zeros",
           "-s|--same-order|--preserve-order", "--exclude-vcs", "--exclude-vcs-ignores",
           "--totals::", "--format:", "-H:", "--posix", "--warning:", "--no-recursion",
           "--recursion", "--null", "--one-file-system", "--overwrite", "--remove-files",
           "--force-local", "--help", "--version")  # fmt: skip
TAR_WRITES_ARCHIVE = ("-c", "-r", "-u", "-A", "--delete")
UNZIP = spec(*(f"-{c}" for c in "lvtzTpcfuonqjCLabUVXKMDsNx"), "-d:", "-P:", "-O:", "-I:")
UNZIP_NO_WRITES = ("-l", "-v", "-t", "-z", "-p", "-c")
COMPRESSOR = ("-c|--stdout|--to-stdout", "-d|--decompress|--uncompress", "-f|--force",
              "-k|--keep", "-q|--quiet", "-v|--verbose", "-t|--test", "--fast", "--best",
              "-h|--help", "-V|--version", "-L|--license")  # fmt: skip
GZIP = spec(*COMPRESSOR, "-l|--list", "-n|--no-name", "-N|--name", "-r|--recursive",
            "--rsyncable", "--synchronous", "-S|--suffix:", digits=True)  # fmt: skip
BZIP2 = spec(*COMPRESSOR, "-z|--compress", "-s|--small", digits=True)
XZ = spec(*COMPRESSOR, "-z|--compress", "-l|--list", "-T|--threads:", "-e|--extreme",
          "-F|--format:", "-C|--check:", "-S|--suffix:", "-M|--memlimit|--memory:",
          "--no-sparse", "--single-stream", "-Q|--no-warn", digits=True)  # fmt: skip
COMPRESSORS = {"gzip": GZIP, "gunzip": GZIP, "bzip2": BZIP2, "bunzip2": BZIP2, "xz": XZ,
               "unxz": XZ}  # fmt: skip


def _old_style(words: list[str], table: Spec) -> list[str]:
    """``tar xzf A -C D`` as ``tar -x -z -f A -C D``: letters take their values in order."""
    if not words or words[0].startswith("-"):
        return words
    cluster, rest = words[0], list(words[1:])
    options: list[str] = []
    for letter in cluster:
        canonical = table.short.get("-" + letter)
        if canonical is None:
            raise OptionError(f"tar {letter}: an option the policy does not know")
        options.append("-" + letter)
        if canonical[1] == REQUIRED:
            if not rest:
                raise OptionError(f"tar {letter} needs a value")
            options.append(rest.pop(0))
    return options + rest


def _tar(t: Targets, words: list[str]) -> None:
    p = parse("tar", _old_style(words, TAR), TAR)
    for archive in p.values("-f"):
        if ":" in archive.split("/", 1)[0] and not p.has("--force-local"):
            raise no("write-runs-program", f"tar -f {archive}: a remote archive runs rsh/ssh")
        if p.has(*TAR_WRITES_ARCHIVE) and archive != "-":
            t.write(archive)
    if p.has("--remove-files"):
        raise no("write-unchecked", "tar --remove-files deletes files; remove them separately")
    if p.has("-x") and not p.has("-O"):
        directories = p.values("-C")
        root = "."
        for directory in directories:
            root = directory if directory.startswith("/") else join(root, directory)
        if not directories or p.operands:
            root = "."  # members named before a -C land in the working directory
        _extract_into(t, root, "tar -x ... -C DIR")


def _extract_into(t: Targets, root: str, how: str) -> None:
    if t.contains_protected(t.resolved(root)):
        raise no(
            "protected-path",
            f"{t.program} would extract into {root}, which holds files that belong to the "
            f"harness or the repository (its dir, .git); extract into a directory in "
            f"the project: {how}",
        )
    t.tree(root)


def _unzip(t: Targets, words: list[str]) -> None:
    p = parse("unzip", words, UNZIP)
    if not p.has(*UNZIP_NO_WRITES):
        _extract_into(t, (p.values("-d") or ["."])[-1], "unzip ARCHIVE -d DIR")


def _compressor(t: Targets, words: list[str]) -> None:
    p = parse(t.program, words, COMPRESSORS[t.program])
    if p.has("-c", "-l", "-t", "-h", "-V", "-L"):
        return  # to stdout, or only reading
    suffixes = p.values("-S")
    for operand in p.operands:
        if operand == "-":
            continue
        t.remove(operand)  # replaced by its compressed or decompressed sibling
        directory, name = os.path.split(operand)
        stem = name[: name.find(".", 1)] if name.find(".", 1) > 0 else name
        for suffix in suffixes:
            if suffix and name.endswith(suffix):
                stem = min(stem, name[: -len(suffix)], key=len)
        t.prefix(join(directory, stem) if directory else stem)


ARCHIVE_HANDLERS: dict[str, Callable[[Targets, list[str]], None]] = {
    "tar": _tar,
    "unzip": _unzip,
    **dict.fromkeys(COMPRESSORS, _compressor),
}


def _adapt(handler: Callable[[Targets, list[str]], None]) -> Callable[[Targets, Parsed], None]:
    return lambda t, p: handler(t, p.operands)


ARCHIVERS: dict[str, tuple[Spec, Callable[[Targets, Parsed], None]]] = {
    name: (spec(), _adapt(handler)) for name, handler in ARCHIVE_HANDLERS.items()
}
"""Programs that read their own command lines here: their words arrive as operands."""
