"""The bash and git policies on a table of commands: bypasses denied, everyday work allowed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_agent_harness.config import ExtraValidator, McpRestriction
from pytest_agent_harness.security.bash import BashPolicy, check_command
from pytest_agent_harness.security.commands import BASE_COMMANDS
from pytest_agent_harness.security.mcp import check_mcp
from pytest_agent_harness.security.validators import run_validators

PROJECT = Path("/tmp/agent-harness-policy-project")
POLICY = BashPolicy(
    allowed_commands=BASE_COMMANDS | {"git", "python3", "bash", "sh", "xargs", "find", "rm", "npm"},
    project_dir=PROJECT,
    protected=(PROJECT / ".agent-harness",),
)

# (command, expected rule; "" means allowed)
CASES = [
    # everyday work
    ("ls -la", ""), ("grep 'a|b' src/x.py", ""), ("grep -E \"foo|bar\" -r .", ""), ("echo $((1+1))", ""),
    ("for i in 1 2 3; do echo $i; done", ""), ("while false; do ls; done", ""), ("if test -f x; then cat x; else echo none; fi", ""),
    ("echo \"$HOME\"", ""), ("echo ${VAR:-default}", ""), ("X=1 python3 app.py", ""), ("export DEBUG=1", ""),
    ("true && echo ok || echo no", ""), ("cat x | sort | uniq -c | head", ""), ("python3 -m pytest -q tests", ""),
    ("echo hi > out.txt 2>&1", ""), ("ls > /dev/null 2>&1", ""), ("echo log >> logs/run.txt", ""), ("cd src && ls", ""),
    ("cat <<'EOF'\n$(rm -rf /)\nEOF", ""), ("cat <<EOF\nplain text\nEOF", ""), ("bash -c 'ls -la'", ""), ("sh -c \"echo hi\"", ""),
    ("timeout 30 python3 -m pytest", ""), ("env FOO=1 python3 x.py", ""), ("nice -n 5 ls", ""), ("xargs", ""),
    ("find . -name '*.py'", ""), ("find . -type f | xargs wc -l", ""), ("[[ $x == yes ]]", ""), ("[ -d src ]", ""),
    ("echo $(ls src)", ""), ("diff <(sort a) <(sort b)", ""), ("(cd src && ls)", ""), ("{ ls; pwd; }", ""),
    ("f() { ls; }; f", ""), ("! grep -q x file", ""), ("npm test", ""), ("rm build/out.o", ""), ("echo 'a;b' \"c&d\"", ""),
    ("git status", ""), ("git diff HEAD~1", ""), ("git log --oneline -5", ""), ("git add -A", ""),
    ("git commit -m 'feat: x'", ""), ("git commit -am wip", ""), ("git switch feature", ""), ("git checkout -b new-branch", ""),
    ("git checkout main", "git-destructive"), ("git stash", ""), ("git stash list", ""), ("git stash push -m x", ""), ("git tag v1", ""),
    ("git fetch origin", ""), ("git pull", ""), ("git push origin main", ""), ("git push -u origin feature", ""),
    ("git branch new", ""), ("git branch -d merged", ""), ("git -C src status", ""), ("git --no-pager log", ""),
    ("git config --get user.name", ""), ("git rev-parse HEAD", ""), ("git show HEAD:README", ""), ("git merge feature", ""),
    # separators and grouping
    ("ls\ncurl evil.example", "not-allowed"), ("ls & curl x", "not-allowed"), ("ls;curl x", "not-allowed"),
    ("ls';'curl x", "dynamic-name"), ("ls && curl x", "not-allowed"), ("ls || curl x", "not-allowed"), ("ls | curl x", "not-allowed"),
    ("(curl x)", "not-allowed"), ("{ curl x; }", "not-allowed"), ("! curl x", "not-allowed"), ("time curl x", "not-allowed"),
    ("if true; then curl x; fi", "not-allowed"), ("for i in 1; do curl x; done", "not-allowed"), ("while curl x; do ls; done", "not-allowed"),
    ("case x in x) curl y;; esac", "not-allowed"), ("f() { curl x; }", "not-allowed"), ("curl() { ls; }; curl", ""), ("local y=1", ""),
    # substitutions
    ("echo $(curl x)", "not-allowed"), ("echo `curl x`", "not-allowed"), ("X=$(curl x) ls", "not-allowed"), ("X=$(curl x)", "not-allowed"),
    ("diff <(curl a) b", "not-allowed"), ("cat > >(curl x)", "redirect-dynamic"), ("echo \"$(curl x)\"", "not-allowed"),
    ("cat <<EOF\n$(curl x)\nEOF", "not-allowed"), ("cat <<EOF\n`curl x`\nEOF", "heredoc-expands"), ("ls $(echo x; curl y)", "not-allowed"),
    ("[[ $(curl x) == y ]]", "not-allowed"), ("echo ${x:-$(curl y)}", "not-allowed"), ("a=(1 $(curl x))", "not-allowed"),
    # names that are not plain words
    ("$x foo", "dynamic-name"), ("${T:-touch} a", "dynamic-name"), ("$'\\x72m' x", "dynamic-name"), ("\\curl x", "dynamic-name"),
    ("c\\url x", "dynamic-name"), ("\"curl\" x", "dynamic-name"), ("'curl' x", "dynamic-name"), ("cu\"rl\" x", "dynamic-name"),
    ("$(echo curl) x", "dynamic-name"), ("`echo curl` x", "dynamic-name"), ("l* x", "dynamic-name"), ("/usr/bin/cur? x", "dynamic-name"),
    # never
    ("eval ls", "never"), ("exec ls", "never"), ("source x.sh", "never"), (". x.sh", "never"), ("command ls", "never"),
    ("builtin echo x", "never"), ("enable -n echo", "never"), ("trap 'curl x' EXIT", "never"), ("alias ls=curl", "never"),
    ("let x=1", "never"), ("declare -i x=1", "never"), ("typeset x", "never"), ("coproc ls", "never"), ("mapfile x", "never"),
    # expansions and arithmetic that run code
    ("echo ${x@P}", "expansion-code"), ("echo ${x@E}", "expansion-code"), ("echo ${!x}", "expansion-code"),
    ("x='a[$(id)]'; echo $((x))", "arithmetic-variable"), ("echo $((x + 1))", "arithmetic-variable"), ("echo $(( $x ))", "arithmetic-variable"),
    ("[[ $x -eq 1 ]]", "arithmetic-variable"), ("[[ a -lt $b ]]", "arithmetic-variable"), ("printf -v x %s y", "printf-v"),
    # wrappers and shells
    ("bash -c 'curl x'", "not-allowed"), ("sh -c \"ls; curl x\"", "not-allowed"), ("bash -c \"$CMD\"", "dynamic-args"),
    ("env curl x", "not-allowed"), ("env -i FOO=1 curl x", "not-allowed"), ("env -S 'curl x'", "env-split"), ("timeout 5 curl x", "not-allowed"),
    ("nice curl x", "not-allowed"), ("nohup curl x &", "not-allowed"), ("stdbuf -oL curl x", "not-allowed"), ("xargs curl", "not-allowed"),
    ("ls | xargs -I{} curl {}", "not-allowed"), ("xargs -n1 eval", "never"), ("timeout 5 $CMD", "dynamic-name"),
    ("bash -c 'bash -c \"curl x\"'", "not-allowed"), ("env eval ls", "never"),
    ("find . -exec rm {} \\;", "find-action"), ("find . -execdir curl x \\;", "find-action"), ("find . -delete", "find-action"),
    ("find . -ok rm {} \\;", "find-action"), ("find / -fprint /tmp/x", "find-action"),
    # redirections
    ("echo hi > /tmp/x", "redirect-outside"), ("echo hi >> ~/.bashrc", "redirect-outside"), ("echo x > ../outside", "redirect-outside"),
    ("echo x &> /etc/passwd", "redirect-outside"), ("echo x >| /tmp/y", "redirect-outside"), ("echo x > $FILE", "redirect-dynamic"),
    ("echo x > \"$(curl y)\"", "redirect-dynamic"), ("echo x > .agent-harness/config.toml", "redirect-outside"),
    ("cat <> /etc/hosts", "parse-error"), ("ls 2> /tmp/err", "redirect-outside"),
    # cd
    ("cd /etc", "cd-outside"), ("cd ..", "cd-outside"), ("cd ~", "cd-outside"), ("cd $DIR", "cd-outside"),
    # not allowed programs
    ("curl https://x", "not-allowed"), ("wget x", "not-allowed"), ("ssh host", "not-allowed"), ("sudo ls", "never"),
    ("/bin/ls", "not-allowed"), ("./init.sh", "not-allowed"), ("perl -e 1", "not-allowed"), ("node -e 1", "not-allowed"),
    # parse errors
    ("ls (", "parse-error"), ("echo 'unterminated", "parse-error"), ("if true; then ls", "parse-error"), ("ls &&", "parse-error"),
    # git
    ("git clean -fdx", "git-destructive"), ("git reset --hard", "git-destructive"), ("git reset --har", "git-destructive"),
    ("git reset --merge", "git-destructive"), ("git reset --keep HEAD~1", "git-destructive"), ("git checkout .", "git-destructive"),
    ("git checkout -- src/a.py", "git-destructive"), ("git checkout -f main", "git-destructive"), ("git checkout --forc main", "git-destructive"),
    ("git checkout HEAD src/a.py", "git-destructive"), ("git restore src/a.py", "git-destructive"), ("git restore --staged x", "git-destructive"),
    ("git switch -f main", "git-destructive"), ("git switch --discard-changes main", "git-destructive"), ("git switch --disc main", "git-destructive"),
    ("git stash drop", "git-destructive"), ("git stash clear", "git-destructive"), ("git branch -D feature", "git-destructive"),
    ("git branch --delete --force feature", "git-destructive"), ("git branch -df feature", "git-destructive"), ("git branch -M x", "git-destructive"),
    ("git push --force", "git-destructive"), ("git push -f origin main", "git-destructive"), ("git push -uf origin main", "git-destructive"),
    ("git push --force-with-lease", "git-destructive"), ("git push --forc", "git-destructive"), ("git push origin +main", "git-destructive"),
    ("git push origin +HEAD:main", "git-destructive"), ("git push --mirror", "git-destructive"), ("git push --delete origin x", "git-destructive"),
    ("git push origin :main", "git-destructive"), ("git push -d origin x", "git-destructive"), ("git push --prune", "git-destructive"),
    ("git rebase --exec 'curl x' main", "git-runs-programs"), ("git rebase -x make main", "git-destructive"), ("git rebase -i main", "git-destructive"),
    ("git bisect run make", "git-destructive"), ("git submodule foreach rm -rf .", "git-destructive"), ("git filter-branch", "git-destructive"),
    ("git reflog expire --all", "git-destructive"), ("git reflog delete HEAD@{1}", "git-destructive"), ("git update-ref -d refs/heads/x", "git-destructive"),
    ("git gc --prune=now", "git-destructive"), ("git config user.name x", "git-destructive"), ("git config --global core.pager cat", "git-destructive"),
    ("git remote add evil x", "git-destructive"), ("git remote set-url origin x", "git-destructive"), ("git commit --amend -m x", "git-destructive"),
    ("git difftool", "git-destructive"), ("git worktree remove --force w", "git-destructive"), ("git prune", "git-destructive"),
    ("git -c alias.st='!curl x' st", "git-config-override"), ("git -c core.pager='curl x' log", "git-config-override"),
    ("git -c core.sshCommand=x fetch", "git-config-override"), ("git -c core.hooksPath=/tmp commit", "git-config-override"),
    ("git --exec-path=/tmp status", "git-exec-path"), ("git fetch --upload-pack='curl x' origin", "git-runs-programs"),
    ("git push --receive-pack=x origin", "git-runs-programs"), ("git st", "git-unknown-subcommand"), ("git frobnicate", "git-unknown-subcommand"),
    ("git --bogus status", "git-unknown-option"),
    ("wc -l < input.txt", ""), ("grep -c x <<< 'text'", ""), ("sort -u names.txt > sorted.txt", ""), ("mkdir -p build/out", ""),
    ("touch src/__init__.py", ""), ("cp a.txt b.txt", ""), ("mv old.py new.py", ""), ("head -n 20 README.md | tail -5", ""),
    ("sleep 1; echo done", ""), ("echo a | tee out.log", ""), ("echo a | tee out.log build.log", ""),
    ("ls -R > /home/user/x", "redirect-outside"), ("echo $((2*3))", ""), ("git log --format=%H -1", ""),
    ("git diff --stat", ""), ("git blame src/a.py", ""), ("git ls-files", ""),
    ("echo x > build/../../outside", "redirect-outside"), ("echo x 1> /tmp/a", "redirect-outside"), ("git $SUB", "dynamic-args"),
    # shells: option clusters, unknown options, dynamic arguments
    ("bash -ec 'ls'", ""), ("bash -e -c 'ls'", ""), ("bash -o pipefail -c 'ls | wc'", ""), ("bash --norc -c ls", ""),
    ("bash -ec 'curl x'", "not-allowed"), ("sh -euc 'curl x'", "not-allowed"), ("bash -c -- 'curl x'", "not-allowed"),
    ("bash -x -c ls", "shell-option"), ("bash -o xtrace -c ls", "shell-option"), ("bash --rcfile x -c ls", "shell-option"),
    ("bash -i -c ls", "shell-option"), ("bash $ARGS", "dynamic-args"), ("bash -c", "dynamic-args"), ("bash script.sh", ""),
    ("bash -c \"echo \\`curl x\\`\"", "not-allowed"), ("sh -c '[[ a > b ]]'", "posix-test"), ("[[ a > b ]]", ""),
    # brace expansion makes several words of one
    ("bash {-c,'curl x'}", "dynamic-args"), ("env {X=1,curl} ls", "dynamic-args"), ("timeout {5,curl} ls", "dynamic-args"),
    ("{curl,x}", "parse-error"), ("ls {a,b}.txt", ""), ("echo {1..3}", ""),
    # wrapper options, each with or without its argument
    ("env -u FOO ls", ""), ("env -u ls curl x", "not-allowed"), ("env --unset=FOO ls", ""), ("env -C /tmp ls", "wrapper-option"),
    ("timeout -k 1 5 ls", ""), ("timeout -s KILL 5 curl x", "not-allowed"), ("timeout --signal=TERM 5 ls", ""), ("nice -5 ls", ""),
    ("nice -n 3 curl x", "not-allowed"), ("stdbuf -o L ls", ""), ("xargs -n 1 echo", ""), ("xargs -I{} cat {}", ""),
    ("xargs --process-slot-var ls curl", "not-allowed"), ("xargs --frobnicate ls", "wrapper-option"),
    ("echo curl | xargs env", "xargs-arguments"), ("echo curl | xargs nice", "xargs-arguments"), ("echo reset | xargs git", "xargs-arguments"),
    ("echo x | xargs bash -c", "xargs-arguments"), ("echo x | xargs -n1 timeout 5", "xargs-arguments"),
    # functions count from their top-level definition on, and only for direct calls
    ("f() { ls; }; f x", ""), ("function g { ls; }; g", ""), ("curl x; curl() { ls; }", "not-allowed"),
    ("( curl() { ls; } ); curl x", "not-allowed"), ("f() { curl() { ls; }; }; curl x", "not-allowed"),
    ("curl() { ls; }; env curl x", "not-allowed"), ("curl() { ls; }; bash -c 'curl x'", "not-allowed"),
    ("true && curl() { ls; }; curl", "not-allowed"), ("curl() { ls; }; unset -f curl; curl", "unset-function"),
    ("curl() { ls; }; unset curl; curl", "unset-function"), ("f() { f; }; f", "not-allowed"), ("unset FOO", ""),
    # heredocs with <<- are parsed as the shell parses them
    ("cat <<-EOF\n\t$(curl x)\n\tEOF", "not-allowed"), ("cat <<-EOF\n\tplain $HOME\n\tEOF", ""),
    ("cat <<-'EOF'\n\t$(curl x)\n\tEOF", ""),
    # redirections and cd that depend on the shell's state
    ("[ x > ../outside/w.txt ]", "test-redirect"), ("[ a = b ]", ""), ("echo x > ~-/w.txt", "redirect-outside"),
    ("echo x > ~/w.txt", "redirect-outside"), ("cd -", "cd-outside"), ("cd ~-", "cd-outside"), ("cd ~+", "cd-outside"),
    # variables that decide what runs
    ("PATH=/tmp/evil ls", "variable"), ("export PATH=/x", "variable"), ("export PS4", "variable"), ("PS4='$(curl x)'", "variable"),
    ("BASH_ENV=out.txt bash -c true", "variable"), ("CDPATH=/tmp cd src", "variable"), ("OLDPWD=/tmp", "variable"),
    ("HOME=. git log", "variable"), ("GIT_SSH_COMMAND=x git fetch", "variable"), ("LD_PRELOAD=x.so ls", "variable"),
    ("env PAGER=curl git log", "variable"), ("read PS4", "variable"), ("read -r line", ""), ("local X=1", ""),
    ("for PS4 in a; do true; done", "variable"), ("for i in a b; do echo $i; done", ""), ("X=1 Y=2 ls", ""),
    ("while IFS= read -r line; do echo $line; done < notes.txt", ""),
    # git: forced ref moves, files written over, programs behind abbreviations, config order
    ("git branch -f feature main", "git-destructive"), ("git branch --forc x", "git-destructive"), ("git tag -d v1", "git-destructive"),
    ("git tag -f v1", "git-destructive"), ("git tag --del v1", "git-destructive"), ("git rm -f a.py", "git-destructive"),
    ("git rm --cached a.py", ""), ("git mv -f a b", "git-destructive"), ("git mv a b", ""), ("git checkout -B feature", "git-destructive"),
    ("git worktree add -B feature wt", "git-destructive"), ("git worktree add wt", ""), ("git update-ref refs/heads/x HEAD", "git-destructive"),
    ("git rebase main", "git-destructive"), ("git pull --rebase", "git-destructive"), ("git pull --ff-only", ""),
    ("git fetch origin +main:feature", "git-destructive"), ("git fetch origin main:main", "git-destructive"), ("git fetch -p", "git-destructive"),
    ("git fetch --prune-tags", "git-destructive"), ("git fetch --all", ""), ("git fetch --upload-p=x", "git-runs-programs"),
    ("git push --recei=x", "git-runs-programs"), ("git fetch origin '--refmap=+refs/heads/*:refs/heads/*'", "git-runs-programs"),
    ("git grep -Ovim x", "git-runs-programs"), ("git grep --open-files-in=x y", "git-runs-programs"), ("git grep -n x", ""),
    ("git diff --output=a.py", "git-writes-files"), ("git log --output=x", "git-writes-files"), ("git archive -o a.zip HEAD", "git-writes-files"),
    ("git config remote.origin.url --get", "git-destructive"), ("git config --get-all remote.origin.fetch", ""),
    ("git config get user.name", ""), ("git config --list --show-origin", ""), ("git config --unset user.name", "git-destructive"),
    ("git init", ""), ("git init -b main", ""), ("git init --bare", "git-destructive"), ("git init --shared=all", "git-destructive"),
    ("git init --template=t", "git-destructive"), ("git --bare init", "git-unknown-option"), ("git reset HEAD~1", "git-destructive"),
    ("git reset --soft HEAD~2", "git-destructive"), ("git reset HEAD", ""), ("git reset -q", ""), ("git help log", "git-unknown-subcommand"),
    ("git switch -c new", ""), ("git checkout -b new main", ""), ("git submodule deinit -f x", "git-destructive"),
    # programs' own file arguments (tests/test_policy_writes.py has the full table)
    ("cp evil.toml .agent-harness/config.toml", "protected-path"), ("tee -a .agent-harness/x", "protected-path"),
    ("cp a /tmp/b", "write-outside"), ("touch $F", "write-unchecked"), ("cat .agent-harness/config.toml", ""),
    ("cd .agent-harness", "protected-path"), ("rm -rf .agent-harness", "protected-path"), ("rm -rf .", "protected-path"),
]  # fmt: skip


def test_the_corpus_is_large_and_unique() -> None:
    commands = [c for c, _ in CASES]
    assert len(commands) == len(set(commands)) >= 240


def test_reasons_name_the_command_and_the_fix() -> None:
    decision = check_command("curl https://x", POLICY)
    assert "'curl'" in decision.reason and "security.bash.allowed_commands" in decision.reason
    assert "git reset" in check_command("git reset --hard", POLICY).reason


def test_without_the_base_set_only_listed_commands_run() -> None:
    narrow = BashPolicy(allowed_commands=frozenset({"python3"}), project_dir=PROJECT)
    assert check_command("python3 x.py", narrow).allowed
    assert not check_command("ls", narrow).allowed


VALIDATED = BashPolicy(
    allowed_commands=BASE_COMMANDS | {"pkill", "chmod", "./init.sh"},
    project_dir=PROJECT,
    extra_check=lambda argv, policy: run_validators(
        argv,
        policy,
        {
            "pkill": ExtraValidator(allowed_targets=("node", "vite*")),
            "chmod": ExtraValidator(allowed_modes=("+x", "755")),
        },
    ),
)

VALIDATOR_CASES = [
    ("pkill node", ""), ("pkill -f vite-dev", ""), ("pkill -9 node", ""), ("pkill python", "pkill"),
    ("pkill -f 'node server.js'", "pkill"), ("pkill", "pkill"), ("pkill $NAME", "dynamic-args"),
    ("chmod +x init.sh", ""), ("chmod 755 scripts/run.sh", ""), ("chmod 777 x", "chmod"), ("chmod -R +x .", "chmod"),
    ("chmod +x /usr/bin/x", "chmod"), ("chmod +x ../x", "chmod"), ("chmod +x", "chmod"), ("chmod u+s x", "chmod"),
    ("./init.sh", ""), ("./init.sh --fast", ""), ("bash init.sh", "not-allowed"), ("src/init.sh", "not-allowed"),
    ("sh ./init.sh", "not-allowed"), ("./init.sh && pkill node", ""), ("./init.sh; pkill sshd", "pkill"),
    ("timeout 5 pkill java", "pkill"), ("env chmod 777 x", "chmod"),
    ("chmod --recursive +x .", "chmod"), ("pkill -f node && chmod +x a", ""),
    ("ls | pkill -f ssh", "pkill"), ("echo $(chmod 777 a)", "chmod"),
    ("kill -9 1", "not-allowed"), ("killall node", "not-allowed"), ("chown root x", "not-allowed"),
    ("nohup ./init.sh &", ""), ("xargs chmod 777", "not-allowed"), ("pkill -u root node", "pkill"),
    ("rm -rf /", "not-allowed"), ("dd if=/dev/zero of=x", "not-allowed"), ("mkfs.ext4 /dev/sda", "not-allowed"),
    ("shutdown now", "not-allowed"), ("reboot", "not-allowed"), ("crontab -e", "not-allowed"),
    ("nc -l 4444", "not-allowed"), ("scp x host:", "not-allowed"), ("chmod 755 init.sh && ./init.sh", ""),
    ("pkill vite", ""), ("pkill vite-server", ""), ("chmod +x ./scripts/a.sh", ""),
]  # fmt: skip


ALL_CASES = [(c, r, POLICY) for c, r in CASES] + [(c, r, VALIDATED) for c, r in VALIDATOR_CASES]


@pytest.mark.parametrize(("command", "rule", "policy"), ALL_CASES, ids=[c for c, _, _ in ALL_CASES])
def test_policy(command: str, rule: str, policy: BashPolicy) -> None:
    decision = check_command(command, policy)
    assert decision.allowed is (rule == ""), decision
    assert decision.rule == rule, decision


def test_corpus_total_is_at_least_300() -> None:
    assert len(CASES) + len(VALIDATOR_CASES) >= 300


def test_git_checkout_names_only_a_branch_the_repository_has(tmp_path: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    (tmp_path / ".git" / "refs" / "heads" / "main").write_text("0" * 40 + "\n")
    (tmp_path / ".git" / "packed-refs").write_text(f"{'1' * 40} refs/heads/packed\n")
    (tmp_path / "notes.txt").write_text("uncommitted work\n")
    policy = BashPolicy(allowed_commands=frozenset({"git"}), project_dir=tmp_path)
    verdicts = {
        command: check_command(command, policy).allowed
        for command in ("git checkout main", "git checkout packed", "git checkout -",
                        "git checkout notes.txt", "git checkout nosuch", "git -C . checkout main",
                        "git checkout ../main", "git checkout -b new main")
    }  # fmt: skip
    assert verdicts == {
        "git checkout main": True, "git checkout packed": True, "git checkout -": True,
        "git checkout notes.txt": False, "git checkout nosuch": False,
        "git -C . checkout main": False, "git checkout ../main": False,
        "git checkout -b new main": True,
    }  # fmt: skip


def _restriction(*patterns: str) -> dict[str, McpRestriction]:
    compiled = tuple(re.compile(p) for p in patterns)
    return {"mcp__web__*": McpRestriction(blocked_patterns=compiled, allowed_args=("url",))}


# (url, blocked by "file:///" or "^file:///etc"); every spelling of a local file URL is one
MCP_CASES = [
    ("file:///etc/passwd", True), ("file:/etc/passwd", True), ("FILE://localhost/etc/passwd", True),
    ("File:///etc/passwd", True), ("file://LOCALHOST/etc/passwd", True), ("file:etc/passwd", True),
    (" file:///etc/passwd", True), ("fi\tle:///etc/passwd", True), ("file:\\\\\\etc\\passwd", True),
    ("view-source:file:/etc/passwd", True), ("FILE:/ETC/passwd", True),
    ("https://example.com/file:/x", True), ("https://example.com/", False), ("http://localhost:3000", False),
    ("https://example.com/profile", False),
]  # fmt: skip


@pytest.mark.parametrize(("url", "blocked"), MCP_CASES, ids=[u for u, _ in MCP_CASES])
def test_mcp_blocked_patterns_see_normalised_urls(url: str, blocked: bool) -> None:
    url = url.replace("\\t", "\t")
    for pattern in ("file:///", "^file:///etc"):
        restrictions = _restriction(pattern)
        reason = check_mcp(restrictions, "mcp__web__navigate", {"url": url})
        expected = blocked and (pattern == "file:///" or not url.startswith(("https", "view")))
        assert (reason is not None) is expected, (pattern, url, reason)


def test_mcp_patterns_match_case_insensitively_and_keep_allowed_args() -> None:
    restrictions = _restriction("chrome://", "javascript:")
    assert check_mcp(restrictions, "mcp__web__go", {"url": "CHROME://settings"})
    assert check_mcp(restrictions, "mcp__web__go", {"url": "JavaScript:alert(1)"})
    assert check_mcp(restrictions, "mcp__web__go", {"url": "https://x", "script": "1"})
    assert check_mcp(restrictions, "mcp__web__go", {"url": "https://x"}) is None
    assert check_mcp(restrictions, "mcp__other__go", {"url": "chrome://x"}) is None
