"""Compile the project's hand-written article files into gold records with exact offsets.

An article file (``corpora/articles/<id>.json``) lists blocks of labelled sentences; this module
assembles the article text, computes every sentence and cue offset, and checks the labels against
the taxonomy, so that annotators never type a character offset by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kratom_nlp.errors import CorpusError
from kratom_nlp.taxonomy import CLAIM_TYPES, EVIDENCE_LEVELS, GENRES, STRENGTHS

STANCES = ("sound", "mixed", "overclaiming")


class AuthoringError(CorpusError):
    """An article file breaks the authoring format; the message names the article and sentence."""


@dataclass
class GoldSentence:
    start: int
    end: int
    text: str
    kind: str
    claim: bool
    claim_type: str | None
    evidence: str
    cues: list[dict[str, Any]] = field(default_factory=list)
    from_context: bool = False
    strength: str = "no_relationship"
    advice: bool = False
    overclaim: bool = False
    overclaim_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _cue_list(raw: Any, default_level: str, where: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for c in raw or []:
        if isinstance(c, str):
            out.append((c, default_level))
        elif isinstance(c, dict) and isinstance(c.get("text"), str):
            out.append((c["text"], c.get("level", default_level)))
        else:
            raise AuthoringError(f"{where}: a cue must be a string or {{'text', 'level'}}: {c!r}")
    for text, level in out:
        if level not in EVIDENCE_LEVELS or level == "none":
            raise AuthoringError(f"{where}: cue {text!r} has unknown level {level!r}")
    return out


def compile_article(data: dict[str, Any]) -> dict[str, Any]:
    """Turn one authored article (a dict) into a gold record; raise AuthoringError when invalid."""
    aid = data.get("id")
    if not isinstance(aid, str) or not aid:
        raise AuthoringError("article without an 'id'")
    for key in ("title", "genre", "substance", "blocks"):
        if key not in data:
            raise AuthoringError(f"{aid}: missing {key!r}")
    if data["genre"] not in GENRES:
        raise AuthoringError(f"{aid}: genre {data['genre']!r} not in {GENRES}")
    if data.get("stance", "mixed") not in STANCES:
        raise AuthoringError(f"{aid}: stance {data.get('stance')!r} not in {STANCES}")

    parts: list[str] = []
    pos = 0
    sentences: list[GoldSentence] = []
    prev_span: tuple[int, int] | None = None

    def emit(raw: dict[str, Any], kind: str, prefix: str = "") -> tuple[int, int]:
        nonlocal pos
        where = f"{aid} sentence {len(sentences) + 1}"
        text = raw.get("t")
        if not isinstance(text, str) or not text.strip() or text != text.strip() or "\n" in text:
            raise AuthoringError(f"{where}: 't' must be one line of text without outer spaces")
        if prefix:
            parts.append(prefix)
            pos += len(prefix)
        start = pos
        parts.append(text)
        pos += len(text)
        return start, pos

    def label(raw: dict[str, Any], kind: str, span: tuple[int, int]) -> None:
        nonlocal prev_span
        where = f"{aid} sentence {len(sentences) + 1} ({raw['t'][:40]!r})"
        claim = bool(raw.get("claim", False))
        ctype = raw.get("type")
        ev = raw.get("ev", "none")
        strength = raw.get("str", "no_relationship")
        advice = bool(raw.get("adv", False))
        over = raw.get("over")
        ctx = bool(raw.get("ctx", False))
        if kind == "heading" and claim:
            raise AuthoringError(f"{where}: a heading is never a claim")
        if claim and ctype not in CLAIM_TYPES:
            raise AuthoringError(f"{where}: claim needs 'type' in {CLAIM_TYPES}")
        if not claim and ctype is not None:
            raise AuthoringError(f"{where}: a non-claim has no 'type'")
        if ev not in EVIDENCE_LEVELS:
            raise AuthoringError(f"{where}: 'ev' {ev!r} not in {EVIDENCE_LEVELS}")
        if strength not in STRENGTHS:
            raise AuthoringError(f"{where}: 'str' {strength!r} not in {STRENGTHS}")
        if over is not None and (not isinstance(over, str) or not over.strip()):
            raise AuthoringError(f"{where}: 'over' is null or a reason string")
        if over and not claim:
            raise AuthoringError(f"{where}: only a claim can be an overclaim")
        cues = _cue_list(raw.get("cues"), ev, where)
        if ev != "none" and not cues:
            raise AuthoringError(f"{where}: evidence {ev!r} needs at least one cue")
        if ev == "none" and cues:
            raise AuthoringError(f"{where}: evidence 'none' takes no cues")
        if ctx and prev_span is None:
            raise AuthoringError(f"{where}: 'ctx' needs a preceding sentence")
        text = "".join(parts)
        s_start, s_end = span
        search = (prev_span if ctx else span)
        cue_dicts = []
        for cue_text, level in cues:
            # a cue may sit in this sentence or, with ctx, in the preceding one
            found = text.find(cue_text, search[0], search[1])
            if found < 0 and ctx:
                found = text.find(cue_text, s_start, s_end)
            if found < 0:
                raise AuthoringError(f"{where}: cue {cue_text!r} not found in the sentence"
                                     + (" or the preceding one" if ctx else ""))
            cue_dicts.append({"start": found, "end": found + len(cue_text), "text": cue_text,
                              "level": level})
        sentences.append(GoldSentence(
            start=s_start, end=s_end, text=text[s_start:s_end], kind=kind, claim=claim,
            claim_type=ctype if claim else None, evidence=ev, cues=cue_dicts, from_context=ctx,
            strength=strength, advice=advice, overclaim=bool(over), overclaim_reason=over or None,
        ))
        prev_span = span

    blocks = data["blocks"]
    if not isinstance(blocks, list) or not blocks:
        raise AuthoringError(f"{aid}: 'blocks' must be a non-empty list")
    for b in blocks:
        if not isinstance(b, dict) or len(b) != 1:
            raise AuthoringError(f"{aid}: each block is one of {{'h': S}}, {{'p': [S...]}}, "
                                 "{'ul': [S...]}")
        (key, val), = b.items()
        if key == "h":
            span = emit(val, "heading")
            label(val, "heading", span)
            parts.append("\n")
            pos += 1
        elif key == "p":
            if not isinstance(val, list) or not val:
                raise AuthoringError(f"{aid}: a paragraph is a non-empty list of sentences")
            for i, s in enumerate(val):
                span = emit(s, "sentence", prefix=" " if i else "")
                label(s, "sentence", span)
            parts.append("\n")
            pos += 1
        elif key == "ul":
            for s in val:
                span = emit(s, "bullet", prefix="- ")
                label(s, "bullet", span)
                parts.append("\n")
                pos += 1
        else:
            raise AuthoringError(f"{aid}: unknown block kind {key!r}")
    text = "".join(parts)
    for s in sentences:
        assert text[s.start:s.end] == s.text
    return {
        "id": aid,
        "title": data["title"],
        "genre": data["genre"],
        "substance": data["substance"],
        "stance": data.get("stance", "mixed"),
        "version": str(data.get("version", "1.0")),
        "annotator": data.get("annotator", "A"),
        "text": text,
        "sentences": [s.to_dict() for s in sentences],
    }


def compile_file(path: str | Path) -> dict[str, Any]:
    """Read and compile one article file."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AuthoringError(f"{p.name}: not valid JSON ({exc})") from exc
    record = compile_article(data)
    if record["id"] != p.stem:
        raise AuthoringError(f"{p.name}: id {record['id']!r} differs from the file name")
    return record


def main(argv: list[str] | None = None) -> int:
    """``python -m kratom_nlp.corpora.authoring FILE...``: check article files, print counts."""
    import sys
    from collections import Counter

    paths = argv if argv is not None else sys.argv[1:]
    status = 0
    totals: Counter[str] = Counter()
    n_sent = 0
    for path in paths:
        try:
            rec = compile_file(path)
        except AuthoringError as exc:
            print(f"ERROR {exc}")
            status = 1
            continue
        n = len(rec["sentences"])
        n_sent += n
        claims = sum(s["claim"] for s in rec["sentences"])
        over = sum(s["overclaim"] for s in rec["sentences"])
        totals.update(s["evidence"] for s in rec["sentences"])
        print(f"ok {rec['id']}: {n} sentences, {claims} claims, {over} overclaims")
    print(f"total sentences: {n_sent}; evidence: {dict(sorted(totals.items()))}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
