"""Prodigy's task format (JSONL), read and written directly.

A task is ``{"text", "tokens", "spans", "meta", "answer", "_input_hash", "_task_hash"}``.
Sentence spans carry the label ``CLAIM`` or ``NON_CLAIM`` and, as extra keys (Prodigy keeps
unknown span keys), the per-claim labels: ``claim_type``, ``evidence``, ``strength``,
``advice``, ``overclaim``, ``from_context``, ``overclaim_reason`` and ``cues`` (the
``[start, end, level]`` of the cue spans the sentence cites). Cue spans carry the evidence level
in upper case (``CLINICAL_TRIAL``). The task's sentence segmentation is kept in
``kratom_sentences``.
"""

from __future__ import annotations

import hashlib
from typing import Any

from kratom_nlp.annotate.core import CueRegion, SentRegion, TaskLabels, check_span
from kratom_nlp.annotate.errors import AnnotateError, FormatError, UnknownLabelError, clip
from kratom_nlp.annotate.labels import (
    CLAIM,
    CUE_LEVELS,
    NON_CLAIM,
    PRODIGY_CLAIM,
    PRODIGY_NON_CLAIM,
    prodigy_cue_label,
)
from kratom_nlp.annotate.labelstudio import Candidate

SENTENCE_ATTRS = ("claim_type", "evidence", "strength", "advice", "overclaim", "from_context",
                  "overclaim_reason")
_BOOL_ATTRS = ("advice", "overclaim", "from_context")
_ROLE_OF = {PRODIGY_CLAIM: CLAIM, PRODIGY_NON_CLAIM: NON_CLAIM, "CLAIM": CLAIM,
            "NON-CLAIM": NON_CLAIM, "NONCLAIM": NON_CLAIM}
_LEVEL_OF = {prodigy_cue_label(lv): lv for lv in CUE_LEVELS}


def stable_hash(*parts: str) -> int:
    """A signed 32-bit hash, like Prodigy's ``_input_hash`` / ``_task_hash``."""
    digest = hashlib.blake2b("\x1f".join(parts).encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


def tokens_of(doc: Any) -> list[dict[str, Any]]:
    """Prodigy tokens of a spaCy doc."""
    return [{"text": t.text, "start": t.idx, "end": t.idx + len(t.text), "id": t.i,
             "ws": bool(t.whitespace_)} for t in doc]


def to_task(t: TaskLabels, *, tokens: list[dict[str, Any]] | None = None,
            answered: bool = True, extra_meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """One Prodigy task; ``answered`` marks gold labels (``"answer": "accept"``) — model
    pre-annotations are written without an answer, so that they cannot be imported unreviewed."""
    text = t.text
    starts = {tok["start"]: tok["id"] for tok in tokens or []}
    ends = {tok["end"]: tok["id"] for tok in tokens or []}
    cue_by_id = {c.rid: c for c in t.cues}
    spans: list[dict[str, Any]] = []

    def tok(span: dict[str, Any]) -> dict[str, Any]:
        if span["start"] in starts and span["end"] in ends:
            span["token_start"] = starts[span["start"]]
            span["token_end"] = ends[span["end"]]
        return span

    for r in t.sentences:
        span = tok({"start": r.start, "end": r.end, "text": text[r.start:r.end],
                    "label": PRODIGY_CLAIM if r.role == CLAIM else PRODIGY_NON_CLAIM})
        for key in SENTENCE_ATTRS:
            if r.attrs.get(key) is not None:
                span[key] = r.attrs[key]
        span["cues"] = [[cue_by_id[c].start, cue_by_id[c].end, cue_by_id[c].level]
                        for s, c in t.links if s == r.rid]
        if r.score is not None:
            span["score"] = round(float(r.score), 4)
        spans.append(span)
    for c in t.cues:
        span = tok({"start": c.start, "end": c.end, "text": text[c.start:c.end],
                    "label": prodigy_cue_label(c.level)})
        if c.score is not None:
            span["score"] = round(float(c.score), 4)
        spans.append(span)
    spans.sort(key=lambda s: (s["start"], -s["end"]))
    meta = {"article_id": t.article_id,
            **{k: v for k, v in t.meta.items() if k != "sentences" and v is not None}}
    meta.update(extra_meta or {})
    task: dict[str, Any] = {"text": text}
    if tokens is not None:
        task["tokens"] = tokens
    task["spans"] = spans
    task["meta"] = meta
    task["kratom_sentences"] = [list(b) for b in t.base or []]
    if answered:
        task["answer"] = "accept"
    task["_input_hash"] = stable_hash(text)
    task["_task_hash"] = stable_hash(text, *(f"{s['start']}:{s['end']}:{s['label']}"
                                             for s in spans))
    return task


def _bool(v: Any) -> Any:
    if isinstance(v, str) and v.lower() in ("yes", "no", "true", "false"):
        return v.lower() in ("yes", "true")
    return v


def read_tasks(lines: list[tuple[int, Any]], source: str) -> tuple[list[Candidate], list[str],
                                                                    list[AnnotateError]]:
    """Candidates from Prodigy JSONL (``db-out`` or our export); also notes and problems."""
    cands: list[Candidate] = []
    notes: list[str] = []
    probs: list[AnnotateError] = []
    for n, rec in lines:
        meta = rec.get("meta") if isinstance(rec, dict) and isinstance(rec.get("meta"),
                                                                          dict) else {}
        aid = (meta.get("article_id") or (rec.get("article_id") if isinstance(rec, dict)
                                           else None))
        name = f"line {n}" + (f" ({aid})" if aid else "")
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            probs.append(FormatError("not a Prodigy text task (no 'text')", source=source,
                                     task=name))
            continue
        answer = rec.get("answer")
        if answer != "accept":
            notes.append(f"task {name}: answer {clip(answer)} (only accepted tasks are imported); "
                         "skipped")
            continue
        text = rec["text"]
        t = TaskLabels(task=name, article_id=str(aid or f"prodigy-{rec.get('_input_hash')}"),
                       text=text, meta={k: v for k, v in meta.items() if k != "article_id"})
        base = rec.get("kratom_sentences")
        if base:
            t.meta["sentences"] = base
        links: list[tuple[str, list[Any]]] = []
        spans = rec.get("spans") or []
        if not isinstance(spans, list):
            probs.append(FormatError("'spans' is not a list", source=source, task=name))
            continue
        for i, sp in enumerate(spans, 1):
            if not isinstance(sp, dict):
                probs.append(FormatError(f"span #{i} is not an object", source=source, task=name))
                continue
            label = str(sp.get("label", ""))
            off = check_span(text, sp.get("start"), sp.get("end"), sp.get("text"),
                             source=source, task=name, what=f"span #{i} ({label})")
            if off is not None:
                probs.append(off)
                continue
            key = label.upper().replace(" ", "_")
            rid = f"p{i}"
            if key in _ROLE_OF:
                attrs = {k: _bool(sp[k]) if k in _BOOL_ATTRS else sp[k]
                         for k in SENTENCE_ATTRS if k in sp and sp[k] is not None}
                for k in _BOOL_ATTRS:
                    if k in attrs and not isinstance(attrs[k], bool):
                        probs.append(UnknownLabelError(
                            f"span #{i}: {k} must be true/false, got {clip(attrs[k])}",
                            source=source, task=name))
                t.sentences.append(SentRegion(rid, sp["start"], sp["end"], _ROLE_OF[key], attrs))
                refs = sp.get("cues") or []
                links.extend((rid, ref) for ref in refs)
            elif key in _LEVEL_OF:
                t.cues.append(CueRegion(rid, sp["start"], sp["end"], _LEVEL_OF[key]))
            else:
                probs.append(UnknownLabelError(
                    f"span #{i}: unknown label {clip(label)} (expected {PRODIGY_CLAIM}, "
                    f"{PRODIGY_NON_CLAIM} or a cue level such as CLINICAL_TRIAL)",
                    source=source, task=name))
        by_key = {(c.start, c.end, c.level): c.rid for c in t.cues}
        for rid, ref in links:
            if isinstance(ref, dict):
                ref = [ref.get("start"), ref.get("end"), ref.get("level")]
            if not (isinstance(ref, list) and len(ref) == 3):
                probs.append(FormatError(f"span {rid}: a cue reference is [start, end, level], "
                                         f"got {ref!r:.40}", source=source, task=name))
                continue
            cid = by_key.get((ref[0], ref[1], str(ref[2]).lower()))
            if cid is None:
                notes.append(f"task {name}: cue {ref} cited by a sentence span is no longer "
                             "among the spans (deleted in Prodigy); not linked")
                continue
            t.links.append((rid, cid))
        t.annotator = rec.get("_annotator_id") or rec.get("_session_id") or None
        cands.append(Candidate(name, t, t.annotator, str(rec.get("_timestamp") or "")))
    return cands, notes, probs
