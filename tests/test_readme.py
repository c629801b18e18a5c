"""The README's promises: its two commands, its console examples and its Python example."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", README, flags=re.S)


def test_two_commands_and_ci_runs_the_test_command():
    bash = _blocks("bash")
    assert len(bash) == 2, "the README gives exactly two commands"
    install, test = (b.strip() for b in bash)
    assert "kratom-nlp analyze corpora/examples/" in install
    assert (ROOT / install.split("kratom-nlp analyze ")[1].split()[0]).exists()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci.splitlines()
    assert "-c constraints.txt" in install and "-c constraints.txt" in ci


def test_python_example_runs(capsys):
    for block in _blocks("python"):
        exec(compile(block, "README.md", "exec"), {})
    assert capsys.readouterr().out.strip()


@pytest.mark.slow
def test_console_examples_run(tmp_path):
    commands = [line[2:] for b in _blocks("console") for line in b.splitlines()
                if line.startswith("$ ")]
    assert commands

    def run(command: str) -> tuple[str, subprocess.CompletedProcess[bytes]]:
        command = command.replace("out/", f"{tmp_path}/")
        command = command.replace("kratom-nlp", f"{shlex.quote(sys.executable)} -m kratom_nlp")
        return command, subprocess.run(command, shell=True, cwd=ROOT, capture_output=True,
                                       timeout=300)

    # Each command is a cold start, mostly single-threaded imports: two at a time on two cores.
    with ThreadPoolExecutor(max_workers=2) as pool:
        for command, res in pool.map(run, commands):
            assert res.returncode == 0, (command, res.stderr.decode()[-500:])
            assert res.stdout or list(Path(tmp_path).iterdir())
