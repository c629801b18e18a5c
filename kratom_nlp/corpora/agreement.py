"""Inter-annotator agreement between two annotations of the gold corpus.

Two annotation sets are loaded with :func:`load_annotations` into one mapping each,
``(article_id, start, end) -> labels``, aligned on those keys and compared field by field:
Cohen's kappa for the claim, advice and overclaim flags; kappa on the sentences both sides call
claims for the claim type; nominal kappa plus Krippendorff's alpha for the evidence level
(nominal over all nine levels, ordinal over the evidence hierarchy on the items that neither side
labelled ``regulatory``, since that level stands beside the ladder, not on it); quadratic-weighted
kappa and ordinal alpha for the strength. Raw agreement, ``n`` and a confusion table come with
every field, and every sentence present on one side only is reported.

Loaders are pluggable: :func:`register_loader` adds a format (for example an exported Label
Studio or Prodigy file) ahead of the built-in ones (authoring-format article JSON, compiled gold
records as JSON or JSONL, stand-off records of the real corpus, and folders of those).

The real corpus (``corpora/real``) stores its labels stand-off (offsets and a hash, no text);
:func:`compare_real` compares two such layers: the sentence fields as above (sentences align by
``(id, start, end)``; A is restricted to the articles B has), plus the article-level fields of that
corpus: the **study mentions** (two mentions match when their spans overlap; F1, and agreement on
design, kind and population of the matched ones) and the **claim→study links** on the claims both
sides link to a study.
"""

from __future__ import annotations

import io
import json
import math
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

from kratom_nlp.errors import CorpusError
from kratom_nlp.fileio import json_line_problem
from kratom_nlp.taxonomy import CLAIM_TYPES, EVIDENCE_LEVELS, EVIDENCE_PRECEDENCE, STRENGTHS

__all__ = [
    "AnnotationError",
    "Key",
    "Labels",
    "compare",
    "compare_real",
    "is_standoff_record",
    "labels_from_gold_sentence",
    "load_standoff_records",
    "load_annotations",
    "register_loader",
    "render_agreement",
]


class AnnotationError(CorpusError):
    """An annotation file cannot be read or is not in a known format (one-line message)."""


class Labels(TypedDict, total=False):
    """The labels of one sentence. ``text`` and ``kind`` are optional context."""

    claim: bool
    claim_type: str | None
    evidence: str
    strength: str
    advice: bool
    overclaim: bool
    text: str
    kind: str
    unit: int
    study: str | None


Key = tuple[str, int, int]
"""``(article_id, start, end)``: a sentence by its character offsets in the article text."""

FIELDS: tuple[str, ...] = ("claim", "claim_type", "evidence", "strength", "advice", "overclaim")

# Ordinal scale of the evidence ladder, weakest first (regulatory is not on it).
EVIDENCE_ORDINAL: tuple[str, ...] = tuple(reversed(EVIDENCE_PRECEDENCE))


# --------------------------------------------------------------------------- loading


@dataclass
class _Loader:
    name: str
    matches: Callable[[Path], bool]
    load: Callable[[Path], Iterable[tuple[Key, Labels]]]


_LOADERS: list[_Loader] = []


def register_loader(
    name: str,
    matches: Callable[[Path], bool],
    load: Callable[[Path], Iterable[tuple[Key, Labels]]],
) -> None:
    """Add a file format to :func:`load_annotations`, tried before the formats already known.

    ``matches(path)`` says whether a file is in this format (by suffix or by sniffing it);
    ``load(path)`` yields ``((article_id, start, end), labels)`` pairs and raises
    :class:`AnnotationError` on bad input. Folders are walked by :func:`load_annotations`
    itself, so a loader only ever sees files.
    """
    _LOADERS.insert(0, _Loader(name, matches, load))


def labels_from_gold_sentence(sentence: dict[str, Any]) -> Labels:
    """Labels of one compiled gold sentence (``authoring.compile_article`` output)."""
    claim = bool(sentence.get("claim", False))
    return Labels(
        claim=claim,
        claim_type=(sentence.get("claim_type") or None) if claim else None,
        evidence=str(sentence.get("evidence") or "none"),
        strength=str(sentence.get("strength") or "no_relationship"),
        advice=bool(sentence.get("advice", False)),
        overclaim=bool(sentence.get("overclaim", False)),
        text=str(sentence.get("text", "")),
        kind=str(sentence.get("kind", "sentence")),
    )


def _from_record(record: dict[str, Any], where: str) -> Iterator[tuple[Key, Labels]]:
    aid = record.get("id")
    sentences = record.get("sentences")
    if not isinstance(aid, str) or not isinstance(sentences, list):
        raise AnnotationError(f"{where}: a gold record needs 'id' and 'sentences'")
    for s in sentences:
        try:
            key = (aid, int(s["start"]), int(s["end"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise AnnotationError(f"{where}: a sentence of {aid} has no valid offsets") from exc
        yield key, labels_from_gold_sentence(s)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnotationError(f"{path}: cannot read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise AnnotationError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc


def _load_json(path: Path) -> Iterator[tuple[Key, Labels]]:
    from kratom_nlp.corpora.authoring import AuthoringError, compile_article

    data = _read_json(path)
    items = data if isinstance(data, list) else [data]
    for item in items:
        if not isinstance(item, dict):
            raise AnnotationError(f"{path}: expected an article object")
        if "blocks" in item:  # authoring format
            try:
                record = compile_article(item)
            except AuthoringError as exc:
                raise AnnotationError(f"{path}: {exc}") from exc
        elif "sentences" in item:  # a compiled gold record
            record = item
        else:
            raise AnnotationError(f"{path}: neither an authored article ('blocks') "
                                  "nor a gold record ('sentences')")
        yield from _from_record(record, str(path))


def _load_jsonl(path: Path) -> Iterator[tuple[Key, Labels]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnotationError(f"{path}: cannot read ({exc})") from exc
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AnnotationError(f"{path}:{no}: {json_line_problem(line, exc)}") from exc
        if not isinstance(record, dict):
            raise AnnotationError(f"{path}:{no}: expected a gold record object")
        yield from _from_record(record, f"{path}:{no}")


def is_standoff_record(data: Any) -> bool:
    """Whether ``data`` is a stand-off record of the real corpus: ``id``, ``sha256`` and
    ``sentences`` with offsets, and no text."""
    return (isinstance(data, dict) and isinstance(data.get("sha256"), str)
            and isinstance(data.get("sentences"), list) and "text" not in data)


def _sniff_standoff(path: Path) -> bool:
    if path.suffix.lower() != ".json":
        return False
    try:
        with path.open(encoding="utf-8") as fh:
            head = fh.read(4096)
    except (OSError, UnicodeDecodeError):
        return False
    return '"sha256"' in head and '"text"' not in head and '"blocks"' not in head


def _load_standoff(path: Path) -> Iterator[tuple[Key, Labels]]:
    record = _read_json(path)
    if not is_standoff_record(record):
        raise AnnotationError(f"{path}: not a stand-off record ('id', 'sha256', 'sentences')")
    for i, (key, labels) in enumerate(_from_record(record, str(path))):
        labels["unit"] = i
        labels["study"] = record["sentences"][i].get("study")
        yield key, labels


_BUILTIN: tuple[_Loader, ...] = (
    _Loader("gold-jsonl", lambda p: p.suffix.lower() == ".jsonl", _load_jsonl),
    _Loader("real-standoff", _sniff_standoff, _load_standoff),
    _Loader("article-json", lambda p: p.suffix.lower() == ".json", _load_json),
)


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir()
                       if p.is_file() and any(ld.matches(p) for ld in (*_LOADERS, *_BUILTIN)))
        if not files:
            raise AnnotationError(f"{path}: no annotation files in this folder")
        return files
    if not path.exists():
        raise AnnotationError(f"{path}: no such file or folder")
    return [path]


def load_annotations(path: str | Path | Iterable[str | Path]) -> dict[Key, Labels]:
    """Load annotations: ``{(article_id, start, end): labels}`` from a file, a folder or a list.

    Known formats: authoring-format article JSON (``corpora/articles``), compiled gold records
    (one JSON object, a JSON list, or JSONL as in ``corpora/gold``), plus any registered with
    :func:`register_loader`. A sentence found twice is an error.
    """
    paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    out: dict[Key, Labels] = {}
    for root in paths:
        for file in _files(root):
            loader = next((ld for ld in (*_LOADERS, *_BUILTIN) if ld.matches(file)), None)
            if loader is None:
                raise AnnotationError(f"{file}: unknown annotation format")
            for key, labels in loader.load(file):
                if key in out:
                    raise AnnotationError(f"{file}: sentence {key[0]} [{key[1]}:{key[2]}] "
                                          "is annotated twice")
                out[key] = labels
    return out


# --------------------------------------------------------------------------- statistics


def _num(x: Any) -> float | None:
    """A finite float, or None for undefined statistics (NaN)."""
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) else x


def _kappa(a: list[Any], b: list[Any], labels: list[Any], weights: str | None = None
           ) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if not a:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _num(cohen_kappa_score(a, b, labels=labels, weights=weights))


def _alpha(a: list[Any], b: list[Any], domain: list[Any], level: str) -> float | None:
    import krippendorff
    import numpy as np

    if not a:
        return None
    index = {v: i for i, v in enumerate(domain)}
    data = np.array([[index[x] for x in a], [index[x] for x in b]], dtype=float)
    if len(set(a) | set(b)) < 2:
        return None  # one value only: alpha is undefined
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = krippendorff.alpha(reliability_data=data, level_of_measurement=level,
                                       value_domain=list(range(len(domain))))
    except (ValueError, ZeroDivisionError):
        return None
    return _num(value)


def _field(a: list[Any], b: list[Any], labels: list[Any], scope: str) -> dict[str, Any]:
    from sklearn.metrics import confusion_matrix

    n = len(a)
    seen = set(a) | set(b)
    present = [lab for lab in labels if lab in seen]
    out: dict[str, Any] = {
        "scope": scope,
        "n": n,
        "agreement": (sum(x == y for x, y in zip(a, b, strict=True)) / n) if n else None,
        "kappa": _kappa(a, b, labels),
        "labels": [str(lab).lower() if isinstance(lab, bool) else lab for lab in present],
        "confusion": [],
    }
    if n:
        with warnings.catch_warnings():  # one label only: sklearn warns, the table is still right
            warnings.simplefilter("ignore")
            out["confusion"] = confusion_matrix(a, b, labels=present).tolist()
    return out


def compare(a: dict[Key, Labels], b: dict[Key, Labels], *, common_only: bool = False,
            skip_headings: bool = True) -> dict[str, Any]:
    """Agreement report between two loaded annotation sets (see the module docstring).

    ``common_only`` drops articles annotated on one side only before comparing (they are still
    counted); headings, which are never claims, are left out of the statistics by default.
    """
    arts_a = {k[0] for k in a}
    arts_b = {k[0] for k in b}
    shared = arts_a & arts_b
    if common_only:
        a = {k: v for k, v in a.items() if k[0] in shared}
        b = {k: v for k, v in b.items() if k[0] in shared}

    def one_side(src: dict[Key, Labels], other: dict[Key, Labels]) -> list[dict[str, Any]]:
        return [{"article_id": k[0], "start": k[1], "end": k[2], "text": src[k].get("text", "")}
                for k in sorted(src) if k not in other and k[0] in shared]

    keys = sorted(set(a) & set(b))
    headings = [k for k in keys if skip_headings and
                (a[k].get("kind") == "heading" or b[k].get("kind") == "heading")]
    keys = [k for k in keys if k not in set(headings)]
    col = {f: ([a[k].get(f) for k in keys], [b[k].get(f) for k in keys]) for f in FIELDS}

    fields: dict[str, Any] = {}
    for f in ("claim", "advice", "overclaim"):
        xa, xb = ([bool(v) for v in col[f][0]], [bool(v) for v in col[f][1]])
        fields[f] = _field(xa, xb, [False, True], "all sentences")

    both = [i for i, k in enumerate(keys) if a[k].get("claim") and b[k].get("claim")]
    ta = [col["claim_type"][0][i] or "none" for i in both]
    tb = [col["claim_type"][1][i] or "none" for i in both]
    fields["claim_type"] = _field(ta, tb, [*CLAIM_TYPES, "none"], "sentences both call claims")

    for scope, idx in (("all sentences", range(len(keys))), ("sentences both call claims", both)):
        suffix = "" if scope == "all sentences" else "_claims"
        ea = [col["evidence"][0][i] for i in idx]
        eb = [col["evidence"][1][i] for i in idx]
        ev = _field(ea, eb, list(EVIDENCE_LEVELS), scope)
        ev["alpha_nominal"] = _alpha(ea, eb, list(EVIDENCE_LEVELS), "nominal")
        ladder = [(x, y) for x, y in zip(ea, eb, strict=True)
                  if x != "regulatory" and y != "regulatory"]
        ev["n_ordinal"] = len(ladder)
        ev["alpha_ordinal"] = _alpha([x for x, _ in ladder], [y for _, y in ladder],
                                     list(EVIDENCE_ORDINAL), "ordinal")
        fields["evidence" + suffix] = ev

        sa = [col["strength"][0][i] for i in idx]
        sb = [col["strength"][1][i] for i in idx]
        st = _field(sa, sb, list(STRENGTHS), scope)
        st["weighted_kappa"] = _kappa(sa, sb, list(STRENGTHS), weights="quadratic")
        st["alpha_ordinal"] = _alpha(sa, sb, list(STRENGTHS), "ordinal")
        fields["strength" + suffix] = st

    disagreements = []
    for k in keys:
        diff = {f: [a[k].get(f), b[k].get(f)] for f in FIELDS if a[k].get(f) != b[k].get(f)}
        if diff:
            disagreements.append({"article_id": k[0], "start": k[1], "end": k[2],
                                  "text": a[k].get("text") or b[k].get("text", ""),
                                  "fields": diff})
    return {
        "articles": {
            "both": len(shared),
            "only_a": sorted(arts_a - arts_b),
            "only_b": sorted(arts_b - arts_a),
            "common_only": common_only,
        },
        "sentences": {
            "compared": len(keys),
            "headings_skipped": len(headings),
            "only_a": one_side(a, b),
            "only_b": one_side(b, a),
        },
        "fields": {f: fields[f] for f in (
            "claim", "claim_type", "evidence", "evidence_claims", "strength",
            "strength_claims", "advice", "overclaim")},
        "notes": {
            "evidence": "kappa and alpha_nominal over all nine levels; alpha_ordinal over the "
                        "ladder " + " < ".join(EVIDENCE_ORDINAL) + " on the items neither "
                        "side labelled regulatory (n_ordinal)",
            "strength": "weighted_kappa is quadratic; alpha_ordinal over "
                        + " < ".join(STRENGTHS),
            "undefined": "null where a statistic is undefined (e.g. one category only)",
        },
        "disagreements": disagreements,
    }


# --------------------------------------------------------------------------- real corpus


def load_standoff_records(path: str | Path) -> dict[str, dict[str, Any]]:
    """Stand-off records (real corpus) by article id, from a folder of ``<id>.json`` or a file."""
    out: dict[str, dict[str, Any]] = {}
    for file in _files(Path(path)):
        record = _read_json(file)
        if not is_standoff_record(record):
            raise AnnotationError(f"{file}: not a stand-off record of the real corpus "
                                  "('id', 'sha256', 'sentences' with offsets)")
        if record["id"] in out:
            raise AnnotationError(f"{file}: article {record['id']} is annotated twice")
        out[record["id"]] = record
    return out


def _overlap(x: dict[str, Any], y: dict[str, Any]) -> int:
    return max(0, min(x["end"], y["end"]) - max(x["start"], y["start"]))


def _match_studies(sa: list[dict[str, Any]], sb: list[dict[str, Any]]
                   ) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """One-to-one matching of study mentions whose spans overlap, largest overlap first."""
    pairs = sorted(((_overlap(x, y), i, j) for i, x in enumerate(sa) for j, y in enumerate(sb)
                    if _overlap(x, y) > 0), reverse=True)
    used_a: set[int] = set()
    used_b: set[int] = set()
    out = []
    for _, i, j in pairs:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            out.append((sa[i], sb[j]))
    return sorted(out, key=lambda p: (p[0]["start"], p[1]["start"]))


def _study_agreement(rec_a: dict[str, dict[str, Any]], rec_b: dict[str, dict[str, Any]],
                     ids: list[str]) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    from kratom_nlp.corpora.real import POPULATIONS, STUDY_KINDS

    n_a = n_b = 0
    matched: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
    unmatched: list[dict[str, Any]] = []
    mapping: dict[str, dict[str, str]] = {}
    for doc in ids:
        sa, sb = rec_a[doc].get("studies", []), rec_b[doc].get("studies", [])
        n_a, n_b = n_a + len(sa), n_b + len(sb)
        pairs = _match_studies(sa, sb)
        mapping[doc] = {x["id"]: y["id"] for x, y in pairs}
        matched += [(doc, x, y) for x, y in pairs]
        ma, mb = {x["id"] for x, _ in pairs}, {y["id"] for _, y in pairs}
        unmatched += [{"article_id": doc, "side": side, "study": st["id"], "unit": st["sentence"],
                       "design": st["design"], "kind": st["kind"]}
                      for side, group, seen in (("A", sa, ma), ("B", sb, mb))
                      for st in group if st["id"] not in seen]
    m = len(matched)
    precision = m / n_b if n_b else None  # B's mentions that A also has (A as reference)
    recall = m / n_a if n_a else None
    f1 = 2 * m / (n_a + n_b) if n_a + n_b else None
    fields: dict[str, Any] = {}
    for name, domain in (("design", list(EVIDENCE_LEVELS)), ("kind", list(STUDY_KINDS)),
                         ("population", list(POPULATIONS))):
        fields[name] = _field([x[name] for _, x, _ in matched], [y[name] for _, _, y in matched],
                              domain, "matched study mentions")
    both_n = [(x.get("n"), y.get("n")) for _, x, y in matched
              if x.get("n") is not None or y.get("n") is not None]
    fields["n"] = {"scope": "matched mentions where either side gives n", "n": len(both_n),
                   "agreement": (sum(x == y for x, y in both_n) / len(both_n)) if both_n
                   else None}
    diffs = [{"article_id": doc, "a": x["id"], "b": y["id"], "unit_a": x["sentence"],
              "unit_b": y["sentence"],
              "fields": {f: [x.get(f), y.get(f)] for f in ("design", "kind", "population", "n")
                         if x.get(f) != y.get(f)}}
             for doc, x, y in matched]
    return {
        "mentions_a": n_a, "mentions_b": n_b, "matched": m,
        "precision": precision, "recall": recall, "f1": f1,
        "fields": fields,
        "unmatched": unmatched,
        "matched_with_differences": [d for d in diffs if d["fields"]],
        "note": "two mentions match when their character spans overlap (one-to-one, largest "
                "overlap first); recall = A's mentions matched, precision = B's mentions matched",
    }, mapping


def _link_agreement(rec_a: dict[str, dict[str, Any]], rec_b: dict[str, dict[str, Any]],
                    ids: list[str], mapping: dict[str, dict[str, str]]) -> dict[str, Any]:
    both_claims = both_linked = same = only_a = only_b = 0
    linked_a: list[bool] = []
    linked_b: list[bool] = []
    diffs = []
    for doc in ids:
        sents_b = {(s["start"], s["end"]): s for s in rec_b[doc]["sentences"]}
        for i, s in enumerate(rec_a[doc]["sentences"]):
            t = sents_b.get((s["start"], s["end"]))
            if t is None or not (s["claim"] and t["claim"]):
                continue
            both_claims += 1
            la, lb = s.get("study"), t.get("study")
            linked_a.append(la is not None)
            linked_b.append(lb is not None)
            if la is not None and lb is not None:
                both_linked += 1
                if mapping[doc].get(la) == lb:
                    same += 1
                else:
                    diffs.append({"article_id": doc, "unit": i, "a": la, "b": lb})
            elif la is not None:
                only_a += 1
            elif lb is not None:
                only_b += 1
    linked = _field(linked_a, linked_b, [False, True], "sentences both call claims")
    return {
        "claims_both": both_claims,
        "linked_by_both": both_linked,
        "same_study": same,
        "agreement": (same / both_linked) if both_linked else None,
        "linked_only_a": only_a,
        "linked_only_b": only_b,
        "linked_or_not": linked,
        "different_study": diffs,
        "note": "agreement: on the claims both sides link to a study, the share linked to the "
                "same study (B's study matched to A's by span overlap); linked_or_not: whether a "
                "claim rests on a described study at all",
    }


def compare_real(a: str | Path | dict[str, dict[str, Any]],
                 b: str | Path | dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Agreement between two stand-off layers of the real corpus (folders or loaded records).

    A is restricted to the articles B has; sentences align by ``(id, start, end)``. The report
    is :func:`compare`'s, plus ``real``: study mentions and claim→study links.
    """
    rec_a = a if isinstance(a, dict) else load_standoff_records(a)
    rec_b = b if isinstance(b, dict) else load_standoff_records(b)
    ids = sorted(set(rec_a) & set(rec_b))
    left_out = sorted(set(rec_a) - set(rec_b))
    for doc in ids:
        if rec_a[doc]["sha256"] != rec_b[doc]["sha256"]:
            raise AnnotationError(f"{doc}: A and B were annotated on different texts (sha256)")

    def labels(recs: dict[str, dict[str, Any]], where: str) -> dict[Key, Labels]:
        out: dict[Key, Labels] = {}
        for doc in ids:
            for i, (key, lab) in enumerate(_from_record(recs[doc], f"{where} {doc}")):
                lab["unit"] = i
                lab["study"] = recs[doc]["sentences"][i].get("study")
                out[key] = lab
        return out

    la, lb = labels(rec_a, "A"), labels(rec_b, "B")
    report = compare(la, lb, common_only=True)
    for d in report["disagreements"]:  # no text in stand-off records: name the unit instead
        d.pop("text", None)
        d["unit"] = la[(d["article_id"], d["start"], d["end"])]["unit"]
    for side in ("only_a", "only_b"):
        for d in report["sentences"][side]:
            d.pop("text", None)
    report["articles"]["a_restricted_to_b"] = True
    report["articles"]["a_left_out"] = len(left_out)
    report["articles"]["only_b"] = sorted(set(rec_b) - set(rec_a))
    studies, mapping = _study_agreement(rec_a, rec_b, ids)
    report["real"] = {"studies": studies, "links": _link_agreement(rec_a, rec_b, ids, mapping)}
    return report


# --------------------------------------------------------------------------- rendering


def _f(x: Any) -> str:
    return "–" if x is None else f"{x:.3f}"


def _summary_rows(report: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, r in report["fields"].items():
        extra = []
        if "weighted_kappa" in r:
            extra.append(f"weighted κ {_f(r['weighted_kappa'])}")
        if "alpha_nominal" in r:
            extra.append(f"α nominal {_f(r['alpha_nominal'])}")
        if "alpha_ordinal" in r:
            n_ord = f" (n={r['n_ordinal']})" if "n_ordinal" in r else ""
            extra.append(f"α ordinal {_f(r['alpha_ordinal'])}{n_ord}")
        rows.append([name, r["scope"], str(r["n"]), _f(r["agreement"]), _f(r["kappa"]),
                     "; ".join(extra)])
    return rows


_HEAD = ["field", "scope", "n", "raw agreement", "Cohen's κ", "other"]


def _header_lines(report: dict[str, Any], a: str, b: str) -> list[str]:
    arts, sents = report["articles"], report["sentences"]
    lines = [f"A: {a}", f"B: {b}",
             f"articles on both sides: {arts['both']}; only in A: {len(arts['only_a'])}; "
             f"only in B: {len(arts['only_b'])}"
             + (" (compared: common articles only)" if arts["common_only"] else ""),
             f"sentences compared: {sents['compared']} (headings left out: "
             f"{sents['headings_skipped']}); only in A: {len(sents['only_a'])}; "
             f"only in B: {len(sents['only_b'])}"]
    for side, who in (("only_a", "A"), ("only_b", "B")):
        ids = arts[side]
        if ids and not arts["common_only"]:
            shown = ", ".join(ids[:12]) + (f", … (+{len(ids) - 12})" if len(ids) > 12 else "")
            lines.append(f"articles only in {who}: {shown}")
    for side in ("only_a", "only_b"):
        for s in report["sentences"][side][:20]:
            lines.append(f"sentence only in {side[-1].upper()}: {s['article_id']} "
                         f"[{s['start']}:{s['end']}] {s.get('text', '')[:70]}")
    lines.append(f"sentences with any disagreement: {len(report['disagreements'])}")
    return lines


def _render_text(report: dict[str, Any], a: str, b: str) -> str:
    from rich.console import Console
    from rich.table import Table

    console = Console(record=True, width=140, file=io.StringIO())
    for line in _header_lines(report, a, b):
        console.print(line, markup=False, highlight=False)
    table = Table(title="Agreement per field", title_justify="left")
    for h in _HEAD:
        table.add_column(h)
    for row in _summary_rows(report):
        table.add_row(*row)
    console.print(table)
    for name, r in report["fields"].items():
        if not r["labels"]:
            continue
        cm = Table(title=f"{name} ({r['scope']}): rows A, columns B", title_justify="left")
        cm.add_column("A \\ B", no_wrap=True)
        for i, _ in enumerate(r["labels"], 1):
            cm.add_column(str(i), justify="right")
        for i, (lab, row) in enumerate(zip(r["labels"], r["confusion"], strict=True), 1):
            cm.add_row(f"{i} {lab}", *[str(v) for v in row])
        console.print(cm)
    for key, note in report["notes"].items():
        console.print(f"note ({key}): {note}", markup=False, highlight=False)
    if "real" in report:
        for line in _real_lines(report):
            console.print(line, markup=False, highlight=False)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines()) + "\n"


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    def cell(x: str) -> str:
        return x.replace("|", "\\|")

    out = ["| " + " | ".join(cell(h) for h in head) + " |",
           "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
    return out


def _real_lines(report: dict[str, Any]) -> list[str]:
    """Markdown for the real corpus's article-level fields (studies and links)."""
    st, ln = report["real"]["studies"], report["real"]["links"]
    lines = ["## Study mentions", "",
             f"- mentions: A {st['mentions_a']}, B {st['mentions_b']}; matched "
             f"{st['matched']} (spans overlap)",
             f"- F1 {_f(st['f1'])} (recall: A's matched {_f(st['recall'])}; precision: B's "
             f"matched {_f(st['precision'])})", ""]
    rows = [[name, r["scope"], str(r["n"]), _f(r["agreement"]),
             _f(r.get("kappa"))] for name, r in st["fields"].items()]
    lines += _md_table(["field", "scope", "n", "raw agreement", "Cohen's κ"], rows)
    lines += ["", f"- *matching*: {st['note']}", ""]
    if st["unmatched"]:
        lines += ["Unmatched mentions:", ""]
        lines += _md_table(["article", "side", "study", "unit", "design", "kind"],
                           [[u["article_id"], u["side"], u["study"], str(u["unit"]),
                             u["design"], u["kind"]] for u in st["unmatched"]])
        lines.append("")
    if st["matched_with_differences"]:
        lines += ["Matched mentions that differ:", ""]
        lines += _md_table(["article", "A", "B", "field: A / B"],
                           [[d["article_id"], f"{d['a']} (unit {d['unit_a']})",
                             f"{d['b']} (unit {d['unit_b']})",
                             "; ".join(f"{k}: {va} / {vb}" for k, (va, vb) in d["fields"].items())]
                            for d in st["matched_with_differences"]])
        lines.append("")
    lk = ln["linked_or_not"]
    lines += ["## Claim → study links", "",
              f"- claims on both sides: {ln['claims_both']}; linked to a study by both: "
              f"{ln['linked_by_both']}; by A only: {ln['linked_only_a']}; by B only: "
              f"{ln['linked_only_b']}",
              f"- same study on the claims both link: {ln['same_study']} of "
              f"{ln['linked_by_both']} (agreement {_f(ln['agreement'])})",
              f"- linked or not (claims both call claims): raw agreement "
              f"{_f(lk['agreement'])}, Cohen's κ {_f(lk['kappa'])}",
              f"- *note*: {ln['note']}", ""]
    if ln["different_study"]:
        lines += _md_table(["article", "unit", "A", "B"],
                           [[d["article_id"], str(d["unit"]), d["a"], d["b"]]
                            for d in ln["different_study"]])
        lines.append("")
    return lines


def _render_markdown(report: dict[str, Any], a: str, b: str, command: str | None = None) -> str:
    lines = ["# Inter-annotator agreement", ""]
    if command:
        lines += [f"Generated by `{command}`; do not edit by hand.", ""]
    if report["articles"].get("a_restricted_to_b"):
        lines += [f"A is restricted to the {report['articles']['both']} articles B annotated "
                  f"({report['articles']['a_left_out']} other articles of A left out). "
                  "Sentences align by (article id, start, end); stand-off records hold no text, "
                  "so sentences are named by their unit index.", ""]
    lines += [f"- {line}" for line in _header_lines(report, a, b)]
    lines += ["", "## Agreement per field", ""]
    lines += _md_table(_HEAD, _summary_rows(report))
    lines += [""] + [f"- *{k}*: {v}" for k, v in report["notes"].items()]
    if "real" in report:
        lines += [""] + _real_lines(report)
    lines += ["", "## Confusion tables (rows: A, columns: B)", ""]
    for name, r in report["fields"].items():
        if not r["labels"]:
            continue
        lines += [f"### {name} ({r['scope']})", ""]
        lines += _md_table(["A \\ B", *map(str, r["labels"])],
                           [[str(lab), *map(str, row)]
                            for lab, row in zip(r["labels"], r["confusion"], strict=True)])
        lines.append("")
    if report["disagreements"]:
        lines += ["## Disagreements", ""]
        rows = []
        for d in report["disagreements"]:
            what = "; ".join(f"{f}: {va} / {vb}" for f, (va, vb) in d["fields"].items())
            where = d["text"][:90] if d.get("text") else f"unit {d.get('unit', '?')}"
            rows.append([d["article_id"], f"{d['start']}–{d['end']}", where, what])
        lines += _md_table(["article", "span", "sentence", "field: A / B"], rows)
        lines.append("")
    return "\n".join(lines)


def render_agreement(report: dict[str, Any], fmt: str = "text", *, a: str = "A",
                     b: str = "B", command: str | None = None) -> str:
    """The report as ``text`` (rich tables), ``json`` or ``markdown``; ``command`` (the command
    line that made it) is recorded in the json and markdown forms."""
    if fmt == "json":
        head = {"a": a, "b": b, **({"command": command} if command else {})}
        return json.dumps({**head, **report}, indent=1, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return _render_markdown(report, a, b, command)
    if fmt == "text":
        return _render_text(report, a, b)
    raise ValueError(f"unknown format {fmt!r}: text, json or markdown")
