"""Make a large synthetic corpus for the batch benchmarks from the project's own articles.

Paragraphs come from ``corpora/examples/*.txt`` (when present) and the ``text`` of every
``corpora/gold/*.jsonl`` article - never from ``shared/``. Each generated document is a heading
plus 2-5 paragraphs drawn with a fixed seed, so the same arguments always give the same corpus.

    python eval/make_scale_corpus.py /tmp/scale --n 10000 --format jsonl
    python eval/make_scale_corpus.py --n 500 --format folder      # into a new temp folder
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "corpora"


def paragraphs(corpora: Path = CORPORA) -> tuple[list[str], list[str]]:
    """``(headings, paragraphs)`` of the project's own articles (short lines are headings)."""
    texts: list[str] = []
    for path in sorted((corpora / "examples").glob("*.txt")):
        texts.append(path.read_text(encoding="utf-8"))
    for path in sorted((corpora / "gold").glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            texts.extend(json.loads(line)["text"] for line in fh if line.strip())
    heads: list[str] = []
    paras: list[str] = []
    for text in texts:
        for block in text.split("\n"):
            block = block.strip()
            if not block:
                continue
            (paras if len(block.split()) >= 12 else heads).append(block)
    if not paras:
        raise SystemExit(f"no paragraphs found under {corpora}/gold or {corpora}/examples")
    return heads or ["Health news"], paras


def documents(n: int, *, seed: int = 13, min_paras: int = 2,
              max_paras: int = 5) -> Iterator[tuple[str, str]]:
    """``n`` deterministic ``(id, text)`` documents."""
    heads, paras = paragraphs()
    rng = random.Random(seed)
    width = max(5, len(str(n)))
    for i in range(1, n + 1):
        k = rng.randint(min_paras, max_paras)
        body = "\n".join(rng.sample(paras, k))
        yield f"scale-{i:0{width}d}", f"{rng.choice(heads)}\n{body}\n"


def make_corpus(out: str | Path, n: int, *, fmt: str = "jsonl", seed: int = 13) -> Path:
    """Write the corpus under ``out``; returns the JSONL file or the folder of ``.txt`` files."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        path = out / f"scale-{n}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for doc_id, text in documents(n, seed=seed):
                fh.write(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False) + "\n")
        return path
    folder = out / f"scale-{n}"
    for i, (doc_id, text) in enumerate(documents(n, seed=seed)):
        sub = folder / f"{i // 1000:03d}"  # 1,000 files per sub-folder
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", help="output folder (default: a new temp folder)")
    ap.add_argument("--n", type=int, default=10_000, help="number of documents")
    ap.add_argument("--format", choices=("jsonl", "folder"), default="jsonl")
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="kratom-scale-")
    print(make_corpus(out, args.n, fmt=args.format, seed=args.seed))


if __name__ == "__main__":
    main()
