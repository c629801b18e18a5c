"""What leaves the desk: Label Studio tasks for ``kratom-nlp annotate import``, and a CSV of
claims that is safe to open in a spreadsheet.

A reviewed article becomes one Label Studio *JSON* task (the format ``annotate export`` writes
and ``annotate import`` reads; see ``docs/annotation.md``): the reviewed claims as the task's
annotation (``completed_by`` = the reviewer, so the imported records carry them as annotator),
the pipeline's claims as its prediction, and the pipeline's sentence segmentation in
``meta.sentences``. A claim rejected as not a claim is left out of the annotation (its sentence
becomes a plain sentence); the reviewers' notes travel in ``meta.review``. Only articles whose
every claim is reviewed are exported: a claim nobody looked at is not gold.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from kratom_nlp.annotate.core import CueRegion, SentRegion, TaskLabels
from kratom_nlp.serve.review import effective_claim
from kratom_nlp.serve.store import ArticleRow, Review

ARTICLE_ID_PREFIX = "desk-"

CSV_COLUMNS: tuple[str, ...] = (
    "article_id", "claim_id", "start", "end", "text", "claim_type", "substances", "outcomes",
    "evidence_level", "evidence_cues", "from_context", "study", "strength", "certainty",
    "advice", "overclaim", "overclaim_reason", "overclaim_rule", "review_status", "reviewer",
    "review_note", "model_evidence_level", "model_strength", "model_overclaim",
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

__all__ = [
    "ARTICLE_ID_PREFIX", "CSV_COLUMNS", "article_task", "claims_csv", "claims_to_labels",
    "import_problems", "labelstudio_tasks", "neutralise",
]


# --------------------------------------------------------------------------- Label Studio

def claims_to_labels(text: str, article_id: str, claims: Iterable[dict[str, Any]],
                     meta: dict[str, Any] | None = None) -> TaskLabels:
    """Analysis-contract claims as Label Studio regions: one ``Claim`` region per claim (the
    claim id is the region id), one cue region per distinct cue, linked to the claims citing
    it (the same regions ``annotate export`` writes for the pipeline's claims)."""
    labels = TaskLabels(task=article_id, article_id=article_id, text=text, meta=dict(meta or {}))
    cue_ids: dict[tuple[int, int, str], str] = {}
    for claim in claims:
        evidence = claim.get("evidence") or {}
        over = claim.get("overclaim") or {}
        attrs: dict[str, Any] = {
            "claim_type": claim.get("claim_type") or "efficacy",
            "evidence": evidence.get("level") or "none",
            "strength": claim.get("strength") or "no_relationship",
            "advice": bool(claim.get("advice")), "overclaim": bool(over.get("flag")),
            "from_context": bool(evidence.get("from_context")),
        }
        if over.get("flag") and over.get("reason"):
            attrs["overclaim_reason"] = str(over["reason"])
        rid = str(claim["id"])
        labels.sentences.append(SentRegion(rid, int(claim["start"]), int(claim["end"]),
                                           "Claim", attrs))
        for cue in evidence.get("cues") or []:
            key = (int(cue["start"]), int(cue["end"]), str(cue["level"]))
            if key not in cue_ids:
                cue_ids[key] = f"q{len(cue_ids) + 1}"
                labels.cues.append(CueRegion(cue_ids[key], *key))
            labels.links.append((rid, cue_ids[key]))
    return labels


def _substance(claims: list[dict[str, Any]]) -> str | None:
    counts = Counter(s for c in claims for s in c.get("substances") or [])
    return counts.most_common(1)[0][0] if counts else None


def article_task(task_id: int, article: ArticleRow, reviews: dict[str, Review]
                 ) -> dict[str, Any]:
    """One Label Studio task for a reviewed article (see the module docstring)."""
    from kratom_nlp.annotate.core import segment
    from kratom_nlp.annotate.labelstudio import make_task

    analysis = article.analysis
    text = analysis["text"]
    article_id = ARTICLE_ID_PREFIX + article.id
    effective = [effective_claim(c, reviews.get(c["id"])) for c in analysis["claims"]]
    accepted = [c for c in effective if c["review"]["status"] == "accepted"]
    meta: dict[str, Any] = {"source": article.source,
                            "sentences": [list(s) for s in segment(text)]}
    if article.title:
        meta["title"] = article.title
    substance = _substance(analysis["claims"])
    if substance:
        meta["substance"] = substance
    meta["review"] = {
        "desk_article": article.id,
        "analysed_at": article.created_at,
        "claims": {c["id"]: {"status": c["review"]["status"],
                             "changed": c["review"]["changed"],
                             **({"note": c["review"]["note"]} if c["review"].get("note") else {})}
                   for c in effective},
    }
    annotation = claims_to_labels(text, article_id, accepted)
    prediction = claims_to_labels(text, article_id, analysis["claims"])
    task = make_task(task_id, {"text": text, "article_id": article_id, "meta": meta},
                     annotation=annotation, prediction=prediction,
                     model_version=article.model_version)
    reviewers = sorted({r.reviewer for r in reviews.values()})
    entry = task["annotations"][0]
    entry["completed_by"] = "+".join(reviewers) or "unknown"
    entry["created_at"] = min((r.created_at for r in reviews.values()), default=article.created_at)
    entry["updated_at"] = max((r.updated_at for r in reviews.values()), default=article.created_at)
    return task


def labelstudio_tasks(items: Iterable[tuple[ArticleRow, dict[str, Review]]]
                      ) -> list[dict[str, Any]]:
    """Label Studio tasks for the articles whose every claim is reviewed."""
    tasks: list[dict[str, Any]] = []
    for article, reviews in items:
        ids = {c["id"] for c in article.analysis["claims"]}
        if ids and ids <= set(reviews):
            tasks.append(article_task(len(tasks) + 1, article, reviews))
    return tasks


def import_problems(task: dict[str, Any]) -> list[str]:
    """What ``kratom-nlp annotate import`` would refuse in ``task`` (nothing, for a task of
    :func:`article_task`: the export checks each task with the importer's own code)."""
    from kratom_nlp.annotate.core import build_record
    from kratom_nlp.annotate.errors import ImportFailed
    from kratom_nlp.annotate.labelstudio import read_json_tasks

    candidates, _, problems = read_json_tasks([task], "<export>")
    found = [str(p) for p in problems]
    for candidate in candidates:
        try:
            build_record(candidate.labels, source="<export>")
        except ImportFailed as exc:
            found.extend(str(p) for p in exc.problems)
    return found


# --------------------------------------------------------------------------- CSV

def neutralise(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP "CSV injection"): text starting
    with ``=``, ``+``, ``-``, ``@``, tab or carriage return (or their full-width forms) gets a
    leading apostrophe."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _cell(value: Any) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    return neutralise(str(value))


def claims_csv(article_id: str, claims: Iterable[dict[str, Any]]) -> str:
    """A CSV of claims (effective claims, with their ``review`` block), one row per claim."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for claim in claims:
        evidence = claim.get("evidence") or {}
        over = claim.get("overclaim") or {}
        review = claim.get("review") or {}
        model = review.get("model") or {}
        cues = [json.dumps(c.get("text"), ensure_ascii=False) for c in evidence.get("cues") or []]
        row = {
            "article_id": article_id, "claim_id": claim.get("id"), "start": claim.get("start"),
            "end": claim.get("end"), "text": claim.get("text"),
            "claim_type": claim.get("claim_type"), "substances": claim.get("substances") or [],
            "outcomes": claim.get("outcomes") or [], "evidence_level": evidence.get("level"),
            "evidence_cues": cues, "from_context": bool(evidence.get("from_context")),
            "study": evidence.get("study"), "strength": claim.get("strength"),
            "certainty": claim.get("certainty"), "advice": bool(claim.get("advice")),
            "overclaim": bool(over.get("flag")), "overclaim_reason": over.get("reason"),
            "overclaim_rule": over.get("rule"), "review_status": review.get("status"),
            "reviewer": review.get("reviewer"), "review_note": review.get("note"),
            "model_evidence_level": model.get("evidence"),
            "model_strength": model.get("strength"), "model_overclaim": model.get("overclaim"),
        }
        writer.writerow([_cell(row[c]) for c in CSV_COLUMNS])
    return buffer.getvalue()
