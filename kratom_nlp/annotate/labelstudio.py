"""Label Studio's documented JSON formats, read and written directly (no SDK).

Export writes the *JSON* task format (a list of tasks ``{"id", "data", "predictions",
"annotations"}``) and the matching labeling config; import reads Label Studio's *JSON* export
(``annotations[].result``) and its flat *JSON_MIN* export. See ``docs/annotation.md`` for the
regions, per-region choices and relations used.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import quoteattr

from kratom_nlp.annotate.core import CueRegion, SentRegion, TaskLabels, check_span
from kratom_nlp.annotate.errors import (
    AnnotateError,
    FormatError,
    LossyImportError,
    UnknownLabelError,
    clip,
)
from kratom_nlp.annotate.labels import (
    CLAIM,
    CUE_CONTROL,
    CUE_LEVELS,
    DOC_CHOICES,
    NON_CLAIM,
    REASON_CONTROL,
    REGION_CHOICES,
    ROLES,
    SENTENCE_CONTROL,
)

TO_NAME = "text"
_ATTR_OF_CONTROL = {"claim_type": "claim_type", "evidence": "evidence", "strength": "strength",
                    "advice": "advice", "overclaim": "overclaim", "context": "from_context"}
_BOOL_CONTROLS = {"advice", "overclaim", "context"}
_CUE_COLOURS = {"systematic_review": "#1b7837", "clinical_trial": "#5aae61",
                "observational": "#a6dba0", "preclinical": "#c2a5cf", "anecdotal": "#e7d4e8",
                "expert_opinion": "#fdb863", "unspecified": "#d9d9d9", "regulatory": "#92c5de"}


# --------------------------------------------------------------------------- config

def label_config() -> str:
    """The Label Studio labeling config (XML) matching the exported tasks."""
    def choices(name: str, values: tuple[str, ...], *, per_region: bool, pad: str) -> str:
        opts = "".join(f'\n{pad}  <Choice value={quoteattr(v)}/>' for v in values)
        pr = ' perRegion="true"' if per_region else ""
        return (f'{pad}<Header value={quoteattr(name.replace("_", " ").capitalize())} '
                f'size="6"/>\n'
                f'{pad}<Choices name={quoteattr(name)} toName="{TO_NAME}" choice="single" '
                f'showInline="true"{pr}>{opts}\n{pad}</Choices>\n')

    cues = "".join(f'\n    <Label value={quoteattr(lv)} background="{_CUE_COLOURS[lv]}"/>'
                   for lv in CUE_LEVELS)
    parts = [
        "<View>\n",
        f'  <Labels name="{SENTENCE_CONTROL}" toName="{TO_NAME}">\n'
        f'    <Label value="{CLAIM}" background="#d6604d"/>\n'
        f'    <Label value="{NON_CLAIM}" background="#878787"/>\n  </Labels>\n',
        f'  <Labels name="{CUE_CONTROL}" toName="{TO_NAME}">{cues}\n  </Labels>\n',
        f'  <Text name="{TO_NAME}" value="$text" granularity="symbol"/>\n',
        f'  <View visibleWhen="region-selected" whenTagName="{SENTENCE_CONTROL}">\n',
    ]
    for name, values in REGION_CHOICES.items():
        parts.append(choices(name, values, per_region=True, pad="    "))
    parts.append(f'    <Header value="Overclaim reason" size="6"/>\n'
                 f'    <TextArea name="{REASON_CONTROL}" toName="{TO_NAME}" perRegion="true" '
                 'editable="true" maxSubmissions="1" rows="2"/>\n  </View>\n')
    for name, values in DOC_CHOICES.items():
        parts.append(choices(name, values, per_region=False, pad="  "))
    parts.append("</View>\n")
    return "".join(parts)


# --------------------------------------------------------------------------- export

def _yn(v: Any) -> str:
    return "yes" if v else "no"


def to_result(t: TaskLabels, *, with_doc_choices: bool = True) -> list[dict[str, Any]]:
    """The ``result`` list of an annotation or prediction for ``t``'s regions."""
    text = t.text
    res: list[dict[str, Any]] = []

    def base(rid: str, control: str, kind: str, value: dict[str, Any]) -> dict[str, Any]:
        return {"id": rid, "from_name": control, "to_name": TO_NAME, "type": kind,
                "value": value}

    for r in t.sentences:
        item = base(r.rid, SENTENCE_CONTROL, "labels",
                    {"start": r.start, "end": r.end, "text": text[r.start:r.end],
                     "labels": [r.role]})
        if r.score is not None:
            item["score"] = round(float(r.score), 4)
        res.append(item)
        for control, attr in _ATTR_OF_CONTROL.items():
            if attr not in r.attrs or r.attrs[attr] is None:
                continue
            v = r.attrs[attr]
            value = _yn(v) if control in _BOOL_CONTROLS else v
            res.append(base(r.rid, control, "choices",
                            {"start": r.start, "end": r.end, "choices": [value]}))
        if r.attrs.get("overclaim_reason"):
            res.append(base(r.rid, REASON_CONTROL, "textarea",
                            {"start": r.start, "end": r.end,
                             "text": [r.attrs["overclaim_reason"]]}))
    for c in t.cues:
        item = base(c.rid, CUE_CONTROL, "labels",
                    {"start": c.start, "end": c.end, "text": text[c.start:c.end],
                     "labels": [c.level]})
        if c.score is not None:
            item["score"] = round(float(c.score), 4)
        res.append(item)
    for sid, cid in t.links:
        res.append({"from_id": sid, "to_id": cid, "type": "relation", "direction": "right"})
    if with_doc_choices:
        for name, allowed in DOC_CHOICES.items():
            v = t.doc.get(name) or t.meta.get(name)
            if v in allowed:
                res.append(base(name, name, "choices", {"choices": [v]}))
    return res


def make_task(task_id: int, data: dict[str, Any], *, annotation: TaskLabels | None = None,
              prediction: TaskLabels | None = None, model_version: str = "",
              score: float | None = None) -> dict[str, Any]:
    """One Label Studio task; gold labels go to ``annotations``, the model's to ``predictions``."""
    task: dict[str, Any] = {"id": task_id, "data": data}
    if prediction is not None:
        pred: dict[str, Any] = {"model_version": model_version,
                                "result": to_result(prediction, with_doc_choices=False)}
        if score is not None:
            pred["score"] = round(float(score), 4)
        task["predictions"] = [pred]
    else:
        task["predictions"] = []
    if annotation is not None:
        task["annotations"] = [{"result": to_result(annotation), "was_cancelled": False,
                                "ground_truth": False}]
    return task


# --------------------------------------------------------------------------- import

@dataclass
class Candidate:
    """One annotation of one task, read from a file (the importer chooses among them)."""

    task: str
    labels: TaskLabels
    annotator: str | None
    created: str


def annotator_of(completed_by: Any) -> str | None:
    """An annotator name from Label Studio's ``completed_by`` (an email or a user id)."""
    if isinstance(completed_by, dict):
        for key in ("email", "username", "id"):
            if completed_by.get(key) not in (None, ""):
                v = completed_by[key]
                return f"ls-user-{v}" if key == "id" else str(v)
        return None
    if isinstance(completed_by, bool) or completed_by is None:
        return None
    if isinstance(completed_by, int):
        return f"ls-user-{completed_by}"
    return str(completed_by) or None


def _task_text(data: Any, name: str, source: str) -> tuple[str, dict[str, Any], str]:
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        raise FormatError("no data.text string (is this a Label Studio text task?)",
                          source=source, task=name)
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    aid = data.get("article_id") or meta.get("article_id")
    return data["text"], meta, str(aid) if aid else ""


def parse_result(result: Any, t: TaskLabels, source: str) -> list[AnnotateError]:
    """Fill ``t`` from a Label Studio ``result`` list; returns the problems found."""
    probs: list[AnnotateError] = []
    if not isinstance(result, list):
        return [FormatError("annotation result is not a list", source=source, task=t.task)]

    def err(cls: type[AnnotateError], msg: str) -> None:
        probs.append(cls(msg, source=source, task=t.task))

    sent: dict[str, SentRegion] = {}
    cues: dict[str, CueRegion] = {}
    later: list[dict[str, Any]] = []
    bad: set[str] = set()  # regions already reported (their choices are not reported again)
    for item in result:
        if not isinstance(item, dict):
            err(FormatError, f"result item {item!r:.60} is not an object")
            continue
        kind = item.get("type")
        if kind == "relation":
            later.append(item)
            continue
        if kind in ("choices", "textarea"):
            later.append(item)
            continue
        if kind != "labels":
            err(UnknownLabelError, f"result type {clip(kind)} (region {clip(item.get('id'))}) "
                "is not part of the labeling config")
            continue
        rid, control, value = str(item.get("id")), item.get("from_name"), item.get("value")
        bad.add(rid)  # until the region is accepted below
        if not isinstance(value, dict):
            err(FormatError, f"region {rid}: no value object")
            continue
        labels = value.get("labels") or []
        if control not in (SENTENCE_CONTROL, CUE_CONTROL):
            err(UnknownLabelError, f"region {rid}: unknown labels control {clip(control)} "
                f"(expected {SENTENCE_CONTROL!r} or {CUE_CONTROL!r})")
            continue
        if len(labels) != 1:
            err(LossyImportError, f"region {rid} ({control}) has {len(labels)} labels "
                f"{labels}; the corpus holds exactly one per region")
            continue
        off = check_span(t.text, value.get("start"), value.get("end"), value.get("text"),
                         source=source, task=t.task, what=f"region {rid}")
        if off is not None:
            probs.append(off)
            continue
        if rid in sent or rid in cues:
            err(FormatError, f"region id {rid} used twice")
            continue
        allowed = ROLES if control == SENTENCE_CONTROL else CUE_LEVELS
        if labels[0] not in allowed:
            err(UnknownLabelError, f"region {rid}: unknown {control} label {clip(labels[0])} "
                f"(expected one of {list(allowed)})")
            continue
        bad.discard(rid)
        if control == SENTENCE_CONTROL:
            sent[rid] = SentRegion(rid, value["start"], value["end"], labels[0])
        else:
            cues[rid] = CueRegion(rid, value["start"], value["end"], labels[0])
    for item in later:
        kind, rid, control = item.get("type"), str(item.get("id")), item.get("from_name")
        value = item.get("value") if isinstance(item.get("value"), dict) else {}
        if kind == "relation":
            a, b = str(item.get("from_id")), str(item.get("to_id"))
            if a in bad or b in bad:
                continue
            if a in sent and b in cues:
                t.links.append((a, b))
            elif b in sent and a in cues:
                t.links.append((b, a))
            else:
                err(LossyImportError, f"relation {a} -> {b} does not join a sentence region to a "
                    "cue region; the corpus cannot hold it")
            continue
        if kind == "choices":
            values = value.get("choices")
            if not isinstance(values, list) or len(values) != 1:
                err(LossyImportError, f"choice {clip(control)} of region {rid} has {clip(values)}; "
                    "exactly one value is expected")
                continue
            v = values[0]
            if control in DOC_CHOICES and rid not in sent:
                if v not in DOC_CHOICES[control]:
                    err(UnknownLabelError, f"unknown {control} {clip(v)} (expected one of "
                        f"{list(DOC_CHOICES[control])})")
                else:
                    t.doc[control] = v
                continue
            if control not in REGION_CHOICES:
                err(UnknownLabelError, f"unknown choices control {clip(control)} (region {rid})")
                continue
            if v not in REGION_CHOICES[control]:
                err(UnknownLabelError, f"region {rid}: unknown {control} choice {clip(v)} "
                    f"(expected one of {list(REGION_CHOICES[control])})")
                continue
            target = sent.get(rid)
            if rid in bad:
                continue
            if target is None:
                what = "a cue region" if rid in cues else "no sentence region"
                err(LossyImportError, f"choice {control}={clip(v)} is attached to {what} ({rid}); "
                    "the corpus cannot hold it")
                continue
            attr = _ATTR_OF_CONTROL[control]
            target.attrs[attr] = (v == "yes") if control in _BOOL_CONTROLS else v
            continue
        if kind == "textarea":
            if control != REASON_CONTROL:
                err(UnknownLabelError, f"unknown text area {clip(control)} (region {rid})")
                continue
            texts = value.get("text")
            texts = [texts] if isinstance(texts, str) else texts or []
            reason = " ".join(str(x).strip() for x in texts if str(x).strip())
            target = sent.get(rid)
            if rid in bad:
                continue
            if target is None:
                if reason:
                    err(LossyImportError, f"overclaim reason {reason[:40]!r} is attached to no "
                        f"sentence region ({rid})")
                continue
            if reason:
                target.attrs["overclaim_reason"] = reason
    t.sentences = list(sent.values())
    t.cues = list(cues.values())
    return probs


def read_json_tasks(data: Any, source: str) -> tuple[list[Candidate], list[str],
                                                      list[AnnotateError]]:
    """Candidates from a Label Studio *JSON* export; also notes (skipped tasks) and problems."""
    tasks = [data] if isinstance(data, dict) else data
    if not isinstance(tasks, list):
        raise FormatError("a Label Studio JSON export is a list of tasks", source=source)
    cands: list[Candidate] = []
    notes: list[str] = []
    probs: list[AnnotateError] = []
    for i, task in enumerate(tasks, 1):
        if not isinstance(task, dict) or "data" not in task:
            probs.append(FormatError("not a Label Studio task (no 'data')", source=source,
                                     task=f"#{i}"))
            continue
        name = str(task.get("id", f"#{i}"))
        try:
            text, meta, aid = _task_text(task["data"], name, source)
        except AnnotateError as exc:
            probs.append(exc)
            continue
        anns = task.get("annotations", task.get("completions")) or []
        anns = [a for a in anns if isinstance(a, dict)
                and not (a.get("was_cancelled") or a.get("skipped"))]
        if not anns:
            notes.append(f"task {name}: no annotation (predictions are not imported); skipped")
            continue
        for ann in anns:
            t = TaskLabels(task=name, article_id=aid or f"ls-task-{name}", text=text,
                           meta=dict(meta))
            probs.extend(parse_result(ann.get("result"), t, source))
            t.annotator = annotator_of(ann.get("completed_by"))
            cands.append(Candidate(name, t, t.annotator,
                                   str(ann.get("updated_at") or ann.get("created_at") or "")))
    return cands, notes, probs


_MIN_META = {"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time",
             "agreement", "history", "was_cancelled", "drafts", "predictions"}


def read_min_records(data: Any, source: str) -> tuple[list[Candidate], list[str],
                                                       list[AnnotateError]]:
    """Candidates from a Label Studio *JSON_MIN* export (one flat record per annotation).

    JSON_MIN keeps no region ids and no relations: per-region choices written as bare strings
    can be matched to their region only when the task has one sentence region (otherwise the
    file is refused), and cues attach to the sentence that contains them.
    """
    records = [data] if isinstance(data, dict) else data
    if not isinstance(records, list):
        raise FormatError("a Label Studio JSON_MIN export is a list of records", source=source)
    cands: list[Candidate] = []
    probs: list[AnnotateError] = []
    for i, rec in enumerate(records, 1):
        name = str(rec.get("id", f"#{i}")) if isinstance(rec, dict) else f"#{i}"
        if not isinstance(rec, dict):
            probs.append(FormatError("record is not an object", source=source, task=name))
            continue
        try:
            text, meta, aid = _task_text(rec, name, source)
        except AnnotateError as exc:
            probs.append(exc)
            continue
        t = TaskLabels(task=name, article_id=aid or f"ls-task-{name}", text=text, meta=dict(meta))
        result: list[dict[str, Any]] = []
        n = 0

        def as_list(v: Any) -> list[Any]:
            return v if isinstance(v, list) else [v]

        for control in (SENTENCE_CONTROL, CUE_CONTROL):
            for v in as_list(rec.get(control) or []):
                n += 1
                if not isinstance(v, dict):
                    probs.append(FormatError(f"{control} value {v!r:.40} is not a region",
                                             source=source, task=name))
                    continue
                result.append({"id": f"m{n}", "type": "labels", "from_name": control,
                               "value": v})
        sent_ids = {(r["value"].get("start"), r["value"].get("end")): r["id"]
                    for r in result if r["from_name"] == SENTENCE_CONTROL}
        for control in (*REGION_CHOICES, REASON_CONTROL):
            if control not in rec or rec[control] in (None, [], ""):
                continue
            kind = "textarea" if control == REASON_CONTROL else "choices"
            key = "text" if kind == "textarea" else "choices"
            for v in as_list(rec[control]):
                if isinstance(v, dict):
                    rid = sent_ids.get((v.get("start"), v.get("end")))
                    vals = v.get(key)
                else:
                    rid = next(iter(sent_ids.values())) if len(sent_ids) == 1 else None
                    vals = [v]
                if rid is None:
                    probs.append(LossyImportError(
                        f"JSON_MIN lost the region of {control}={v!r:.40} ({len(sent_ids)} "
                        "sentence regions); export the project as JSON instead",
                        source=source, task=name))
                    continue
                result.append({"id": rid, "type": kind, "from_name": control,
                               "value": {key: vals}})
        for control in DOC_CHOICES:
            if rec.get(control) not in (None, ""):
                v = rec[control]
                result.append({"id": control, "type": "choices", "from_name": control,
                               "value": {"choices": v if isinstance(v, list) else [v]}})
        unknown = [k for k in rec if k not in _MIN_META and k not in ("text", "article_id", "meta")
                   and k not in (SENTENCE_CONTROL, CUE_CONTROL, REASON_CONTROL,
                                 *REGION_CHOICES, *DOC_CHOICES)
                   and isinstance(rec[k], list) and rec[k] and isinstance(rec[k][0], dict)
                   and "start" in rec[k][0]]
        for k in unknown:
            probs.append(UnknownLabelError(f"unknown labels control {clip(k)}", source=source,
                                           task=name))
        probs.extend(parse_result(result, t, source))
        t.annotator = annotator_of(rec.get("annotator"))
        cands.append(Candidate(name, t, t.annotator,
                               str(rec.get("updated_at") or rec.get("created_at") or "")))
    return cands, [], probs
