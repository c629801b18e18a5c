"""doccano's sequence-labelling JSONL: ``{"text", "label": [[start, end, "Label"], ...]}`` or
``{"text", "entities": [{"id", "start_offset", "end_offset", "label"}], "relations": [...]}``.

doccano has no per-span attributes, so labels combine on identical offsets (labels are
case-insensitive): ``Claim`` / ``Non-claim`` mark a sentence; a claim type (``efficacy``...),
a strength (``direct_causal``...), ``advice``, ``overclaim`` or ``context`` on the same offsets
sets that label of the sentence (a claim type or strength alone implies ``Claim``); an evidence
level on the sentence's offsets is its evidence, on any other offsets an evidence cue. Relations
(``entities`` format) link sentences to cues. The overclaim reason cannot be written in doccano.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from kratom_nlp.annotate.core import CueRegion, SentRegion, TaskLabels, check_span
from kratom_nlp.annotate.errors import (
    AnnotateError,
    FormatError,
    InconsistentLabelsError,
    UnknownLabelError,
    clip,
)
from kratom_nlp.annotate.labels import CLAIM, CUE_LEVELS, NON_CLAIM
from kratom_nlp.annotate.labelstudio import Candidate
from kratom_nlp.annotate.prodigy import stable_hash
from kratom_nlp.taxonomy import CLAIM_TYPES, STRENGTHS

_ROLE = {"claim": CLAIM, "non-claim": NON_CLAIM, "non_claim": NON_CLAIM, "nonclaim": NON_CLAIM}
_FLAGS = {"advice": "advice", "overclaim": "overclaim", "context": "from_context",
          "from_context": "from_context"}


def _norm(label: str) -> str:
    return label.strip().lower().replace(" ", "_")


def _spans(rec: dict[str, Any]) -> tuple[list[tuple[str, int | Any, int | Any, str]],
                                         list[tuple[str, str]]]:
    spans: list[tuple[str, Any, Any, str]] = []
    rels: list[tuple[str, str]] = []
    if isinstance(rec.get("entities"), list):
        for i, e in enumerate(rec["entities"], 1):
            e = e if isinstance(e, dict) else {}
            spans.append((str(e.get("id", f"e{i}")), e.get("start_offset"), e.get("end_offset"),
                          str(e.get("label", ""))))
        for r in rec.get("relations") or []:
            if isinstance(r, dict):
                rels.append((str(r.get("from_id")), str(r.get("to_id"))))
    else:
        for i, item in enumerate(rec.get("label") or [], 1):
            if isinstance(item, list | tuple) and len(item) == 3:
                spans.append((f"d{i}", item[0], item[1], str(item[2])))
            else:
                spans.append((f"d{i}", None, None, repr(item)))
    return spans, rels


def read_records(lines: list[tuple[int, Any]], source: str) -> tuple[list[Candidate], list[str],
                                                                      list[AnnotateError]]:
    """Candidates from doccano JSONL; also notes and problems."""
    cands: list[Candidate] = []
    probs: list[AnnotateError] = []
    for n, rec in lines:
        if not isinstance(rec, dict) or not isinstance(rec.get("text"), str):
            probs.append(FormatError("not a doccano record (no 'text')", source=source,
                                     task=f"line {n}"))
            continue
        meta = rec.get("meta") if isinstance(rec.get("meta"), dict) else {}
        aid = rec.get("article_id") or meta.get("article_id")
        if not aid:
            aid = (f"doccano-{rec['id']}" if rec.get("id") is not None
                   else f"doccano-{stable_hash(rec['text']) & 0xFFFFFFFF:08x}")
        name = f"line {n} ({aid})"
        text = rec["text"]
        t = TaskLabels(task=name, article_id=str(aid), text=text,
                       meta={k: v for k, v in meta.items() if k != "article_id"})
        spans, rels = _spans(rec)
        groups: dict[tuple[int, int], list[tuple[str, str]]] = defaultdict(list)
        for sid, s, e, label in spans:
            off = check_span(text, s, e, None, source=source, task=name,
                             what=f"span {sid} ({label})")
            if off is not None:
                probs.append(off)
                continue
            groups[(s, e)].append((sid, _norm(label)))
        eid_to_region: dict[str, str] = {}
        for (s, e), members in sorted(groups.items()):
            labels = [lab for _, lab in members]
            sentence_like = [lab for lab in labels if lab in _ROLE or lab in CLAIM_TYPES
                             or lab in STRENGTHS or lab in _FLAGS]
            unknown = [lab for lab in labels if not (lab in _ROLE or lab in CLAIM_TYPES
                                                     or lab in STRENGTHS or lab in _FLAGS
                                                     or lab in CUE_LEVELS)]
            for lab in unknown:
                probs.append(UnknownLabelError(f"span {s}-{e}: unknown label {clip(lab)}",
                                               source=source, task=name))
            levels = [lab for lab in labels if lab in CUE_LEVELS]
            if sentence_like:
                roles = {_ROLE[lab] for lab in labels if lab in _ROLE}
                if len(roles) > 1:
                    probs.append(InconsistentLabelsError(f"span {s}-{e} is both Claim and "
                                                         "Non-claim", source=source, task=name))
                    continue
                role = roles.pop() if roles else CLAIM
                attrs: dict[str, Any] = {}
                for lab, key in (*((x, "claim_type") for x in CLAIM_TYPES),
                                 *((x, "strength") for x in STRENGTHS)):
                    if lab in labels:
                        if key in attrs:
                            probs.append(InconsistentLabelsError(
                                f"span {s}-{e} has two {key} labels", source=source, task=name))
                        attrs[key] = lab
                for lab, key in _FLAGS.items():
                    if lab in labels:
                        attrs[key] = True
                if len(levels) > 1:
                    probs.append(InconsistentLabelsError(f"span {s}-{e} has two evidence "
                                                         f"levels {levels}", source=source,
                                                         task=name))
                elif levels:
                    attrs["evidence"] = levels[0]
                rid = f"d{s}-{e}"
                t.sentences.append(SentRegion(rid, s, e, role, attrs))
            else:
                rid = None
                for sid, lab in members:
                    if lab in CUE_LEVELS:
                        cid = f"q{sid}"
                        t.cues.append(CueRegion(cid, s, e, lab))
                        eid_to_region[sid] = cid
                continue
            for sid, _ in members:
                eid_to_region[sid] = rid
        sent_ids = {r.rid for r in t.sentences}
        cue_ids = {c.rid for c in t.cues}
        for a, b in rels:
            ra, rb = eid_to_region.get(a), eid_to_region.get(b)
            if ra in sent_ids and rb in cue_ids:
                t.links.append((ra, rb))
            elif rb in sent_ids and ra in cue_ids:
                t.links.append((rb, ra))
            else:
                probs.append(InconsistentLabelsError(f"relation {a} -> {b} does not join a "
                                                     "sentence to a cue", source=source,
                                                     task=name))
        annotator = rec.get("annotator") or rec.get("user")
        t.annotator = str(annotator) if annotator not in (None, "") else None
        cands.append(Candidate(name, t, t.annotator, ""))
    return cands, [], probs
