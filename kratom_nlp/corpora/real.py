"""The real-text gold corpus: articles written by others, annotated stand-off.

The texts belong to their publishers (FakeHealth, Dai, Sun & Wang 2020), so the repository keeps
only what the project wrote about them: per article the document id, the sha256 of its text,
sentence offsets and labels, evidence cue offsets (which may point into an earlier sentence that
describes the study), and the studies the article describes. The loader reads the texts from a
local copy of the FakeHealth ``real_news`` files, checks every hash, and refuses an article whose
text is missing or differs.

Layout under ``corpora/real/``::

    splits.json                 real train / dev / test (by article; pool ids and annotated ids)
    gold/<id>.json              the adjudicated labels (stand-off)
    annotations/{A,B}/<id>.json each annotator's labels before adjudication (stand-off)
    adjudication.md             what was changed when A and B were reconciled

The annotators labelled *worksheets* (numbered sentences shown with their text, kept outside the
repository) in a compact form; :func:`compile_labels` turns such a label file into a stand-off
record with exact offsets, and :func:`validate_record` checks a record against the taxonomy.

:func:`load` gives the articles with their texts resolved and hash-checked (also reachable as
``kratom_nlp.corpora.load(corpus="real")``); :func:`counts` the label counts per split
(``kratom-nlp corpus stats --real``). ``corpora/real/README.md`` is the data card.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kratom_nlp.errors import CorpusError
from kratom_nlp.fileio import json_line_problem
from kratom_nlp.paths import corpora_dir
from kratom_nlp.taxonomy import CLAIM_TYPES, EVIDENCE_LEVELS, STRENGTHS
from kratom_nlp.text.geometry import line_kind

SPLITS = ("train", "dev", "test")
LAYERS = ("gold", "A", "B")
DATA_ENV = "KRATOM_NLP_REAL_NEWS"
DEFAULT_DATA_DIR = Path("../shared/data/real_news")
def real_root() -> Path:
    """The real corpus folder: ``$KRATOM_NLP_CORPORA/real``, else ``./corpora/real``."""
    return corpora_dir() / "real"
_HOW_TO_POINT = (f"pass --data-dir DIR (data_dir= in Python) or set {DATA_ENV}=DIR to a folder "
                 "holding healthrelease_pool.jsonl and healthstory_pool.jsonl; the default is "
                 f"{DEFAULT_DATA_DIR} relative to the working directory "
                 "(corpora/real/README.md says how to get FakeHealth)")
POOL_FILES = {"healthrelease_pool.jsonl": "release", "healthstory_pool.jsonl": "story"}
FORMAT_VERSION = "1.0"

STUDY_KINDS: tuple[str, ...] = (
    "meta_analysis", "systematic_review", "review", "randomised_trial", "controlled_trial",
    "trial", "cohort", "case_control", "cross_sectional", "survey", "case_report",
    "case_series", "records_analysis", "single_arm", "animal", "cell", "lab",
    "adverse_event_reports", "regulatory_review", "modelling", "other",
)
POPULATIONS: tuple[str, ...] = ("human", "animal", "cell", "unknown")
KINDS: tuple[str, ...] = ("sentence", "heading", "bullet", "boilerplate")


class RealCorpusError(CorpusError):
    """A real-corpus record or text is missing, altered or invalid; the message says which."""


# --------------------------------------------------------------------------- texts
def data_dir(path: str | Path | None = None) -> Path:
    """Where the FakeHealth ``real_news`` files are: ``path``, else ``$KRATOM_NLP_REAL_NEWS``,
    else ``../shared/data/real_news`` (relative to the working directory)."""
    if path is not None:
        return Path(path)
    env = os.environ.get(DATA_ENV)
    return Path(env) if env else DEFAULT_DATA_DIR


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_pool(path: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """Every pool article by id (``text``, ``title``, ``source`` release|story, the reviewers'
    ``criteria`` and ``rating``). Raises :class:`RealCorpusError` when the files are missing."""
    root = data_dir(path)
    out: dict[str, dict[str, Any]] = {}
    missing = [name for name in POOL_FILES if not (root / name).is_file()]
    if missing:
        raise RealCorpusError(
            f"the FakeHealth texts are not at {root} (missing {', '.join(missing)}); "
            + _HOW_TO_POINT)
    for name, source in POOL_FILES.items():
        with (root / name).open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line.rstrip("\r\n"))
                except json.JSONDecodeError as exc:
                    raise RealCorpusError(f"{root / name}:{n}: "
                                          f"{json_line_problem(line, exc)}") from exc
                out[r["id"]] = {"id": r["id"], "source": source, "title": r.get("title", ""),
                                "text": r["text"], "criteria": r.get("criteria") or {},
                                "rating": r.get("rating"), "url": r.get("url")}
    return out


def resolve_text(record: dict[str, Any], pool: dict[str, dict[str, Any]]) -> str:
    """The text of a stand-off record, after checking its hash."""
    doc_id = record["id"]
    if doc_id not in pool or not isinstance(pool[doc_id].get("text"), str):
        raise RealCorpusError(f"{doc_id}: text not found in the local FakeHealth files; is the "
                              "data folder complete? " + _HOW_TO_POINT)
    text = pool[doc_id]["text"]
    if text_sha256(text) != record["sha256"]:
        raise RealCorpusError(f"{doc_id}: the local text differs from the one annotated "
                              f"(sha256 {text_sha256(text)[:12]}… ≠ {record['sha256'][:12]}…); "
                              "the offsets would not fit, refusing it. Use the unmodified "
                              "FakeHealth real_news files: " + _HOW_TO_POINT)
    return text


# --------------------------------------------------------------------------- worksheets
def segment(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a text, with the pipeline segmenter's rules."""
    from kratom_nlp.pipeline.segmenter import DEFAULT_ABBREVIATIONS, sentence_spans

    return sentence_spans(text, frozenset(a.lower() for a in DEFAULT_ABBREVIATIONS))


def guess_kind(text: str, start: int, end: int) -> str:
    """heading, bullet or sentence: the pipeline's own definition (text geometry)."""
    return line_kind(text, start, end)


def worksheet(doc_id: str, pool: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What an annotator sees: numbered sentences with their text and guessed kind (never
    stored in the repository)."""
    art = pool[doc_id]
    text = art["text"]
    sents = [{"i": i, "start": s, "end": e, "kind": guess_kind(text, s, e), "text": text[s:e]}
             for i, (s, e) in enumerate(segment(text))]
    return {"id": doc_id, "source": art["source"], "title": art["title"],
            "sha256": text_sha256(text), "sentences": sents}


def render_worksheet(ws: dict[str, Any]) -> str:
    lines = [f"# {ws['id']} ({ws['source']}): {ws['title']}", ""]
    for s in ws["sentences"]:
        tag = "" if s["kind"] == "sentence" else f" ({s['kind']})"
        lines.append(f"[{s['i']}]{tag} {s['text']}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- compile labels
def _find(text: str, needle: str, start: int, end: int, where: str) -> tuple[int, int]:
    """Offsets of ``needle`` inside ``text[start:end]`` (exact, else whitespace/quote-tolerant)."""
    seg = text[start:end]
    i = seg.find(needle)
    if i < 0:
        pattern = re.escape(needle.strip())
        pattern = re.sub(r"(\\ )+", r"\\s+", pattern)
        for a, b in (("'", "['’‘]"), ('"', "[\"“”]")):
            pattern = pattern.replace(re.escape(a), b)
        m = re.search(pattern, seg, flags=re.I)
        if not m:
            raise RealCorpusError(f"{where}: {needle!r} is not in that sentence")
        return start + m.start(), start + m.end()
    return start + i, start + i + len(needle)


def compile_labels(labels: dict[str, Any], ws: dict[str, Any], annotator: str) -> dict[str, Any]:
    """Turn an annotator's compact label file into a stand-off record (offsets, no text).

    ``labels``: ``{"id", "studies": [{"id", "sent", "text", "design", "kind", "population",
    "n", "body"}], "sentences": {"<i>": {"claim": false} | {"kind": "heading"} |
    {"claim": true, "type", "ev", "cues": [{"sent", "text", "level"}], "study", "str", "adv",
    "over"}}, "notes"}``.
    """
    doc_id = ws["id"]
    sents = ws["sentences"]
    text_of = {s["i"]: s for s in sents}

    def locate(sent_i: int, needle: str, where: str) -> tuple[int, int]:
        if sent_i not in text_of:
            raise RealCorpusError(f"{where}: no sentence {sent_i}")
        s = text_of[sent_i]
        a, b = _find(s["text"], needle, 0, len(s["text"]), where)
        return s["start"] + a, s["start"] + b

    studies = []
    for st in labels.get("studies", []):
        where = f"{doc_id} study {st.get('id')}"
        a, b = locate(int(st["sent"]), st["text"], where)
        studies.append({"id": st["id"], "start": a, "end": b, "sentence": int(st["sent"]),
                        "design": st["design"], "kind": st.get("kind") or "other",
                        "population": st.get("population") or "unknown",
                        "n": st.get("n"), "body": st.get("body")})
    study_by_id = {s["id"]: s for s in studies}
    raw = labels.get("sentences", {})
    out_sents = []
    for s in sents:
        lab = raw.get(str(s["i"]))
        where = f"{doc_id} sentence {s['i']}"
        if lab is None:
            raise RealCorpusError(f"{where}: not labelled (every sentence needs an entry)")
        kind = lab.get("kind", s["kind"])
        claim = bool(lab.get("claim", False))
        rec: dict[str, Any] = {"start": s["start"], "end": s["end"], "kind": kind,
                               "claim": claim, "claim_type": None, "evidence": "none",
                               "cues": [], "from_context": False, "study": None,
                               "strength": "no_relationship", "advice": False,
                               "overclaim": False, "overclaim_reason": None}
        if claim:
            ev = lab.get("ev", "none")
            cues = []
            for c in lab.get("cues", []) or []:
                if isinstance(c, str):
                    c = {"text": c}
                ci = int(c.get("sent", s["i"]))
                a, b = locate(ci, c["text"], where)
                cues.append({"start": a, "end": b, "level": c.get("level", ev)})
            study = lab.get("study")
            if study is not None and study not in study_by_id:
                raise RealCorpusError(f"{where}: unknown study {study!r}")
            if study is not None and not cues and ev != "none":
                st = study_by_id[study]
                cues.append({"start": st["start"], "end": st["end"], "level": ev})
            over = lab.get("over")
            rec.update({
                "claim_type": lab.get("type"), "evidence": ev, "cues": cues,
                "from_context": any(not (s["start"] <= c["start"] < s["end"]) for c in cues),
                "study": study, "strength": lab.get("str", "no_relationship"),
                "advice": bool(lab.get("adv", False)), "overclaim": bool(over),
                "overclaim_reason": over or None,
            })
        out_sents.append(rec)
    record = {"id": doc_id, "source": ws["source"], "sha256": ws["sha256"],
              "annotator": annotator, "version": FORMAT_VERSION, "studies": studies,
              "sentences": out_sents}
    errors = validate_record(record)
    if errors:
        raise RealCorpusError("; ".join(errors))
    return record


def validate_record(record: dict[str, Any], text: str | None = None) -> list[str]:
    """Every problem of a stand-off record (empty when valid). With ``text``, also checks that
    offsets fall inside it and on word boundaries."""
    errs: list[str] = []
    rid = record.get("id", "?")
    studies = {s["id"]: s for s in record.get("studies", [])}
    for st in studies.values():
        where = f"{rid} study {st['id']}"
        if st["design"] not in EVIDENCE_LEVELS or st["design"] == "none":
            errs.append(f"{where}: design {st['design']!r} is not an evidence level")
        if st["kind"] not in STUDY_KINDS:
            errs.append(f"{where}: kind {st['kind']!r} not in {STUDY_KINDS}")
        if st["population"] not in POPULATIONS:
            errs.append(f"{where}: population {st['population']!r} not in {POPULATIONS}")
        if st.get("n") is not None and not (isinstance(st["n"], int) and st["n"] > 0):
            errs.append(f"{where}: n must be a positive integer or null")
    prev_end = -1
    for i, s in enumerate(record.get("sentences", [])):
        where = f"{rid} sentence {i}"
        if s["start"] < prev_end or s["end"] <= s["start"]:
            errs.append(f"{where}: offsets overlap or are empty")
        prev_end = s["end"]
        if s["kind"] not in KINDS:
            errs.append(f"{where}: kind {s['kind']!r} not in {KINDS}")
        if s["evidence"] not in EVIDENCE_LEVELS:
            errs.append(f"{where}: evidence {s['evidence']!r} unknown")
        if s["strength"] not in STRENGTHS:
            errs.append(f"{where}: strength {s['strength']!r} unknown")
        if not s["claim"]:
            if s["evidence"] != "none" or s["cues"] or s["advice"] or s["overclaim"] \
                    or s["study"] or s["claim_type"] or s["strength"] != "no_relationship":
                errs.append(f"{where}: a non-claim carries claim labels")
            continue
        if s["kind"] in ("heading", "boilerplate"):
            errs.append(f"{where}: a {s['kind']} cannot be a claim")
        if s["claim_type"] not in CLAIM_TYPES:
            errs.append(f"{where}: claim type {s['claim_type']!r} not in {CLAIM_TYPES}")
        if s["advice"] and s["claim_type"] != "advice":
            errs.append(f"{where}: advice claims have type 'advice'")
        if s["claim_type"] == "advice" and not s["advice"]:
            errs.append(f"{where}: type 'advice' needs adv true")
        if s["evidence"] != "none" and not s["cues"]:
            errs.append(f"{where}: evidence {s['evidence']!r} needs a cue (or a study)")
        if s["evidence"] == "none" and s["cues"]:
            errs.append(f"{where}: cues given but evidence is 'none'")
        for c in s["cues"]:
            if c["level"] not in EVIDENCE_LEVELS or c["level"] == "none":
                errs.append(f"{where}: cue level {c['level']!r} unknown")
        if s["study"] is not None and s["study"] not in studies:
            errs.append(f"{where}: unknown study {s['study']!r}")
        if s["overclaim"] and not (s["overclaim_reason"] or "").strip():
            errs.append(f"{where}: an overclaim needs a reason")
        if s["overclaim"] and s["claim_type"] == "risk":
            errs.append(f"{where}: a risk statement is never an overclaim")
    if text is not None:
        spans = [(s["start"], s["end"]) for s in record["sentences"]]
        spans += [(c["start"], c["end"]) for s in record["sentences"] for c in s["cues"]]
        spans += [(st["start"], st["end"]) for st in studies.values()]
        for a, b in spans:
            if not (0 <= a < b <= len(text)):
                errs.append(f"{rid}: span {a}:{b} outside the text")
            elif (a > 0 and text[a - 1].isalnum() and text[a].isalnum()) or \
                    (b < len(text) and text[b - 1].isalnum() and text[b].isalnum()):
                errs.append(f"{rid}: span {a}:{b} ({text[a:b][:30]!r}) cuts a word")
    return errs


# --------------------------------------------------------------------------- loading
@dataclass(frozen=True)
class RealCorpus:
    """The folder of the real corpus: ``splits.json``, ``gold/``, ``annotations/``."""

    root: Path = field(default_factory=real_root)

    def _document(self) -> dict[str, Any]:
        return json.loads((self.root / "splits.json").read_text(encoding="utf-8"))

    @property
    def splits(self) -> dict[str, Any]:
        return self._document()["splits"]

    def ids(self, split: str) -> list[str]:
        """The annotated ids of a split (``train``, ``dev``, ``test``), or of one annotation
        round of it: ``dev@0`` the first selection, ``dev@1`` the split's first extension
        (``select_articles.py --extend``), and so on. A round added to dev or test is reported
        on its own as well, since a figure compared across rounds must be measured on the
        same articles (``ANNOTATING.md`` §4)."""
        name, at, which = split.partition("@")
        if name not in SPLITS:
            raise RealCorpusError(f"unknown split {split!r}: one of {', '.join(SPLITS)}, "
                                  "optionally with @ROUND (dev@0, dev@1, …)")
        doc = self._document()
        annotated = list(doc["splits"][name]["annotated"])
        if not at:
            return annotated
        rounds = self._rounds(doc, name)
        if not which.isdigit() or int(which) >= len(rounds):
            raise RealCorpusError(f"split {split!r}: {name} has rounds 0–{len(rounds) - 1}")
        chosen = set(rounds[int(which)])
        return [i for i in annotated if i in chosen]

    def rounds(self, split: str) -> list[list[str]]:
        """The annotated ids of a split by annotation round: the first selection, then each
        extension recorded in ``splits.json`` in order."""
        return self._rounds(self._document(), split)

    @staticmethod
    def _rounds(doc: dict[str, Any], split: str) -> list[list[str]]:
        added = [sorted(e["added"]) for e in doc.get("extensions", []) if e["split"] == split]
        later = {i for ids in added for i in ids}
        first = [i for i in doc["splits"][split]["annotated"] if i not in later]
        return [first, *added]

    def record_path(self, doc_id: str, layer: str = "gold") -> Path:
        folder = self.root / "gold" if layer == "gold" else self.root / "annotations" / layer
        return folder / f"{doc_id}.json"

    def split_of(self) -> dict[str, str]:
        """Split of every annotated article id."""
        return {i: s for s in SPLITS for i in self.ids(s)}

    def records(self, split: str | None = None, layer: str = "gold") -> Iterator[dict[str, Any]]:
        """The stand-off records of a layer (``gold``, ``A`` or ``B``), in split order. The
        gold layer covers every annotated article (a missing record is an error); the
        annotator layers yield the articles they have."""
        if layer not in LAYERS:
            raise RealCorpusError(f"unknown layer {layer!r}: one of {', '.join(LAYERS)}")
        ids = self.ids(split) if split else [i for s in SPLITS for i in self.ids(s)]
        for doc_id in ids:
            path = self.record_path(doc_id, layer)
            if path.is_file():
                yield json.loads(path.read_text(encoding="utf-8"))
            elif layer == "gold":
                raise RealCorpusError(f"{doc_id}: no gold record at {path}")


def resolve_record(record: dict[str, Any], pool: dict[str, dict[str, Any]],
                   split: str | None = None) -> dict[str, Any]:
    """A stand-off record with its text filled in, in the shape of the written gold corpus
    (``text``, ``sentences[*].text``, ``cues[*].text``, ``studies[*].text``)."""
    text = resolve_text(record, pool)
    art = pool[record["id"]]
    sents = []
    for s in record["sentences"]:
        sents.append({**s, "text": text[s["start"]:s["end"]],
                      "cues": [{**c, "text": text[c["start"]:c["end"]]} for c in s["cues"]]})
    studies = [{**st, "text": text[st["start"]:st["end"]]} for st in record["studies"]]
    return {"id": record["id"], "title": art["title"], "genre": (
        "press_release" if art["source"] == "release" else "news"), "source": art["source"],
        "substance": "", "text": text, "sentences": sents, "studies": studies,
        "annotator": record.get("annotator"), "split": split, "criteria": art["criteria"],
        "rating": art["rating"], "sha256": record["sha256"]}


def load(split: str | None = None, data_dir: str | Path | None = None, layer: str = "gold", *,
         root: str | Path | None = None, pool: dict[str, dict[str, Any]] | None = None
         ) -> list[dict[str, Any]]:
    """The real corpus with its texts resolved: one dict per article (see
    :func:`resolve_record`), every text hash-checked.

    ``split``: train, dev or test (default: all three, each article carrying its ``split``),
    or one annotation round of a split (``dev@1``; :meth:`RealCorpus.ids`).
    ``data_dir``: the folder of the FakeHealth ``real_news`` files (else ``$KRATOM_NLP_REAL_NEWS``,
    else ``../shared/data/real_news`` relative to the working directory). ``layer``: ``gold``
    (adjudicated) or an annotator's layer, ``A`` or ``B``. ``pool`` (texts by id, as
    :func:`read_pool` returns them) replaces reading ``data_dir``. Raises
    :class:`RealCorpusError` naming the article when a text is missing or differs.
    """
    corpus = RealCorpus(Path(root) if root else real_root())
    texts = pool if pool is not None else read_pool(data_dir)
    split_of = corpus.split_of()
    return [resolve_record(rec, texts, split_of.get(rec["id"]))
            for rec in corpus.records(split, layer)]


def counts(layer: str = "gold", root: str | Path | None = None) -> dict[str, Any]:
    """Label counts per split from the stand-off records (no texts needed): articles,
    sentences, claims, overclaims, advice, studies, evidence levels, strengths, claim types."""
    from collections import Counter

    corpus = RealCorpus(Path(root) if root else real_root())
    out: dict[str, Any] = {}
    for split in SPLITS:
        recs = list(corpus.records(split, layer))
        sents = [s for r in recs for s in r["sentences"]]
        claims = [s for s in sents if s["claim"]]
        studies = [st for r in recs for st in r["studies"]]
        out[split] = {
            "articles": len(recs),
            "press_releases": sum(r["source"] == "release" for r in recs),
            "news_stories": sum(r["source"] == "story" for r in recs),
            "sentences": len(sents),
            "headings": sum(s["kind"] == "heading" for s in sents),
            "boilerplate": sum(s["kind"] == "boilerplate" for s in sents),
            "claims": len(claims),
            "overclaims": sum(s["overclaim"] for s in claims),
            "advice": sum(s["advice"] for s in claims),
            "studies": len(studies),
            "claims_linked_to_a_study": sum(s["study"] is not None for s in claims),
            "cues_from_context": sum(s["from_context"] for s in claims),
            "evidence": dict(Counter(s["evidence"] for s in claims)),
            "strength": dict(Counter(s["strength"] for s in claims)),
            "claim_type": dict(Counter(s["claim_type"] for s in claims)),
            "study_design": dict(Counter(st["design"] for st in studies)),
            "study_kind": dict(Counter(st["kind"] for st in studies)),
        }
    return out
