"""Tests for the output renderers (kratom_nlp.outputs) on the sample analysis."""

from __future__ import annotations

import copy
import html as html_lib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from kratom_nlp.outputs import FORMATS, render
from kratom_nlp.outputs.claimreview import render_claimreview, to_claimreview
from kratom_nlp.outputs.html import render_html
from kratom_nlp.outputs.text import render_text

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "fixtures" / "analysis_sample.json"
SCHEMA = ROOT / "kratom_nlp" / "resources" / "analysis.schema.json"


@pytest.fixture()
def analysis() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


class _Tags(HTMLParser):
    """Collects start tags with their attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser.tags


def test_sample_validates_against_schema(analysis: dict) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    errors = list(Draft202012Validator(schema).iter_errors(analysis))
    assert errors == []


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders(analysis: dict, fmt: str) -> None:
    out = render(analysis, fmt)
    assert isinstance(out, str) and out.strip()
    if fmt in ("json", "claimreview"):
        json.loads(out)


def test_json_round_trips(analysis: dict) -> None:
    assert json.loads(render(analysis, "json")) == analysis


def test_unknown_format_raises(analysis: dict) -> None:
    with pytest.raises(ValueError, match="unknown output format"):
        render(analysis, "pdf")


def test_renderers_do_not_mutate_input(analysis: dict) -> None:
    before = copy.deepcopy(analysis)
    for fmt in FORMATS:
        render(analysis, fmt)
    assert analysis == before


# --- text -------------------------------------------------------------------------------


def _cells(out: str) -> str:
    """Table/panel cell contents joined column by column, whitespace collapsed."""
    columns: dict[int, list[str]] = {}
    for line in out.splitlines():
        if line.lstrip().startswith("│"):
            for i, cell in enumerate(line.split("│")):
                columns.setdefault(i, []).append(cell.strip())
    return " ".join(" ".join(" ".join(c).split()) for _, c in sorted(columns.items()))


@pytest.mark.parametrize("width", [60, 120, 220])
def test_text_shows_levels_reasons_and_summary(analysis: dict, width: int) -> None:
    out = render_text(analysis, width=width)
    flat = _cells(out)
    assert "\x1b[" not in out
    assert analysis["source"] in out
    assert "weakly supported" in out
    assert "0.31" in out and "50%" in out
    assert "Overclaims" in out and "Evidence mix" in out
    for claim in analysis["claims"]:
        assert claim["evidence"]["level"] in out
        for cue in claim["evidence"]["cues"]:
            assert cue["text"] in flat
        if claim["overclaim"]["flag"]:
            assert claim["overclaim"]["reason"] in flat


def test_a_claim_by_context_is_said_to_be_ungraded(analysis: dict) -> None:
    """Schema 1.3.0 ``by_context``: the text and HTML outputs say why such a claim carries
    no overclaim flag; a claim without the field (an older analysis) says nothing."""
    unflagged = next(c for c in analysis["claims"] if not c["overclaim"]["flag"])
    assert "by_context" not in unflagged
    assert "by its context" not in _cells(render_text(analysis, width=110))
    assert "by its context" not in render_html(analysis)
    unflagged["by_context"] = True
    assert "by its context: not graded" in _cells(render_text(analysis, width=110))
    page = render_html(analysis)
    assert page.count("A claim by its context") == 2  # the tooltip and its plain title


@pytest.mark.parametrize("width", [60, 110])
def test_text_levels_visible_at_any_width(analysis: dict, width: int) -> None:
    out = render_text(analysis, width=width)
    assert all(len(line) <= width for line in out.splitlines())
    for claim in analysis["claims"]:
        assert claim["evidence"]["level"] in out


def test_text_color_emits_ansi(analysis: dict) -> None:
    assert "\x1b[" in render_text(analysis, width=120, color=True)


def test_text_strips_terminal_escapes(analysis: dict) -> None:
    analysis["claims"][0]["text"] = "evil \x1b[2J\x1b]0;title\x07 claim"
    analysis["source"] = "src\x1b[31m"
    out = render_text(analysis, width=200)
    assert "\x1b" not in out and "\x07" not in out


def test_text_trims_long_claims(analysis: dict) -> None:
    analysis["claims"][0]["text"] = "word " * 200
    out = render_text(analysis, width=200)
    assert "…" in out
    assert out.count("word") < 60


# --- html -------------------------------------------------------------------------------


def test_html_escapes_markup(analysis: dict) -> None:
    page = render_html(analysis)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>on</b>" not in page
    assert "&lt;b&gt;on&lt;/b&gt;" in page
    tags = [t for t, _ in _tags(page)]
    assert "script" not in tags and "b" not in tags and "img" not in tags


def test_html_is_self_contained(analysis: dict) -> None:
    page = render_html(analysis)
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page
    assert "default-src 'none'; style-src 'unsafe-inline'" in page
    for tag, attrs in _tags(page):
        assert tag not in ("script", "link", "iframe", "object", "embed", "img")
        assert not any(name.startswith("on") for name in attrs)
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith("#")
    assert "http://" not in page.replace("http-equiv", "")
    assert not re.search(r"@import|url\(", page)


def test_html_marks_one_per_claim(analysis: dict) -> None:
    page = render_html(analysis)
    marks = [a for t, a in _tags(page) if t == "mark"]
    assert len(marks) == len(analysis["claims"])
    by_id = {m["data-claim-id"]: m for m in marks}
    for claim in analysis["claims"]:
        mark = by_id[claim["id"]]
        level = claim["evidence"]["level"]
        assert mark["data-level"] == level
        assert f"lvl-{level}" in mark["class"]
        assert mark["tabindex"] == "0"
        assert mark["title"]
        tip_id = mark["aria-describedby"]
        assert f'id="{tip_id}"' in page
        assert ("overclaim" in mark["class"].split()) == claim["overclaim"]["flag"]
    # reasons survive escaping (parser decodes entities in attributes)
    flagged = [m for m in marks if "overclaim" in m["class"].split()]
    assert any('<b>on</b>' in m["title"] for m in flagged)


def test_html_has_summary_legend_and_table(analysis: dict) -> None:
    page = render_html(analysis)
    tags = _tags(page)
    assert ("html", {"lang": "en"}) in tags
    assert "<h1>" in page
    for heading in ("Summary", "Evidence levels", "Article text", "Claims"):
        assert f">{heading}</h2>" in page
    assert "weakly supported" in page and "0.31" in page and "50%" in page
    legend_levels = {a["class"].split("lvl-")[1] for t, a in tags
                     if t == "span" and a.get("class", "").startswith("chip lvl-")}
    for level in ("systematic_review", "clinical_trial", "observational", "preclinical",
                  "anecdotal", "expert_opinion", "unspecified", "regulatory", "none"):
        assert level in legend_levels
        assert f".lvl-{level}{{" in page
    rows = [a for t, a in tags if t == "tr" and a.get("id", "").startswith("row-")]
    assert len(rows) == len(analysis["claims"])
    cues = [a for t, a in tags if t == "span" and a.get("class", "").startswith("cue ")]
    assert len(cues) == sum(len(c["evidence"]["cues"]) for c in analysis["claims"])
    assert page.count("<br>") >= 3  # newlines in the article become line breaks


def test_html_preserves_article_text(analysis: dict) -> None:
    page = render_html(analysis)
    article = page.split('<div class="article"', 1)[1].split("</section>", 1)[0]
    visible = re.sub(r'<span class="tip".*?</span></mark>', "</mark>", article)
    visible = re.sub(r"<br>\n", "\n", visible)
    visible = re.sub(r"<[^>]+>", "", visible.split(">", 1)[1])
    assert html_lib.unescape(visible) == analysis["text"].rstrip("\n")


def test_html_handles_overlapping_and_unordered_claims(analysis: dict) -> None:
    claims = analysis["claims"]
    overlapping = copy.deepcopy(claims[0])
    overlapping.update(id="dup", start=claims[0]["start"] + 5, end=claims[0]["end"] - 5)
    bogus = copy.deepcopy(claims[2])
    bogus.update(id="bogus", start=10_000, end=10_050, text="not in the article")
    analysis["claims"] = [claims[3], bogus, claims[1], overlapping, claims[0], claims[2]]
    page = render_html(analysis)
    marks = [a["data-claim-id"] for t, a in _tags(page) if t == "mark"]
    assert marks == ["c1", "c2", "c3", "c4"]
    assert "not located in text" in page
    assert "overlaps another claim" in page
    assert "&lt;script&gt;" in page and "<script>" not in page


def test_html_clips_partial_overlaps(analysis: dict) -> None:
    claims = analysis["claims"]
    partial = copy.deepcopy(claims[2])
    partial.update(id="part", start=claims[2]["start"] + 10, end=claims[3]["start"] + 4)
    analysis["claims"] = [claims[3], partial, claims[2]]
    page = render_html(analysis)
    marks = [a["data-claim-id"] for t, a in _tags(page) if t == "mark"]
    assert marks == ["c3", "part", "c4"]  # each piece of text is highlighted at most once
    assert page.count("<mark ") == page.count("</mark>") == 3


def test_html_escapes_attribute_breakouts(analysis: dict) -> None:
    analysis["claims"][0]["id"] = '"><script>x</script>'
    analysis["claims"][0]["evidence"]["level"] = 'x" onmouseover="alert(1)'
    analysis["source"] = "javascript:alert(1)"
    analysis["language"] = '"><b>'
    page = render_html(analysis)
    for tag, attrs in _tags(page):
        assert tag not in ("script", "b")
        assert not any(name.startswith("on") for name in attrs)
    assert 'href="javascript' not in page


def test_html_empty_analysis() -> None:
    page = render_html({"schema_version": "1.0.0", "source": "", "text": "", "claims": [],
                        "summary": {"claims": 0, "overclaims": 0, "overclaim_rate": 0,
                                    "evidence_levels": {}, "support_score": 0}})
    assert "No claims found." in page


# --- ClaimReview ------------------------------------------------------------------------


def test_claimreview_objects(analysis: dict) -> None:
    reviews = to_claimreview(analysis, url="https://example.org/a", date_published="2025-01-02")
    assert len(reviews) == len(analysis["claims"])
    for review, claim in zip(reviews, analysis["claims"], strict=True):
        assert review["@context"] == "https://schema.org"
        assert review["@type"] == "ClaimReview"
        assert review["claimReviewed"] == claim["text"]
        assert review["datePublished"] == "2025-01-02"
        assert review["url"] == "https://example.org/a"
        assert review["author"] == {"@type": "Organization", "name": "kratom_nlp"}
        item = review["itemReviewed"]
        assert item["@type"] == "Claim"
        assert item["appearance"] == {"@type": "CreativeWork", "url": "https://example.org/a"}
        assert "firstAppearance" in item
        rating = review["reviewRating"]
        assert rating["@type"] == "Rating"
        assert rating["bestRating"] == 5 and rating["worstRating"] == 1
        assert 1 <= rating["ratingValue"] <= 5
        assert isinstance(rating["alternateName"], str) and rating["alternateName"]
        ext = review["kratomNlp"]
        assert ext["level"] == claim["evidence"]["level"]
        assert ext["overclaim"] == claim["overclaim"]["flag"]
        assert ext["reason"] == claim["overclaim"]["reason"]
        assert ext["rule"] == claim["overclaim"]["rule"]
        assert ext["score"] == claim["overclaim"]["score"]
        assert ext["strength"] == claim["strength"] and ext["advice"] == claim["advice"]
        assert ext["cues"] == [c["text"] for c in claim["evidence"]["cues"]]
        if claim["overclaim"]["flag"]:
            assert rating["ratingValue"] == 1
            assert rating["alternateName"].startswith("Overclaim: ")
            assert claim["overclaim"]["reason"] in rating["alternateName"]


def test_claimreview_verdicts(analysis: dict) -> None:
    names = [r["reviewRating"] for r in to_claimreview(analysis)]
    assert names[0]["alternateName"] == "Hedged claim on preclinical evidence"
    assert names[0]["ratingValue"] == 3
    assert names[2]["ratingValue"] == 4
    claim = copy.deepcopy(analysis["claims"][0])
    claim["evidence"]["level"] = "clinical_trial"
    claim["strength"] = "direct_causal"
    unsupported = copy.deepcopy(analysis["claims"][3])
    unsupported["overclaim"]["flag"] = False
    reviews = to_claimreview({**analysis, "claims": [claim, unsupported]})
    assert reviews[0]["reviewRating"]["alternateName"] == "Supported by clinical trials"
    assert reviews[0]["reviewRating"]["ratingValue"] == 5
    assert reviews[1]["reviewRating"]["alternateName"] == "Unsupported"


def test_claimreview_defaults_and_json(analysis: dict) -> None:
    reviews = to_claimreview(analysis, publisher="Example Checks")
    assert reviews[0]["author"]["name"] == "Example Checks"
    # the source is a local path: never published; the url is left out and a note says why
    assert "url" not in reviews[0]["itemReviewed"]["appearance"] and "url" not in reviews[0]
    assert "no article URL" in reviews[0]["kratomNlp"]["note"]
    web = to_claimreview({**analysis, "source": "https://example.org/page"})
    assert web[0]["itemReviewed"]["appearance"]["url"] == "https://example.org/page"
    assert "note" not in web[0]["kratomNlp"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", reviews[0]["datePublished"])
    one = {**analysis, "claims": analysis["claims"][1:2]}
    text = render_claimreview(one)
    assert "<" not in text  # safe to embed in a <script type="application/ld+json"> block
    data = json.loads(text)
    assert isinstance(data, list) and len(data) == 1
    assert data[0]["claimReviewed"] == analysis["claims"][1]["text"]
