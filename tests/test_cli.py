"""The ``kratom-nlp analyze`` command: formats, stdin, and every kind of bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES

ARTICLE = FIXTURES / "articles" / "evidence_levels.txt"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kratom_nlp", *args], input=stdin,
                          capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def runner():
    from typer.testing import CliRunner

    from kratom_nlp.cli import _register, app

    _register()
    return lambda *a, **kw: CliRunner().invoke(app, list(a), catch_exceptions=False, **kw)


def test_json_output_is_the_contract(runner, tmp_path):
    out = tmp_path / "a.json"
    res = runner("analyze", str(ARTICLE), "--format", "json", "-o", str(out))
    assert res.exit_code == 0
    analysis = json.loads(out.read_text("utf-8"))
    from kratom_nlp.outputs.contract import validate_analysis

    validate_analysis(analysis)
    assert analysis["text"] == ARTICLE.read_text("utf-8")  # offsets index the file as read
    assert analysis["summary"]["claims"] == len(analysis["claims"]) > 0


def test_text_html_claimreview_outputs(runner, tmp_path):
    text = runner("analyze", str(ARTICLE), "--format", "text")
    assert text.exit_code == 0 and "preclinical" in text.output
    html_path = tmp_path / "r.html"
    assert runner("analyze", str(ARTICLE), "-f", "html", "-o", str(html_path)).exit_code == 0
    page = html_path.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") or page.lower().startswith("<!doctype html>")
    assert page.count("<mark") >= 5
    cr = runner("analyze", str(ARTICLE), "-f", "claimreview", "--url", "https://example.org/a")
    items = json.loads(cr.output)
    assert items and all(i["@type"] == "ClaimReview" for i in items)
    assert all(i["reviewRating"]["alternateName"] for i in items)


def test_stdin(runner):
    res = runner("analyze", "-", "-f", "json",
                 input="Moonleaf Tea\nMoonleaf cures anxiety. Moonleaf is popular. "
                       "Moonleaf works.\n")
    analysis = json.loads(res.output)
    assert analysis["source"] == "<stdin>"
    assert any(c["overclaim"]["flag"] for c in analysis["claims"])


def test_html_input_drops_scripts(runner):
    res = runner("analyze", str(FIXTURES / "articles" / "script_injection.html"), "-f", "json")
    analysis = json.loads(res.output)
    assert "document.title" not in analysis["text"]
    assert "Menu" not in analysis["text"]
    assert any(c["evidence"]["level"] == "regulatory" for c in analysis["claims"])


def _bad_inputs(tmp: Path) -> dict[str, tuple[list[str], int]]:
    (tmp / "empty.txt").write_text("")
    (tmp / "binary.txt").write_bytes(b"\x00\x01\x02 not text \x00" * 50)
    (tmp / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me reduces stress.".encode("latin-1"))
    big = tmp / "big.txt"
    with big.open("wb") as fh:
        fh.write(b"Kratom. ")
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB without writing them
    (tmp / "doc.pdf").write_bytes(b"%PDF-1.4")
    return {
        "missing": ([str(tmp / "nope.txt")], 10),
        "directory": ([str(tmp)], 11),
        "empty": ([str(tmp / "empty.txt")], 12),
        "binary": ([str(tmp / "binary.txt")], 13),
        "encoding": ([str(tmp / "latin1.txt")], 14),
        "too large": ([str(big)], 15),
        "unsupported": ([str(tmp / "doc.pdf")], 16),
    }


def test_bad_inputs_have_distinct_exit_codes_and_no_traceback(tmp_path):
    cases = _bad_inputs(tmp_path)
    codes = set()
    for name, (args, code) in cases.items():
        res = run("analyze", *args)
        err = res.stderr.decode("utf-8", "replace")
        assert res.returncode == code, (name, res.returncode, err)
        assert "Traceback" not in err and err.startswith("error: "), name
        assert len(err.strip().splitlines()) == 1, name  # one clear line
        codes.add(res.returncode)
    assert len(codes) == len(cases)


def test_latin1_with_encoding_option(runner, tmp_path):
    cases = _bad_inputs(tmp_path)
    path = cases["encoding"][0][0]
    res = runner("analyze", path, "--encoding", "latin-1", "-f", "json")
    assert res.exit_code == 0 and "Café" in json.loads(res.output)["text"]


def test_non_english_is_a_warning(runner):
    res = runner("analyze", str(FIXTURES / "articles" / "german.txt"), "-f", "json")
    assert res.exit_code == 0
    assert "warning:" in res.stderr and "German" in res.stderr
    analysis = json.loads(res.stdout)
    assert analysis["language"] == "de" and analysis["warnings"]


def test_html_with_script_markup_is_escaped_in_report(runner, tmp_path):
    out = tmp_path / "r.html"
    res = runner("analyze", str(FIXTURES / "articles" / "script_injection.html"), "-f", "html",
                 "-o", str(out))
    assert res.exit_code == 0
    page = out.read_text("utf-8")
    assert "<script>alert(" not in page and "&lt;script&gt;alert(" in page


def test_version_and_module_entry_point():
    res = run("--version")
    assert res.returncode == 0 and b"kratom-nlp" in res.stdout
