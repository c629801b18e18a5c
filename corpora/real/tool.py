"""Annotation tooling for the real corpus (the texts never enter the repository).

    python corpora/real/tool.py worksheets OUT_DIR [--split dev] [--data-dir DIR]
        one worksheet per annotated article: OUT_DIR/<id>.txt (numbered sentences, for reading)
        and OUT_DIR/<id>.ws.json (offsets; used by `compile`)
    python corpora/real/tool.py compile LABELS.json... --worksheets DIR --annotator A --out DIR
        check compact label files and write stand-off records (offsets + hash, no text)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kratom_nlp.corpora.real import (
    RealCorpus,
    RealCorpusError,
    compile_labels,
    read_pool,
    render_worksheet,
    validate_record,
    worksheet,
)

ROOT = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("worksheets")
    w.add_argument("out", type=Path)
    w.add_argument("--split", choices=("train", "dev", "test"), action="append")
    w.add_argument("--data-dir", default=None)
    c = sub.add_parser("compile")
    c.add_argument("labels", nargs="+", type=Path)
    c.add_argument("--worksheets", type=Path, required=True)
    c.add_argument("--annotator", required=True)
    c.add_argument("--out", type=Path, default=None, help="write records here (else only check)")
    c.add_argument("--data-dir", default=None)
    args = ap.parse_args(argv)
    if args.cmd == "worksheets":
        pool = read_pool(args.data_dir)
        corpus = RealCorpus(ROOT)
        args.out.mkdir(parents=True, exist_ok=True)
        n = 0
        for split in args.split or ("train", "dev", "test"):
            for doc_id in corpus.ids(split):
                ws = worksheet(doc_id, pool)
                (args.out / f"{doc_id}.txt").write_text(render_worksheet(ws), encoding="utf-8")
                (args.out / f"{doc_id}.ws.json").write_text(json.dumps(ws, ensure_ascii=False),
                                                            encoding="utf-8")
                n += len(ws["sentences"])
        print(f"worksheets in {args.out}: {n} sentences")
        return 0
    pool = read_pool(args.data_dir)
    bad = 0
    for path in args.labels:
        try:
            labels = json.loads(path.read_text(encoding="utf-8"))
            ws = json.loads((args.worksheets / f"{labels['id']}.ws.json").read_text("utf-8"))
            rec = compile_labels(labels, ws, args.annotator)
            errs = validate_record(rec, pool[rec["id"]]["text"])
            if errs:
                raise RealCorpusError("\n".join(errs))
        except (RealCorpusError, KeyError, ValueError, OSError) as exc:
            bad += 1
            print(f"{path}: {exc}", file=sys.stderr)
            continue
        n_claims = sum(s["claim"] for s in rec["sentences"])
        print(f"{path}: ok ({len(rec['sentences'])} sentences, {n_claims} claims, "
              f"{len(rec['studies'])} studies)")
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{rec['id']}.json").write_text(json.dumps(rec, indent=1) + "\n",
                                                        encoding="utf-8")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
