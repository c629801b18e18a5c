"""What the command line's garbage-collector thresholds do to a cold ``kratom-nlp analyze``.

``kratom_nlp.cli.main`` calls ``gc.set_threshold(20_000, 20, 20)``: importing spaCy and torch
and loading the models allocate millions of long-lived objects, which Python's default
thresholds (700, 10, 10) make the collector rescan again and again. This measures both side by
side in one run: cold ``analyze`` of the example, the two settings alternating, medians. The
default is run by the same entry point with ``gc.set_threshold`` made a no-op for the call.

    python eval/benchmark_gc.py               # writes eval/results/gc.json and .md
    python eval/benchmark_gc.py --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results_io import write_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "corpora" / "examples" / "kratom_mood_guide.txt"
_RUN = ("import gc, sys\n"
        "{patch}"
        "sys.argv = ['kratom-nlp', 'analyze', {example!r}, '-f', 'json']\n"
        "from kratom_nlp.cli import main\n"
        "main()\n")
SETTINGS = {
    "Python's default (700, 10, 10)": "gc.set_threshold = lambda *a: None\n",
    "kratom_nlp (20000, 20, 20)": "",
}


def cold_analyze(patch: str) -> float:
    code = _RUN.format(patch=patch, example=str(EXAMPLE))
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def markdown(r: dict[str, Any]) -> str:
    lines = ["# Garbage-collector thresholds of the command line", "",
             f"`python eval/benchmark_gc.py` on {r['cpus']} CPUs, {r['rounds']} rounds "
             "(medians, the settings alternating), measured side by side in one run.", "",
             "| thresholds | cold `analyze` of the example |", "|---|---|"]
    for name, v in r["settings"].items():
        lines.append(f"| {name} | {v['median_s']} s |")
    lines += ["", f"Ratio kratom_nlp ÷ default: {r['ratio']}."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args(argv)
    runs: dict[str, list[float]] = {name: [] for name in SETTINGS}
    cold_analyze("")  # warm the file cache once, counted for neither
    for _ in range(args.rounds):
        for name, patch in SETTINGS.items():
            runs[name].append(cold_analyze(patch))
    settings = {name: {"median_s": round(statistics.median(v), 2),
                       "raw": [round(x, 3) for x in v]} for name, v in runs.items()}
    default, ours = (settings[n]["median_s"] for n in SETTINGS)
    r = {"cpus": len(os.sched_getaffinity(0)), "rounds": args.rounds, "settings": settings,
         "ratio": round(ours / default, 3)}
    write_results("gc", r, markdown(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
