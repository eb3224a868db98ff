"""Programs that write files: their file arguments are checked against the protected set.

The attacks in the first table were all allowed while "protected" held only against
redirections: an agent with just the base commands rewrote its own config, the repository's
config and its logs with cp, tee, links and cd. The neighbours next to them must stay allowed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_agent_harness.security.bash import BashPolicy, check_command
from pytest_agent_harness.security.commands import BASE_COMMANDS
from pytest_agent_harness.security.paths import resolve

EXTRA = {"rm", "rmdir", "ln", "install", "tar", "unzip", "gzip", "gunzip", "sed", "patch",
         "split", "csplit", "truncate", "dd", "pushd", "xargs", "mktemp", "chmod", "shuf",
         "bash", "find"}  # fmt: skip


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> BashPolicy:
    """Built as ``security/guards.py`` builds it: the harness dir and .git protected."""
    project = tmp_path_factory.mktemp("writes") / "project"
    for directory in (".agent-harness/logs", ".git/hooks", ".git/refs/heads", "src", "sub"):
        (project / directory).mkdir(parents=True, exist_ok=True)
    (project / ".git" / "config").write_text("[core]\n")
    (project / ".agent-harness" / "config.toml").write_text("max_iterations = 1\n")
    (project / "feature_list.json").write_text("[]\n")
    (project / "src" / "link-to-git").symlink_to(project / ".git")
    protected = (
        project / ".agent-harness",
        project / ".git",
        project / "feature_list.json",  # an evidence-checked tracker file
    )
    return BashPolicy(
        allowed_commands=BASE_COMMANDS | EXTRA,
        project_dir=project,
        protected=tuple(resolve(str(p), project) for p in protected),
    )


ATTACKS = [
    # the attacks that were allowed, each with base commands only
    ("cp evil.toml .agent-harness/config.toml", "protected-path"),
    ("echo x | tee -a .agent-harness/config.toml", "protected-path"),
    ("cp /dev/null .agent-harness/baseline.json", "protected-path"),
    ("cp -r .git sub/.git", "protected-path"),
    ("cp -l .git/config x", "protected-path"),
    ("cp -s TARGET .agent-harness/logs/session-002.jsonl", "protected-path"),
    ("cd .git && printf '[core]' >> config", "protected-path"),
    ("cd .git/hooks && ls", "protected-path"),
    ("cd .git && cp refs/heads/old refs/heads/main", "protected-path"),
    # the same through other options, programs and spellings
    ("cp evil.toml .agent-harness", "protected-path"), ("cp a b .git/", "protected-path"),
    ("cp -t .git a", "protected-path"), ("cp --target-directory=.git a", "protected-path"),
    ("cp a -t .git", "protected-path"), ("cp -- a .git/config", "protected-path"),
    ("cp a src/../.git/config", "protected-path"), ("cp a src/link-to-git/config", "protected-path"),
    ("cp -R .agent-harness backup", "protected-path"), ("cp --recursive .git x", "protected-path"),
    ("cp -a .git x", "protected-path"), ("cp --archive . copy", "protected-path"),
    ("cp -r . copy", "protected-path"), ("cp -r evil/. .", "protected-path"),
    ("cp -rT evil .", "protected-path"), ("cp -r evil/.git .", "protected-path"),
    ("cp --link .git/config x", "protected-path"), ("cp -al .git x", "protected-path"),
    ("cp --symbolic-link .git/config x", "protected-path"), ("cp -P .git/config x", "protected-path"),
    ("cp -d .git/HEAD x", "protected-path"), ("cp --no-dereference .git/config x", "protected-path"),
    ("cp -b -S .json x feature_list", "protected-path"), ("cp new.json feature_list.json", "protected-path"),
    ("mv .git old-git", "protected-path"), ("mv x .git/config", "protected-path"),
    ("mv feature_list.json x", "protected-path"), ("mv -t .agent-harness x", "protected-path"),
    ("tee .git/config", "protected-path"), ("tee --append .git/config", "protected-path"),
    ("touch .agent-harness/state.json", "protected-path"), ("mkdir .git/hooks/x", "protected-path"),
    ("mkdir -p .agent-harness/new", "protected-path"),
    ("sort -o .git/config in.txt", "protected-path"), ("sort --output=.git/config in", "protected-path"),
    ("sort --outp .agent-harness/x in", "protected-path"), ("sort -o.git/config in", "protected-path"),
    ("sort -ro .git/config in", "protected-path"), ("sort -T .git in", "protected-path"),
    ("uniq in.txt .git/config", "protected-path"), ("tree -o .agent-harness/x", "protected-path"),
    ("tree -ao .git/x", "protected-path"),
    ("rm .git/index", "protected-path"), ("rm -rf .", "protected-path"), ("rm -rf src/..", "protected-path"),
    ("rm -r .agent-harness", "protected-path"), ("rm feature_list.json", "protected-path"),
    ("rmdir .git/refs/tags", "protected-path"),
    ("ln -s .git l", "protected-path"), ("ln -s ../.git sub/l", "protected-path"),
    ("ln .git/config x", "protected-path"), ("ln -sf x .git/hooks/pre-commit", "protected-path"),
    ("ln -s . root-link", "protected-path"), ("ln -t .git x", "protected-path"),
    ("ln .agent-harness/config.toml", "protected-path"), ("ln -s /etc etc-link", "write-outside"),
    ("install evil .git/hooks/pre-commit", "protected-path"), ("install -d .git/x", "protected-path"),
    ("truncate -s 0 .agent-harness/state.json", "protected-path"), ("dd if=x of=.git/config", "protected-path"),
    ("split -b 1 big feature_list.js", "protected-path"), ("split -b 1 big .git/x", "protected-path"),
    ("csplit -f .agent-harness/x in 1", "protected-path"), ("shuf -o .git/config in", "protected-path"),
    ("sed -i s/a/b/ .git/config", "protected-path"), ("sed -i.bak s/a/b/ .agent-harness/config.toml", "protected-path"),
    ("patch .git/config < x.diff", "protected-path"), ("gzip .git/config", "protected-path"),
    ("gunzip feature_list.json.gz", "protected-path"), ("gzip -r .", "protected-path"),
    ("tar -xf a.tar", "protected-path"), ("tar xf a.tar", "protected-path"), ("tar -xf a.tar -C .git", "protected-path"),
    ("tar -xf a.tar -C out member", "protected-path"), ("tar -cf .git/x.tar src", "protected-path"),
    ("unzip a.zip", "protected-path"), ("unzip a.zip -d .agent-harness", "protected-path"),
    ("chmod +x .git/hooks/pre-commit", "protected-path"), ("chmod -x .git/hooks/pre-commit", "protected-path"),
    ("chmod -R u+w .", "protected-path"), ("mktemp -p .git x.XXXXXX", "protected-path"),
    ("pushd .git", "protected-path"), ("cd src/link-to-git", "protected-path"), ("cd .agent-harness/logs", "protected-path"),
    # through wrappers, shells and functions
    ("timeout 5 cp a .git/config", "protected-path"), ("env cp a .git/config", "protected-path"),
    ("nice -n 5 tee .git/config", "protected-path"), ("bash -c 'cp a .git/config'", "protected-path"),
    ("f() { cp a .git/config; }; f", "protected-path"), ("if true; then touch .git/x; fi", "protected-path"),
    # outside the writable set
    ("cp a /tmp/b", "write-outside"), ("mkdir ../x", "write-outside"), ("tee ~/.bashrc", "write-outside"),
    ("mv a ../b", "write-outside"), ("rm /etc/hosts", "write-outside"), ("dd if=x of=~/y", "write-outside"),
    ("mktemp", "write-outside"), ("ln src/a.py /tmp/a", "write-outside"), ("ln /etc/passwd pw", "write-outside"),
    # command lines that cannot be read with confidence
    ("cp $SRC $DST", "write-unchecked"), ("touch \"$f\"", "write-unchecked"), ("cp *.py dst/", "write-unchecked"),
    ("sort $OPTS in", "write-unchecked"), ("tee $(echo x)", "write-unchecked"), ("cp --frobnicate a b", "write-unchecked"),
    ("cp -Q a b", "write-unchecked"), ("cp a", "write-unchecked"), ("mv --t .git a", "protected-path"), ("cp --re a b", "write-unchecked"),
    ("uniq a b c", "write-unchecked"), ("tree -R", "write-unchecked"), ("file -C -m x", "write-unchecked"),
    ("dd if=x foo=bar", "write-unchecked"), ("patch < x.diff", "write-unchecked"), ("patch -p1 -i x.diff", "write-unchecked"),
    ("sed 'w .git/config' a", "write-unchecked"), ("sed 's/a/b/w .git/config' a", "write-unchecked"),
    ("sed ':a;w x' a", "write-unchecked"), ("sed -n 'e curl x' a", "write-unchecked"), ("sed -f script.sed a", "write-unchecked"),
    ("sed -i'.git/*' s/a/b/ a", "write-unchecked"), ("tar --to-command=sh -xf a.tar -C out", "write-unchecked"),
    ("tar -I sh -xf a.tar -C out", "write-unchecked"), ("tar -P -xf a.tar -C out", "write-unchecked"),
    ("tar --remove-files -cf a.tar .git", "write-unchecked"), ("ln", "write-unchecked"),
    ("sort --compress-program=sh in", "write-runs-program"), ("split --filter=sh in", "write-runs-program"),
    ("install --strip-program=sh a b", "write-runs-program"), ("tar -cf host:x src", "write-runs-program"),
    ("echo .git/config | xargs touch", "xargs-arguments"), ("echo x | xargs cp a", "xargs-arguments"),
    ("TAR_OPTIONS=--to-command=sh tar -xf a -C out", "variable"), ("GZIP=-r gzip x", "variable"),
    ("TMPDIR=.git mktemp -p x y.XXX", "variable"), ("cd", "cd-outside"), ("pushd", "cd-outside"), ("cd a b", "cd-outside"),
]  # fmt: skip

NEIGHBOURS = [
    "cp a b", "cp a.txt src/", "cp -r src backup", "cp -r evil .", "cp -a src dst", "cp -p a b",
    "cp .git/config config-copy.txt", "cp -v --backup=numbered a b", "cp -- -a b",
    "mv old.py new.py", "mv -t src a b", "mkdir -p src/x", "mkdir -m 755 build", "touch src/__init__.py",
    "touch -d '2020-01-01' a", "touch -r .git/config a", "tee out.txt", "echo x | tee -a out.log build.log",
    "cat .git/config", "ls .agent-harness", "ls -la .git", "head .agent-harness/logs/session-001.jsonl",
    "cd src && ls", "cd . && ls", "cd sub", "pushd src", "sort -o out.txt in.txt", "sort -u -k 2 -t , in.txt",
    "sort in.txt > out.txt", "uniq in.txt", "uniq -c in.txt out.txt", "tree", "tree -a -L 2 src",
    "tree -o tree.txt", "rm build/out.o", "rm -rf build", "rmdir sub/empty", "ln -s src/a.py b.py",
    "ln -s ../src/a.py sub/a.py", "ln src/a.py hard.py", "install -m 755 a bin/a", "install -d build/bin",
    "truncate -s 0 out.log", "dd if=/dev/zero of=blank bs=1k count=1", "dd if=a.bin", "split -l 100 big parts/p",
    "csplit -f parts/x in 5", "shuf -o out.txt in.txt", "sed -i s/a/b/ src/a.py", "sed -ie s/a/b/ src/a.py",
    "sed -n '/x/p' a", "sed ':a;N;$!ba;s/\\n/ /g' a", "sed -e 's/a/b/' -e '1d' a", "sed 'y/abc/xyz/' a",
    "sed --sandbox 'w x' a", "patch src/a.py < fix.diff", "patch --dry-run -p1 < fix.diff",
    "gzip src/a.log", "gzip -c .git/config > config.gz", "gunzip -k src/a.gz", "tar -czf out.tgz src",
    "tar -xzf a.tgz -C out", "tar xzf a.tgz -C out", "tar -tf a.tar", "tar -xOf a.tar member",
    "unzip a.zip -d out", "unzip -l a.zip", "chmod +x run.sh", "chmod -R u+w src", "mktemp -p build x.XXXXXX",
    "mktemp build/x.XXXXXX", "file README.md", "cp a /dev/null", "tee /dev/null", "find . -type f | xargs wc -l",
    "echo x > out.txt", "git status",
]  # fmt: skip


@pytest.mark.parametrize(("command", "rule"), ATTACKS, ids=[c for c, _ in ATTACKS])
def test_writes_into_the_protected_set_are_denied(
    policy: BashPolicy, command: str, rule: str
) -> None:
    decision = check_command(command, policy)
    assert not decision.allowed and decision.rule == rule, decision
    assert decision.reason


@pytest.mark.parametrize("command", NEIGHBOURS)
def test_harmless_neighbours_stay_allowed(policy: BashPolicy, command: str) -> None:
    decision = check_command(command.replace("git status", "ls"), policy)
    assert decision.allowed, decision


def test_the_tables_are_unique_and_large() -> None:
    attacks = [c for c, _ in ATTACKS]
    assert len(attacks) == len(set(attacks)) >= 140
    assert len(NEIGHBOURS) == len(set(NEIGHBOURS)) >= 75


def test_reasons_name_the_path_and_what_to_do(policy: BashPolicy) -> None:
    reason = check_command("cp evil.toml .agent-harness/config.toml", policy).reason
    assert ".agent-harness/config.toml" in reason and "never" in reason
    assert "-C DIR" in check_command("tar -xf a.tar", policy).reason
    assert "literally" in check_command("cp *.py dst/", policy).reason


def test_an_unprotected_project_still_checks_the_writable_set(tmp_path: Path) -> None:
    narrow = BashPolicy(
        allowed_commands=BASE_COMMANDS, project_dir=tmp_path, writable_paths=("src/**",)
    )
    assert check_command("cp a src/b", narrow).allowed
    assert check_command("cp a b", narrow).rule == "write-outside"
    assert check_command("cat .git/config", narrow).allowed
