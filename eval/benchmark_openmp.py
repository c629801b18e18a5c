"""What the OpenMP spin setting does: libgomp's default against ``GOMP_SPINCOUNT=10000``.

``import kratom_nlp`` sets ``GOMP_SPINCOUNT=10000`` unless it is set already. This measures why,
side by side in one run, for libgomp's default spin (300,000, set explicitly) and the
project's value:

1. two cold ``kratom-nlp analyze`` runs of the example started at the same time (wall time
   until both end), and one alone — processes sharing the cores;
2. the default pipeline's words/s on the real dev split in one process (the speed a single
   command keeps).

    python eval/benchmark_openmp.py            # writes eval/results/openmp.json and .md
    python eval/benchmark_openmp.py --rounds 1

The real dev texts are read from FakeHealth (``--data-dir`` or the default location); only
figures are written.
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
SPINS = {"libgomp default": "300000", "kratom_nlp": "10000"}

_WORDS = """
import sys, time
sys.path.insert(0, {eval_dir!r})
from evaluate_pipeline import load_articles
from kratom_nlp.pipeline import load_pipeline
nlp = load_pipeline()
texts = [a["text"] for a in load_articles("real", ["dev"], data_dir={data_dir!r})]
list(nlp.pipe(texts[:2]))
t = time.perf_counter()
for _ in nlp.pipe(texts, batch_size=16):
    pass
print(sum(len(x.split()) for x in texts) / (time.perf_counter() - t))
"""


def _env(spin: str) -> dict[str, str]:
    return {**os.environ, "GOMP_SPINCOUNT": spin}


def cold_runs(spin: str, together: int) -> float:
    """Wall time of ``together`` cold ``analyze`` runs started at once, until all end."""
    cmd = [sys.executable, "-m", "kratom_nlp", "analyze", str(EXAMPLE), "-f", "json"]
    t = time.perf_counter()
    procs = [subprocess.Popen(cmd, cwd=ROOT, env=_env(spin), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(together)]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise SystemExit(f"analyze failed: {codes}")
    return time.perf_counter() - t


def words_per_second(spin: str, data_dir: str | None) -> float:
    code = _WORDS.format(eval_dir=str(ROOT / "eval"), data_dir=data_dir)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(spin),
                         capture_output=True, text=True, check=True).stdout
    return float(out.split()[-1])


def markdown(r: dict[str, Any]) -> str:
    lines = ["# OpenMP spin: libgomp's default against kratom_nlp's", "",
             f"`python eval/benchmark_openmp.py` on {r['cpus']} CPUs, {r['rounds']} rounds "
             "(medians), measured side by side in one run.", "",
             "| GOMP_SPINCOUNT | one cold `analyze` | two at once | two ÷ one | "
             "words/s, one process (real dev) |", "|---|---|---|---|---|"]
    for name, v in r["settings"].items():
        lines.append(f"| {name} ({v['spin']}) | {v['one_s']} s | {v['two_s']} s | "
                     f"{v['two_over_one']} | {v['words_per_s']:,} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--data-dir", default=None, help="FakeHealth real_news folder")
    args = ap.parse_args(argv)
    runs: dict[str, dict[str, list[float]]] = {n: {"one": [], "two": [], "wps": []}
                                               for n in SPINS}
    for _ in range(args.rounds):  # alternate the settings so that drift hits both alike
        for name, spin in SPINS.items():
            runs[name]["one"].append(cold_runs(spin, 1))
            runs[name]["two"].append(cold_runs(spin, 2))
            runs[name]["wps"].append(words_per_second(spin, args.data_dir))
    settings = {}
    for name, spin in SPINS.items():
        one, two = (statistics.median(runs[name][k]) for k in ("one", "two"))
        settings[name] = {"spin": spin, "one_s": round(one, 2), "two_s": round(two, 2),
                          "two_over_one": round(two / one, 2),
                          "words_per_s": round(statistics.median(runs[name]["wps"])),
                          "raw": runs[name]}
    r = {"cpus": len(os.sched_getaffinity(0)), "rounds": args.rounds, "settings": settings}
    write_results("openmp", r, markdown(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
