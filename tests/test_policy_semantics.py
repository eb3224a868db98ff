"""What the base commands and builtins do with their arguments, as the bash policy reads them.

Each attack in the first rows ran a program that was not allowed, with only the base commands
allowed: an option that runs a command (``jobs -x``, ``sort --compress-program``), a variable
name bash evaluates (``read 'a[$(cmd)]'``), arithmetic hidden in an expansion (``${b[x]}``),
a variable set through a quoted word (``export 'PATH=DIR'``), a socket opened by a read
redirection. The neighbours beside them stay allowed, and relative paths are judged from the
directory a ``cd`` moved to.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_agent_harness.security.bash import BashPolicy, check_command
from pytest_agent_harness.security.commands import BASE_COMMANDS
from pytest_agent_harness.security.paths import resolve

EXTRA = {"./init.sh", "bash", "getopts", "pushd", "popd", "time"}
BENIGN_ALLOWED = BASE_COMMANDS | {"python3", "pytest", "npm", "node", "git", "make"}
BENIGN = Path(__file__).parent / "data" / "benign_commands.json"


@pytest.fixture(scope="module")
def policy(tmp_path_factory: pytest.TempPathFactory) -> BashPolicy:
    """A project as ``security/guards.py`` protects it, with a link into .git under src."""
    project = tmp_path_factory.mktemp("semantics") / "project"
    for directory in (".agent-harness", ".git/hooks", "src/deep", "sub"):
        (project / directory).mkdir(parents=True, exist_ok=True)
    (project / ".git" / "config").write_text("[core]\n")
    (project / "src" / "link-to-git").symlink_to(project / ".git")
    (project / "src" / "up").symlink_to(project / "src" / "deep")
    protected = (project / ".agent-harness", project / ".git")
    return BashPolicy(
        allowed_commands=BASE_COMMANDS | EXTRA,
        project_dir=project,
        protected=tuple(resolve(str(p), project) for p in protected),
    )


# (command, expected rule; "" means allowed)
CASES = [
    # jobs -x runs its arguments; jobs has no other dangerous option, but unknown ones are denied
    ("jobs -x ls", "builtin-option"), ("jobs -lx ls", "builtin-option"), ("jobs -l -x ls", "builtin-option"),
    ("jobs -xl ls", "builtin-option"), ("env jobs -x ls", "builtin-option"), ("timeout 5 jobs -x ls", "builtin-option"),
    ("jobs -q", "builtin-option"), ("jobs --x", "builtin-option"), ("jobs $OPT ls", "dynamic-args"),
    ("jobs", ""), ("jobs -l", ""), ("jobs -p", ""), ("jobs -rs", ""), ("jobs %1", ""), ("jobs -- -x", ""),
    # sort --compress-program in every spelling GNU getopt accepts
    ("sort -S 1K --compress-program=sh in.txt", "write-runs-program"), ("sort --compress-program sh in.txt", "write-runs-program"),
    ("sort --co=sh in.txt", "write-runs-program"), ("sort --compress-prog=sh in.txt", "write-runs-program"),
    ("sort --compr sh in.txt", "write-runs-program"), ("sort -S1K --comp=sh", "write-runs-program"),
    ("env sort --co=sh x", "write-runs-program"), ("sort --c=sh x", "write-unchecked"), ("sort $X in", "write-unchecked"),
    ("sort -S 1K in.txt", ""), ("sort --check in.txt", ""), ("sort -c in.txt", ""), ("sort -u -k 2 in.txt", ""),
    # names are code: any name with [ is denied, for every builtin that takes one
    ("[ -v 'a[$(ls)]' ]", "variable-name"), ("[ -v \"a[1]\" ]", "variable-name"), ("[ -v a[1] ]", "parse-error"),
    ("[ -R 'a[$(ls)]' ]", "variable-name"), ("[ ! -v 'a[0]' ]", "variable-name"), ("[ -n x -a -v 'a[0]' ]", "variable-name"),
    ("[ -v \"$name\" ]", "variable-name"), ("test -v 'a[$(ls)]'", "variable-name"), ("test -v \"$n\"", "variable-name"),
    ("[[ -v 'a[$(ls)]' ]]", "variable-name"), ("[[ -v $x ]]", "variable-name"), ("[[ -v \"$x\" ]]", "variable-name"),
    ("[[ -R 'r[0]' ]]", "variable-name"), ("[[ x && -v 'a[1]' ]]", "variable-name"),
    ("read 'a[$(ls)]'", "variable-name"), ("read -r x 'a[0]'", "variable-name"), ("read -a 'a[0]'", "variable-name"),
    ("read -ra'a[0]'", "variable-name"), ("read \"$var\"", "dynamic-args"), ("read -r -- \"$var\"", "variable-name"),
    ("read -a \"$n\"", "variable-name"), ("read -z x", "builtin-option"), ("read PATH", "variable"), ("read -a LD_X", "variable"),
    ("wait -n -p 'a[$(ls)]'", "variable-name"), ("wait -p'a[0]'", "variable-name"), ("wait -np 'a[0]' 1", "variable-name"),
    ("wait -p PATH", "variable"), ("wait -p \"$v\"", "variable-name"), ("wait -x", "builtin-option"),
    ("local 'a[$(ls)]=1'", "variable-name"), ("local 'a[0]'", "variable-name"), ("local \"a[$i]=1\"", "dynamic-args"),
    ("local -n r='a[$(ls)]'", "builtin-option"), ("local -n r=x", "builtin-option"), ("local -rn r=x", "builtin-option"),
    ("local +n r", "builtin-option"), ("local -i n=1", "builtin-option"), ("local -ai n", "builtin-option"),
    ("local -z x", "builtin-option"), ("local \"$x\"", "dynamic-args"), ("local x \"$y\"", "variable-name"),
    ("unset 'a[$(ls)]'", "variable-name"), ("unset -v 'a[0]'", "variable-name"), ("unset x 'a[0]'", "variable-name"),
    ("unset \"$x\"", "dynamic-args"), ("unset -v \"$x\"", "dynamic-args"), ("unset PATH", "variable"), ("unset -v LD_PRELOAD", "variable"),
    ("unset -f g", "unset-function"), ("env unset 'a[0]'", "variable-name"),
    ("export 'a[0]=1'", "variable-name"), ("export \"$x\"", "dynamic-args"), ("export -z X", "builtin-option"),
    ("getopts ab 'a[$(ls)]'", "variable-name"), ("getopts ab PATH", "variable"), ("getopts ab \"$n\"", "variable-name"),
    ("printf -v x %s y", "printf-v"), ("printf -vPATH %s dir", "printf-v"), ("printf -v'a[0]' %s y", "printf-v"),
    ("printf -- -v", ""), ("printf \"$fmt\" x", "dynamic-args"), ("printf '%s' -v", ""), ("env printf -vx y", "printf-v"),
    ("declare -n r=x", "never"), ("typeset x", "never"), ("readarray -C cb a", "never"),
    # names that decide what runs, however they are quoted
    ("export 'PATH=/tmp/x'", "variable"), ("export \"PATH=/tmp/x\"", "variable"), ("export PATH=\"$x\"", "variable"),
    ("export \"PATH=$x\"", "variable"), ("export 'LD_PRELOAD=x.so'", "variable"), ("export 'GIT_DIR=x'", "variable"),
    ("export 'BASH_ENV=x'", "variable"), ("export 'PATH'+=:/tmp", "variable"), ("export -n PATH", "variable"),
    ("local 'PATH=/tmp/x'", "variable"), ("local \"HOME=$x\"", "variable"), ("local PATH", "variable"),
    ("f() { local 'PATH=.'; }", "variable"), ("export 'FOO=1'", ""), ("export \"FOO=$x\"", ""), ("local 'x=1' y=2", ""),
    ("export FOO BAR=1", ""), ("local -", ""), ("local -r x=1", ""), ("local -a arr", ""), ("export -p", ""),
    ("export -f f", ""), ("local x=$1", ""), ("unset -v x y", ""), ("unset x", ""), ("read -r -p 'name? ' n", ""),
    ("read -r a b c", ""), ("read -t 5 -n 1 k", ""), ("read -a arr", ""), ("read", ""), ("wait", ""), ("wait -n", ""),
    ("wait -p pid -n", ""), ("wait %1", ""), ("getopts ab opt", ""), ("[ -v x ]", ""), ("[[ -v x ]]", ""), ("test -v x", ""),
    # arithmetic hidden in expansions: subscripts, offsets and lengths must be literal
    ("x='a[$(ls)]'; echo ${b[x]}", "expansion-index"), ("echo ${b:x}", "expansion-index"), ("echo ${#b[x]}", "expansion-index"),
    ("echo ${b[@]:x}", "expansion-index"), ("echo ${b[@]:1:x}", "expansion-index"), ("echo \"${b[$i]}\"", "expansion-index"),
    ("echo ${b[i+1]}", "expansion-index"), ("echo ${b: n}", "expansion-index"), ("echo ${b:(n)}", "expansion-index"),
    ("echo ${b[${c}]}", "expansion-index"), ("echo \"${b[x]:-d}\"", "expansion-index"), ("echo ${m[key]}", "expansion-index"),
    ("a[x]=1", "expansion-index"), ("a[$i]=1", "expansion-index"), ("local a[x]=1", "variable-name"),
    ("a=([x]=1)", "expansion-index"), ("a=([0]=1 [i]=2)", "expansion-index"), ("a+=([n]=1)", "expansion-index"),
    ("echo ${x:$n}", "parse-error"), ("echo ${x@P}", "expansion-code"), ("echo ${a[@]@Q}", "expansion-code"),
    ("echo ${b[0]}", ""), ("echo ${b[-1]}", ""), ("echo \"${b[@]}\"", ""), ("echo ${b[*]}", ""), ("echo ${#b[@]}", ""),
    ("echo ${#b[0]}", ""), ("echo ${b:1}", ""), ("echo ${b:1:2}", ""), ("echo ${b: -1}", ""), ("echo ${b:(-2):1}", ""),
    ("echo ${b[@]:1:2}", ""), ("echo ${@:2}", ""), ("echo ${x:-a:b}", ""), ("echo ${x:-a@b}", ""), ("echo ${x#*:}", ""),
    ("echo ${x%%.*}", ""), ("echo ${x/a/b}", ""), ("echo ${#x}", ""), ("echo ${#}", ""), ("a[0]=1", ""),
    ("a=(1 2 3)", ""), ("a=([0]=x [1]=y)", ""), ("echo ${x^^}", ""), ("echo ${x:=d}", ""),
    # [ and test split their words: an unquoted expansion may become -v
    ("[ -f $f ]", "test-unquoted"), ("[ $x ]", "test-unquoted"), ("[ $a = $b ]", "test-unquoted"), ("test -n $x", "test-unquoted"),
    ("[ -z ${x} ]", "test-unquoted"), ("[ -f src/$f ]", "test-unquoted"), ("[ -f \"$f\" ]", ""), ("[ \"$a\" = \"$b\" ]", ""),
    ("[ -z \"$x\" -o -n \"$y\" ]", ""), ("test -n \"$x\"", ""), ("[[ -f $f ]]", ""), ("[[ $a == $b ]]", ""),
    # sockets, read or write, literal or possibly
    ("cat < /dev/tcp/example.com/80", "redirect-network"), ("cat 3< /dev/udp/1.2.3.4/53", "redirect-network"),
    ("echo x > /dev/tcp/h/1", "redirect-network"), ("echo x >> /dev/udp/h/1", "redirect-network"),
    ("ls 2> /dev/tcp/h/1", "redirect-network"), ("cat < '/dev/tcp/h/1'", "redirect-network"),
    ("cat < \"/dev/tcp/$h/1\"", "redirect-network"), ("cat < \"$f\"", "redirect-network"), ("cat < $f", "redirect-network"),
    ("cat < \"/dev/$p\"", "redirect-network"), ("cat < /dev/tcp/\"$h\"/80", "redirect-network"),
    ("while read -r l; do echo \"$l\"; done < \"$f\"", "redirect-network"), ("echo x &> /dev/tcp/h/1", "redirect-network"),
    ("cat < ./\"$f\"", ""), ("cat < \"src/$f\"", ""), ("cat < in.txt", ""), ("cat < /dev/null", ""), ("cat < <(ls)", ""),
    ("wc -l < /etc/hostname", ""), ("cat /dev/tcp/h/1", ""),
    # cd moves where relative paths land, in sequence
    ("mkdir -p sub && cd sub && echo ok > ../x && cd ..", ""), ("cd sub && echo x > ../x", ""), ("cd sub && touch ../y", ""),
    ("cd sub && cp a ../b", ""), ("cd src/deep && echo x > ../../z", ""), ("cd sub && cd .. && echo x > y", ""),
    ("cd sub && echo x > ../../outside", "redirect-outside"), ("cd sub && touch ../../outside", "write-outside"),
    ("cd sub; echo x > ../x", "redirect-outside"), ("cd sub || echo x > ../x", "redirect-outside"),
    ("(cd sub && echo x > ../x); echo y > ../y", "redirect-outside"), ("cd sub | cat; echo x > ../x", "redirect-outside"),
    ("cd sub & echo x > ../x", "redirect-outside"), ("echo $(cd sub); echo x > ../x", "redirect-outside"),
    ("{ cd sub; } > /dev/null; echo x > ../../x", "redirect-outside"), ("{ cd sub; } > ../x", "redirect-outside"),
    ("cd sub > ../x", "redirect-outside"), ("cd .git", "protected-path"), ("cd sub && cd ../.git", "protected-path"),
    ("cd src && cd link-to-git", "protected-path"), ("cd src && cp x link-to-git/config", "protected-path"),
    ("cd src && echo x > link-to-git/config", "redirect-outside"), ("cd src && touch link-to-git/x", "protected-path"),
    ("cd src && cd up/..", ""), ("cd src && cd up/../.. && echo x > y", ""), ("cd src/up && cd ../../.. ", "cd-outside"),
    ("cd sub && cd ../..", "cd-outside"), ("cd sub && cd $D", "cd-outside"), ("cd sub && ./init.sh", "cwd-program"),
    ("cd sub && cd .. && ./init.sh", ""), ("./init.sh", ""), ("(cd sub && ls) && ./init.sh", ""),
    ("cd sub; ./init.sh", "cwd-program"), ("f() { cd sub; }; f; echo x > ../x", "redirect-outside"),
    ("f() { cd sub; }; f && echo x > y", ""), ("f() { echo x > y; }; cd sub && f", ""),
    ("f() { echo x > link-to-git/config; }; cd src && f", "redirect-outside"), ("f() { cd sub; }; cd src && f && echo x > y", ""),
    ("while true; do cd sub; done; echo x > y", "cwd-unknown"), ("for i in 1 2; do cd sub; done && touch x", "cwd-unknown"),
    ("for i in 1 2; do echo x > out.txt; done", ""), ("if true; then cd sub; fi; echo x > ../x", "redirect-outside"),
    ("if cd sub; then echo x > y; fi", ""), ("! cd sub || echo x > ../x", ""), ("pushd sub && echo x > ../x", ""),
    ("pushd sub && popd && echo x > y", "cwd-unknown"), ("pushd sub && popd && echo x > /dev/null", ""),
    ("time cd sub && echo x > ../x", ""), ("time -p cd sub && echo x > ../../x", "redirect-outside"),
    ("cd sub && bash -c 'echo x > ../x'", ""), ("cd sub && bash -c 'echo x > ../../x'", "redirect-outside"),
    ("bash -c 'cd sub && echo x > ../x'", ""), ("bash -c 'cd sub'; echo x > ../x", "redirect-outside"),
    ("cd sub && cat <<EOF > ../notes.txt\nhi\nEOF", ""), ("cd sub && ls | tee ../list.txt", ""),
    ("cd sub && mkdir -p ../build && cd ../build && touch out.o", ""),
]  # fmt: skip


@pytest.mark.parametrize(("command", "rule"), CASES, ids=[c for c, _ in CASES])
def test_semantics(policy: BashPolicy, command: str, rule: str) -> None:
    decision = check_command(command, policy)
    assert decision.allowed is (rule == ""), decision
    assert decision.rule == rule, decision
    assert decision.allowed or decision.reason


def test_the_corpus_is_large_and_unique() -> None:
    commands = [c for c, _ in CASES]
    assert len(commands) == len(set(commands)) >= 150
    assert sum(r == "" for _, r in CASES) >= 60


def test_reasons_say_what_to_do_instead(policy: BashPolicy) -> None:
    assert "literal index" in check_command("echo ${b[x]}", policy).reason
    assert "quote it" in check_command("[ -f $f ]", policy).reason
    assert "run the command directly" in check_command("jobs -x ls", policy).reason
    assert "project root" in check_command("cd sub && ./init.sh", policy).reason
    assert "network" in check_command("cat < /dev/tcp/h/1", policy).reason


def test_everyday_commands_are_allowed(tmp_path: Path) -> None:
    """The benign corpus, with a generous allowlist: no false denials."""
    commands = json.loads(BENIGN.read_text())
    assert len(commands) >= 100
    policy = BashPolicy(
        allowed_commands=BENIGN_ALLOWED, project_dir=tmp_path, protected=(tmp_path / ".git",)
    )
    denied = [(c, d.rule) for c in commands if not (d := check_command(c, policy)).allowed]
    assert denied == []


def test_every_spelling_of_a_program_running_option_is_denied(policy: BashPolicy) -> None:
    from pytest_agent_harness.security.builtins import BUILTINS
    from pytest_agent_harness.security.options import spellings
    from pytest_agent_harness.security.writers import SORT

    for spelling in spellings(SORT, "--compress-program"):
        assert check_command(f"sort {spelling}=sh in.txt", policy).rule == "write-runs-program"
    for name, builtin in BUILTINS.items():
        for option in builtin.denied:
            for spelling in spellings(builtin.options, option):
                assert not check_command(f"{name} {spelling} x", policy).allowed, (name, spelling)


# A declaration parses an array's value again: a quoted or expanded "(...)" runs its $(...)
# (found by attacking the policy end to end; bash 5.2 ran the command in each of these).
ARRAY_REPARSE = [
    ("""f(){ local -a 'b=($(mkmarker x))'; }; f""", False),
    ("local -a b='($(mkmarker x))'", False),
    ("local -a 'b=(`mkmarker x`)'", False),
    ("local 'b=([$(mkmarker x)]=1)'", False),
    ("f(){ local -a b=$x; }; f", False),
    ('f(){ local -a "b=$x"; }; f', False),
    ("f(){ local -a b; local b=$x; }; f", False),
    ('f(){ b=(1); local b="$y"; }; f', False),
    ("f(){ local -a b=(1 2); }; f", True),
    ("f(){ local b=$x; }; f", True),
    ('f(){ local x="$HOME"; }; f', True),
    ("b=(1); b=$x", True),
]


@pytest.mark.parametrize(("command", "allowed"), ARRAY_REPARSE)
def test_array_declarations_never_parse_a_value_again(command: str, allowed: bool) -> None:
    from pytest_agent_harness.security.bash import BashPolicy, check_command
    from pytest_agent_harness.security.commands import BASE_COMMANDS

    policy = BashPolicy(allowed_commands=BASE_COMMANDS, project_dir=Path("/tmp/project"))
    assert check_command(command, policy).allowed is allowed, command
