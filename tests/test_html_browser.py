"""Render hostile markup to HTML and load it in headless Chromium: nothing may execute."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kratom_nlp.outputs.html import render_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None,
                       reason="chromium is not installed (apt-get install -y chromium)"),
]

SCRIPT = "<script>document.title='pwned'</script>"
IMG = "<img src=x onerror=\"document.title='pwned'\">"
SVG = "<svg onload=alert(1)>"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _hostile_analysis() -> dict:
    """Hostile markup inside and outside claims, with offsets computed here."""
    pieces = [
        ("Intro " + SCRIPT + " before any claim.\n", None),
        (f"Users say {IMG} it cures pain.", ("c1", "anecdotal", "Users say", True)),
        (" Between " + SVG + " claims.\n", None),
        (f"Animal studies {SVG} suggest it may help {SCRIPT}.",
         ("c2", "preclinical", "Animal studies", False)),
        ("\nOutro " + IMG + " " + SCRIPT + "\n", None),
    ]
    text, claims = "", []
    for chunk, meta in pieces:
        start = len(text)
        text += chunk
        if meta is None:
            continue
        cid, level, cue, flag = meta
        claims.append({
            "id": cid, "start": start, "end": len(text), "text": chunk,
            "claim_type": "efficacy", "substances": ["herb"], "outcomes": [],
            "evidence": {"level": level, "from_context": False, "cues": [
                {"start": start, "end": start + len(cue), "text": cue, "level": level}]},
            "strength": "direct_causal" if flag else "conditional_causal",
            "certainty": None, "advice": False,
            "overclaim": {"flag": flag, "reason": f"Cures {SCRIPT}{IMG} on anecdotes" if flag
                          else None, "rule": "benefit_as_fact" if flag else None,
                          "score": 0.9 if flag else 0.1},
        })
    for claim in claims:
        assert text[claim["start"]:claim["end"]] == claim["text"]
    return {
        "schema_version": "1.0.0", "source": f"evil{SCRIPT}.txt", "text": text,
        "language": "en", "warnings": [f"warn {IMG}"], "claims": claims,
        "summary": {"claims": 2, "overclaims": 1, "overclaim_rate": 0.5,
                    "evidence_levels": {"anecdotal": 1, "preclinical": 1},
                    "support_score": 0.2, "verdict": f"weak {SVG}"},
    }


class _Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.in_title = self.in_body = False
        self.title = ""
        self.body_tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        if tag == "body":
            self.in_body = True
        elif self.in_body:
            self.body_tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title += data


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    cmd = [CHROMIUM or "chromium", "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-extensions",
           "--disable-dev-shm-usage", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(_hostile_analysis()), encoding="utf-8")
    return path


def test_hostile_markup_is_inert_in_chromium(page: Path, tmp_path: Path) -> None:
    proc = _chromium(tmp_path, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    dom = proc.stdout.decode("utf-8", errors="replace")
    assert "</html>" in dom
    parser = _Dom()
    parser.feed(dom)
    parser.close()
    title = parser.title.strip()
    assert title != "pwned" and title.startswith("Claim analysis")
    assert title.endswith(f"evil{SCRIPT}.txt")  # the source shows as literal text
    tags = [t for t, _ in parser.body_tags]
    for bad in ("script", "img", "svg", "iframe", "object", "embed"):
        assert tags.count(bad) == 0, f"<{bad}> element found in the rendered DOM"
    assert not any(k.startswith("on") for _, attrs in parser.body_tags for k in attrs)
    marks = [a for t, a in parser.body_tags if t == "mark"]
    assert [m.get("data-claim-id") for m in marks] == ["c1", "c2"]
    assert [m.get("data-level") for m in marks] == ["anecdotal", "preclinical"]
    assert "overclaim" in (marks[0].get("class") or "").split()
    # the hostile text is still shown to the reader, as text
    assert "document.title='pwned'" in dom and "&lt;script&gt;" in dom


def test_screenshot_is_png(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    proc = _chromium(tmp_path, "--hide-scrollbars", "--window-size=1200,1600",
                     f"--screenshot={shot}", page.as_uri())
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert len(data) > 1000 and data.startswith(PNG_MAGIC)
