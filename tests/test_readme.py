"""The README's promises: its two commands, its console examples and its Python example."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
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
def test_console_examples_run(tmp_path, monkeypatch):
    """Every ``$`` line of the README's console blocks exits 0 and writes something. The first
    runs cold, through ``python -m kratom_nlp``, as a reader types it; the rest go through the
    same Typer app in this process (the pipeline is loaded once), a pipe from ``cat`` as stdin."""
    from typer.testing import CliRunner

    from kratom_nlp.cli import _register, app

    commands = [line[2:].replace("out/", f"{tmp_path}/") for b in _blocks("console")
                for line in b.splitlines() if line.startswith("$ ")]
    assert len(commands) >= 2

    cold = commands[0].replace("kratom-nlp", f"{shlex.quote(sys.executable)} -m kratom_nlp")
    res = subprocess.run(cold, shell=True, cwd=ROOT, capture_output=True, timeout=300)
    assert res.returncode == 0, (cold, res.stderr.decode()[-500:])
    assert res.stdout

    monkeypatch.chdir(ROOT)  # the README's paths are relative to the repository root
    _register()
    runner = CliRunner()
    for command in commands[1:]:
        stdin = None
        if "|" in command:
            producer, command = (part.strip() for part in command.split("|", 1))
            cat, path = shlex.split(producer)
            assert cat == "cat", producer
            stdin = (ROOT / path).read_bytes()
        argv = shlex.split(command, comments=True)
        assert argv[0] == "kratom-nlp", command
        before = sorted(Path(tmp_path).iterdir())
        result = runner.invoke(app, argv[1:], input=stdin, catch_exceptions=False)
        assert result.exit_code == 0, (command, result.output[-500:])
        assert result.stdout or sorted(Path(tmp_path).iterdir()) != before, command
