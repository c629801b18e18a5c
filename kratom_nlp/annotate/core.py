"""The format-neutral middle of the round trip: an article's labels as regions.

Every tool format (Label Studio, Prodigy, doccano) is read into a :class:`TaskLabels` — sentence
regions (``Claim`` or ``Non-claim``, with per-region labels), evidence-cue regions and the links
between them — and :func:`build_record` turns that into a gold corpus record (the format of
``corpora/gold/*.jsonl``), checking the labelling rules. :func:`gold_to_task` goes the other way.

Sentence boundaries come from the sentence regions; the rest of the text is split by the
segmentation stored in the task (``meta.sentences``, written by ``annotate export``) or, when the
task has none, by the pipeline's segmenter (:func:`kratom_nlp.pipeline.segmenter.sentence_spans`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kratom_nlp.annotate.errors import (
    AnnotateError,
    ImportFailed,
    InconsistentLabelsError,
    LossyImportError,
    OffsetError,
    UnknownLabelError,
    clip,
)
from kratom_nlp.annotate.labels import CLAIM, CUE_LEVELS, NON_CLAIM, ROLES
from kratom_nlp.taxonomy import CLAIM_TYPES, EVIDENCE_LEVELS, STRENGTHS, choose_level
from kratom_nlp.text.geometry import line_kind

META_KEYS = ("title", "genre", "substance", "stance", "version", "annotator", "split")


@dataclass
class SentRegion:
    """A sentence region: ``role`` is ``Claim`` or ``Non-claim``; ``attrs`` holds the labels the
    file gives (claim_type, evidence, strength, advice, overclaim, from_context,
    overclaim_reason); a missing key means "not given"."""

    rid: str
    start: int
    end: int
    role: str
    attrs: dict[str, Any] = field(default_factory=dict)
    score: float | None = None


@dataclass
class CueRegion:
    rid: str
    start: int
    end: int
    level: str
    score: float | None = None


@dataclass
class TaskLabels:
    """One article's labels as regions, as read from (or written to) an annotation tool."""

    task: str
    article_id: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)
    sentences: list[SentRegion] = field(default_factory=list)
    cues: list[CueRegion] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    doc: dict[str, str] = field(default_factory=dict)
    annotator: str | None = None
    base: list[tuple[int, int, str]] | None = None


# --------------------------------------------------------------------------- helpers

def text_kind(text: str, start: int, end: int) -> str:
    """``heading``, ``bullet`` or ``sentence`` for a span, from its line (the pipeline's
    definition, :func:`kratom_nlp.text.geometry.line_kind`)."""
    return line_kind(text, start, end)


def segment(text: str) -> list[tuple[int, int, str]]:
    """Sentences of ``text`` by the pipeline's segmenter, with a kind for each."""
    from kratom_nlp.pipeline.segmenter import DEFAULT_ABBREVIATIONS, sentence_spans

    abbr = frozenset(a.lower() for a in DEFAULT_ABBREVIATIONS)
    return [(s, e, text_kind(text, s, e)) for s, e in sentence_spans(text, abbr)]


def check_span(text: str, start: Any, end: Any, span_text: Any, *, source: str | None,
               task: str, what: str) -> OffsetError | None:
    """An :class:`OffsetError` when ``start``/``end`` are not valid offsets of ``text`` or
    ``span_text`` (when given) differs from ``text[start:end]``; else None."""
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) \
            or isinstance(end, bool):
        return OffsetError(f"{what}: start/end must be integers, got {clip(start)}/{clip(end)}",
                           source=source, task=task)
    if not 0 <= start < end <= len(text):
        return OffsetError(f"{what}: offsets {start}-{end} outside the text (length {len(text)})",
                           source=source, task=task)
    if span_text is not None and span_text != text[start:end]:
        return OffsetError(f"{what} {start}-{end}: span text {span_text[:40]!r} differs from "
                           f"the task text there {text[start:end][:40]!r}",
                           source=source, task=task)
    return None


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def stored_segmentation(text: str, meta: dict[str, Any]) -> list[tuple[int, int, str]] | None:
    """The segmentation stored in a task's meta (``[[start, end, kind], ...]``) when it fits the
    text; None otherwise (then the segmenter is used)."""
    raw = meta.get("sentences") if isinstance(meta, dict) else None
    if not isinstance(raw, list) or not raw:
        return None
    out: list[tuple[int, int, str]] = []
    prev_end = 0
    for item in raw:
        if not (isinstance(item, list | tuple) and len(item) == 3):
            return None
        s, e, k = item
        if not (isinstance(s, int) and isinstance(e, int) and 0 <= s < e <= len(text)
                and s >= prev_end and k in ("heading", "sentence", "bullet")):
            return None
        out.append((s, e, k))
        prev_end = e
    return out


# --------------------------------------------------------------------------- gold -> regions

def _labelled(s: dict[str, Any]) -> bool:
    return bool(s["claim"] or s["evidence"] != "none" or s["cues"] or s["advice"]
                or s["from_context"] or s["overclaim"] or s["overclaim_reason"])


def gold_to_task(record: dict[str, Any], task: str | None = None) -> TaskLabels:
    """Regions of a gold record: a region for every claim and for every non-claim sentence
    that carries a label; one cue region per distinct cue, linked to the sentences that cite it
    (in the order of their ``cues`` lists)."""
    t = TaskLabels(task=task or record["id"], article_id=record["id"], text=record["text"],
                   meta={k: record[k] for k in META_KEYS if k in record})
    t.base = [(s["start"], s["end"], s["kind"]) for s in record["sentences"]]
    cue_ids: dict[tuple[int, int, str], str] = {}
    for i, s in enumerate(record["sentences"], 1):
        if not _labelled(s):
            continue
        rid = f"s{i}"
        if s["claim"]:
            attrs: dict[str, Any] = {
                "claim_type": s["claim_type"], "evidence": s["evidence"],
                "strength": s["strength"], "advice": bool(s["advice"]),
                "overclaim": bool(s["overclaim"]), "from_context": bool(s["from_context"]),
            }
            if s["overclaim_reason"]:
                attrs["overclaim_reason"] = s["overclaim_reason"]
        else:
            attrs = {"evidence": s["evidence"], "advice": bool(s["advice"]),
                     "from_context": bool(s["from_context"])}
        t.sentences.append(SentRegion(rid, s["start"], s["end"], CLAIM if s["claim"]
                                      else NON_CLAIM, attrs))
        for c in s["cues"]:
            key = (c["start"], c["end"], c["level"])
            if key not in cue_ids:
                cue_ids[key] = f"q{len(cue_ids) + 1}"
                t.cues.append(CueRegion(cue_ids[key], *key))
            t.links.append((rid, cue_ids[key]))
    return t


# --------------------------------------------------------------------------- regions -> gold

def _problem(cls: type[AnnotateError], msg: str, t: TaskLabels,
             source: str | None) -> AnnotateError:
    return cls(msg, source=source, task=t.task)


def _check_values(t: TaskLabels, source: str | None) -> list[AnnotateError]:
    probs: list[AnnotateError] = []
    for r in t.sentences:
        if r.role not in ROLES:
            probs.append(_problem(UnknownLabelError, f"region {r.rid}: unknown sentence label "
                                  f"{clip(r.role)} (expected one of {list(ROLES)})", t, source))
        for key, allowed in (("claim_type", CLAIM_TYPES), ("evidence", EVIDENCE_LEVELS),
                             ("strength", STRENGTHS)):
            v = r.attrs.get(key)
            if v is not None and v not in allowed:
                probs.append(_problem(UnknownLabelError, f"region {r.rid}: unknown {key} "
                                      f"{clip(v)} (expected one of {list(allowed)})", t, source))
    for c in t.cues:
        if c.level not in CUE_LEVELS:
            probs.append(_problem(UnknownLabelError, f"cue region {c.rid}: unknown evidence "
                                  f"level {clip(c.level)} (expected one of {list(CUE_LEVELS)})",
                                  t, source))
    return probs


def build_record(t: TaskLabels, *, source: str | None = None,
                 notes: list[str] | None = None) -> dict[str, Any]:
    """The gold record of a task's regions; raises :class:`ImportFailed` listing every problem
    (unknown labels, labels the corpus cannot hold, broken labelling rules).

    What the pipeline predicts is accepted back unchanged (``annotate export`` then ``import``
    with every prediction accepted): a claim whose evidence level comes without a cue region (a
    learned backend can name a level whose words are not in the cue lexicon) is imported with
    that level and no cues, and a line is added to ``notes`` so that the annotator can mark the
    cue words (GUIDELINES §11). Evidence ``none`` with cues, or a cue outside the sentence
    without ``context``, remain errors.
    """
    text = t.text
    probs = _check_values(t, source)
    regions = []
    for r in t.sentences:
        s, e = _strip(text, r.start, r.end)
        if s >= e:
            probs.append(_problem(OffsetError, f"region {r.rid} covers only whitespace",
                                  t, source))
            continue
        regions.append((s, e, r))
    regions.sort(key=lambda x: (x[0], x[1]))
    for (s1, e1, r1), (s2, e2, r2) in zip(regions, regions[1:], strict=False):
        if s2 < e1:
            probs.append(_problem(InconsistentLabelsError,
                                  f"sentence regions {r1.rid} ({s1}-{e1}) and {r2.rid} "
                                  f"({s2}-{e2}) overlap; a sentence is one region", t, source))
    if probs:
        raise ImportFailed(probs, source=source)

    base = t.base or stored_segmentation(text, t.meta) or segment(text)
    # sentences: the regions, plus what the base segmentation leaves outside them
    sents: list[dict[str, Any]] = []
    for s, e, r in regions:
        kind, best = "sentence", 0
        for bs, be, bk in base:
            ov = min(e, be) - max(s, bs)
            if ov > best:
                kind, best = bk, ov
        if best == 0:
            kind = text_kind(text, s, e)
        sents.append({"start": s, "end": e, "kind": kind, "region": r})
    for bs, be, bk in base:
        pieces = [(bs, be)]
        for s, e, _ in regions:
            nxt = []
            for ps, pe in pieces:
                if e <= ps or s >= pe:
                    nxt.append((ps, pe))
                    continue
                if ps < s:
                    nxt.append((ps, s))
                if e < pe:
                    nxt.append((e, pe))
            pieces = nxt
        for ps, pe in pieces:
            ps, pe = _strip(text, ps, pe)
            if ps < pe and any(ch.isalnum() for ch in text[ps:pe]):
                kind = bk if (ps, pe) == (bs, be) else text_kind(text, ps, pe)
                sents.append({"start": ps, "end": pe, "kind": kind, "region": None})
    sents.sort(key=lambda x: x["start"])

    cue_by_id = {c.rid: c for c in t.cues}
    index_by_rid = {x["region"].rid: i for i, x in enumerate(sents) if x["region"] is not None}
    for x in sents:
        x["cues"] = []
    linked: set[str] = set()
    for sid, cid in t.links:
        if sid not in index_by_rid or cid not in cue_by_id:
            probs.append(_problem(InconsistentLabelsError, f"relation {sid} -> {cid} does not join "
                                  "a sentence region to a cue region", t, source))
            continue
        x = sents[index_by_rid[sid]]
        if cid not in x["cues"]:
            x["cues"].append(cid)
        linked.add(cid)
    for c in sorted(t.cues, key=lambda c: (c.start, c.end)):
        if c.rid in linked:
            continue
        cs, ce = _strip(text, c.start, c.end)
        home = [x for x in sents if x["start"] <= cs and ce <= x["end"]]
        if not home:
            probs.append(_problem(InconsistentLabelsError, f"cue region {c.rid} ({c.start}-"
                                  f"{c.end}) is not inside one sentence and no relation links "
                                  "it to one", t, source))
            continue
        home[0]["cues"].append(c.rid)

    out_sents: list[dict[str, Any]] = []
    uncued: list[int] = []  # sentences with an evidence level and no cue region
    for i, x in enumerate(sents):
        r: SentRegion | None = x["region"]
        s, e = x["start"], x["end"]
        where = f"sentence {i + 1} ({text[s:e][:40]!r})"
        cues = []
        for cid in x["cues"]:
            c = cue_by_id[cid]
            cs, ce = _strip(text, c.start, c.end)
            cues.append({"start": cs, "end": ce, "text": text[cs:ce], "level": c.level})
        a = r.attrs if r is not None else {}
        claim = r is not None and r.role == CLAIM
        if not claim:
            lost = [k for k in ("claim_type", "overclaim_reason") if a.get(k)]
            if a.get("strength") not in (None, "no_relationship"):
                lost.append("strength")
            if a.get("overclaim"):
                lost.append("overclaim")
            if lost:
                probs.append(_problem(LossyImportError, f"{where}: a {NON_CLAIM} region cannot "
                                      f"hold {', '.join(lost)} (make it a {CLAIM} or clear them)",
                                      t, source))
        ctype = a.get("claim_type") if claim else None
        if claim and not ctype:
            probs.append(_problem(InconsistentLabelsError, f"{where}: claim region {r.rid} has "
                                  f"no claim_type (one of {list(CLAIM_TYPES)})", t, source))
        evidence = a.get("evidence") or choose_level([c["level"] for c in cues])
        outside = [c for c in cues if not (s <= c["start"] and c["end"] <= e)]
        from_ctx = a.get("from_context")
        if from_ctx is None:
            from_ctx = bool(outside)
        # a cue outside the sentence is context: the sentence before ("These findings…") or
        # a study the article describes elsewhere (GUIDELINES §12.2), before or after it
        for c in outside:
            if not from_ctx:
                probs.append(_problem(InconsistentLabelsError, f"{where}: cue "
                                      f"{clip(c['text'])} lies outside the sentence but "
                                      "context is 'no'", t, source))
        if from_ctx and not out_sents and not outside:
            probs.append(_problem(InconsistentLabelsError, f"{where}: context 'yes' needs a "
                                  "preceding sentence", t, source))
        if evidence != "none" and not cues:
            uncued.append(i + 1)
        if evidence == "none" and cues:
            probs.append(_problem(InconsistentLabelsError, f"{where}: evidence 'none' takes no "
                                  "cues (set the evidence level)", t, source))
        overclaim = bool(a.get("overclaim")) and claim
        reason = a.get("overclaim_reason") if claim else None
        if reason and not overclaim:
            probs.append(_problem(InconsistentLabelsError, f"{where}: an overclaim reason is "
                                  "given but overclaim is 'no'", t, source))
        out_sents.append({
            "start": s, "end": e, "text": text[s:e], "kind": x["kind"], "claim": claim,
            "claim_type": ctype, "evidence": evidence, "cues": cues,
            "from_context": bool(from_ctx),
            "strength": (a.get("strength") or "no_relationship") if claim else "no_relationship",
            "advice": bool(a.get("advice")), "overclaim": overclaim,
            "overclaim_reason": reason or None,
        })
    if probs:
        raise ImportFailed(probs, source=source)
    if uncued and notes is not None:
        shown = ", ".join(map(str, uncued[:10])) + (", …" if len(uncued) > 10 else "")
        notes.append(f"task {t.task}: {len(uncued)} sentence(s) with an evidence level but no "
                     f"cue region (sentence {shown}); imported without cues - mark the words "
                     "that justify the level (GUIDELINES §11)")
    meta = t.meta
    record: dict[str, Any] = {
        "id": t.article_id,
        "title": meta.get("title") or text.strip().split("\n", 1)[0][:200],
        "genre": t.doc.get("genre") or meta.get("genre") or "unknown",
        "substance": meta.get("substance") or "unknown",
        "stance": t.doc.get("stance") or meta.get("stance") or "mixed",
        "version": str(meta.get("version") or "1.0"),
        "annotator": t.annotator or meta.get("annotator") or "unknown",
        "text": text,
        "sentences": out_sents,
    }
    if meta.get("split"):
        record["split"] = meta["split"]
    return record

