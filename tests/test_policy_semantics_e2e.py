"""The argument-semantics attacks through the real CLI, sandbox off: none of them runs a program.

Each command below ran ``mkmarker`` (a program on PATH that is not allowed) or a planted
``ls`` before the policy read builtins' arguments, expansions' subscripts and read
redirections; now each is denied and the marker directory stays empty, no socket is opened,
and the harmless ``cd`` sequence that used to be denied runs.
"""

from __future__ import annotations

import os
import socket
import threading
from pathlib import Path

import pytest
from test_security_e2e import all_results, bash_session

from pytest_agent_harness.cli import main

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DENIED = [
    "jobs -x mkmarker {m}/jobs",
    "yes 'mkmarker {m}/sort' | head -n 20000 | sort -S 1K --compress-program=sh > /dev/null",
    "yes 'mkmarker {m}/sort-co' | head -n 20000 | sort -S 1K --co=sh > /dev/null",
    "yes 'mkmarker {m}/sort-prog' | head -n 20000 | sort -S 1K --compress-prog=sh > /dev/null",
    "[ -v 'a[$(mkmarker {m}/test-v)]' ]",
    "[[ -v 'a[$(mkmarker {m}/dtest-v)]' ]]",
    "echo x | read 'a[$(mkmarker {m}/read)]'",
    "sleep 0 & wait -n -p 'a[$(mkmarker {m}/wait)]'",
    "f() { local 'a[$(mkmarker {m}/local)]=1'; }; f",
    "f() { local -n r='a[$(mkmarker {m}/nameref)]'; echo $r; }; f",
    "a=(1); unset 'a[$(mkmarker {m}/unset)]'",
    "x='a[$(mkmarker {m}/subscript)]'; b=(1); echo ${b[x]}",
    "x='a[$(mkmarker {m}/offset)]'; b=(1); echo ${b:x}",
    "x='a[$(mkmarker {m}/length)]'; b=(1); echo ${#b[x]}",
    "x='a[$(mkmarker {m}/slice)]'; b=(1); echo ${b[@]:x}",
    'printf -vPATH %s "$PWD/planted"; ls',
    "export 'PATH=planted'; ls",
    "f() { local 'PATH=planted'; ls; }; f",
    "unset PATH; cd planted && ls",
    "cat < /dev/tcp/127.0.0.1/{port}",
    "echo x > /dev/tcp/127.0.0.1/{port}",
    "cat 0< /dev/tcp/127.0.0.1/{port}",
    "echo x > /dev/udp/127.0.0.1/{port}",
]


def _listener() -> tuple[socket.socket, list[object]]:
    """A local TCP server that records every connection it accepts."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    seen: list[object] = []

    def accept() -> None:
        while server.fileno() != -1:
            try:
                seen.append(server.accept())
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    return server, seen


def test_semantic_attacks_never_run_and_the_cd_sequence_does(
    make_project, scripted_model, use_model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "mkmarker").write_text('#!/bin/sh\ntouch "$1"\n')
    (bin_dir / "mkmarker").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    project = make_project({"max_iterations": 1, "tracking": {"type": "none"}})
    planted = project / "planted" / "ls"  # what an allowed name would find on a changed PATH
    planted.parent.mkdir()
    planted.write_text(f'#!/bin/sh\ntouch "{markers}/planted-ls"\n')
    planted.chmod(0o755)
    server, connections = _listener()
    port = server.getsockname()[1]
    denied = [c.replace("{m}", str(markers)).replace("{port}", str(port)) for c in DENIED]
    allowed = ["mkdir -p sub && cd sub && echo ok > ../x && cd ..", "cd sub && touch ../y"]
    model = use_model(scripted_model(bash_session([*denied, *allowed])))
    try:
        assert main(["run", "--project-dir", str(project)]) == 1
    finally:
        server.close()

    assert list(markers.iterdir()) == []
    assert connections == []
    assert (project / "x").read_text() == "ok\n"
    assert (project / "y").exists()
    results = all_results(model)
    assert [r["is_error"] for r in results] == [True] * len(denied) + [False] * len(allowed), [
        (r["is_error"], r["content"][:80]) for r in results
    ]
