"""Load test of ``kratom-nlp serve`` on 127.0.0.1: N analyses of the example article, C at a time.

Starts the real command (``python -m kratom_nlp serve``, one process, its default 2 analysis
workers unless ``--workers``) on a free loopback port with a fresh database in a temp folder,
waits until ``/api/health`` says it is ready, then sends ``--requests`` POSTs of
``corpora/examples/kratom_mood_guide.txt`` to ``/api/analyses`` from ``--concurrency`` client
threads (bounded: a fixed number of requests, a 120 s timeout each, a deadline for the whole
run), and stops the server. Prints and writes (``--out``, default ``eval/results/serve``; ``.md``
and ``.json``) the latency percentiles of the successful requests (p50, p95, p99, max),
requests/s over the wall time of the run, and the count of errors (any status but 201).

    python eval/benchmark_serve.py                      # 200 requests, 4 at a time
    python eval/benchmark_serve.py --requests 20 --concurrency 2 --out /tmp/serve
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "corpora" / "examples" / "kratom_mood_guide.txt"
HOST = "127.0.0.1"  # loopback only: the load never leaves this machine


def log(msg: str) -> None:
    print(msg, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), linear interpolation between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def start_server(port: int, db: Path, workers: int, log_path: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "kratom_nlp", "serve", "--host", HOST, "--port", str(port),
               "--db", str(db), "--workers", str(workers)]
    with log_path.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)


def wait_ready(base: str, server: subprocess.Popen[bytes], timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode}")
        try:
            if httpx.get(f"{base}/api/health", timeout=2).json().get("status") == "ok":
                return time.monotonic() - start
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server was not ready within {timeout:.0f} s")


def run_load(base: str, text: str, requests: int, concurrency: int,
             deadline_s: float) -> dict[str, Any]:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    payload = json.dumps({"text": text, "source": "kratom_mood_guide.txt"}).encode("utf-8")
    stop_at = time.monotonic() + deadline_s
    local = threading.local()

    def one(_: int) -> None:
        if time.monotonic() > stop_at:
            key = "skipped (deadline)"
            with lock:
                statuses[key] = statuses.get(key, 0) + 1
            return
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base, timeout=120)
        t0 = time.perf_counter()
        try:
            response = client.post("/api/analyses", content=payload,
                                   headers={"content-type": "application/json"})
            key = str(response.status_code)
            ok = response.status_code == 201 and response.json()["analysis"]["claims"]
        except httpx.HTTPError as exc:
            key, ok = type(exc).__name__, False
        elapsed = time.perf_counter() - t0
        with lock:
            statuses[key] = statuses.get(key, 0) + 1
            if ok:
                latencies.append(elapsed)

    wall0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(requests)))
    wall = time.perf_counter() - wall0
    errors = requests - len(latencies)
    ms = [x * 1000 for x in latencies]
    return {
        "requests": requests, "concurrency": concurrency, "ok": len(latencies),
        "errors": errors, "statuses": statuses, "wall_s": round(wall, 3),
        "requests_per_s": round(len(latencies) / wall, 2) if wall else 0.0,
        "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1), "max_ms": round(max(ms), 1) if ms else None,
        "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
    }


def write_results(out: Path, figures: dict[str, Any]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    f = figures
    md = [
        "# Desk load test (`eval/benchmark_serve.py`)",
        "",
        f"Run: `python eval/benchmark_serve.py --requests {f['requests']} --concurrency "
        f"{f['concurrency']}` against `kratom-nlp serve --workers {f['server_workers']}` on "
        f"{HOST} (one server process), {f['cpus']} CPU cores, load average "
        f"{f['load_before']} before and {f['load_after']} after, Python {f['python']}. Each "
        f"request posts `corpora/examples/kratom_mood_guide.txt` ({f['article_bytes']:,} bytes, "
        f"{f['claims']} claims) to `/api/analyses`; the server reads, analyses and stores it. "
        f"Server start to ready: {f['startup_s']:.1f} s (not counted).",
        "",
        "| measure | result |",
        "|---|---|",
        f"| requests (successful / errors) | {f['ok']} / {f['errors']} |",
        f"| p50 latency | {f['p50_ms']:.1f} ms |",
        f"| p95 latency | {f['p95_ms']:.1f} ms |",
        f"| p99 latency | {f['p99_ms']:.1f} ms |",
        f"| max latency | {f['max_ms']:.1f} ms |" if f["max_ms"] is not None else
        "| max latency | - |",
        f"| throughput | {f['requests_per_s']:.2f} requests/s ({f['wall_s']:.1f} s wall) |",
        "",
        f"Status codes: {', '.join(f'{k}: {v}' for k, v in sorted(f['statuses'].items()))}.",
        "",
        "Latency is measured by the client, from sending the request to reading the whole "
        "response (loopback HTTP, JSON parse and validation, ingest checks, the spaCy pipeline, "
        "the SQLite write). With C clients and W workers, a request waits for a worker when "
        "C > W, so p50 is about C / W analyses long; throughput is bounded by the cores, since "
        "the pipeline holds the GIL for most of an analysis.",
        "",
    ]
    out.with_suffix(".md").write_text("\n".join(md), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="The server's analysis workers.")
    parser.add_argument("--deadline", type=float, default=600.0,
                        help="Seconds after which no new request is sent.")
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "serve")
    args = parser.parse_args(argv)
    if not 1 <= args.concurrency <= 64 or not 1 <= args.requests <= 10_000:
        parser.error("--concurrency is 1..64 and --requests 1..10000")

    text = EXAMPLE.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="kratom-serve-bench-") as tmp:
        port = free_port()
        base = f"http://{HOST}:{port}"
        load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        server = start_server(port, Path(tmp) / "bench.sqlite3", args.workers,
                              Path(tmp) / "server.log")
        try:
            startup = wait_ready(base, server, timeout=180)
            log(f"server ready on {base} after {startup:.1f} s; sending {args.requests} "
                f"requests, {args.concurrency} at a time")
            warm = httpx.post(f"{base}/api/analyses", json={"text": text}, timeout=120)
            warm.raise_for_status()
            figures = run_load(base, text, args.requests, args.concurrency, args.deadline)
        except Exception:
            log((Path(tmp) / "server.log").read_text(errors="replace")[-3000:])
            raise
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    figures.update({
        "server_workers": args.workers, "startup_s": round(startup, 2),
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "load_before": round(load_before, 2), "load_after": round(load_after, 2),
        "article_bytes": len(text.encode("utf-8")),
        "claims": len(warm.json()["analysis"]["claims"]),
    })
    write_results(args.out, figures)
    log(f"requests: {figures['ok']} ok, {figures['errors']} errors "
        f"({', '.join(f'{k}: {v}' for k, v in sorted(figures['statuses'].items()))})")
    log(f"p50 latency: {figures['p50_ms']:.1f} ms")
    log(f"p95 latency: {figures['p95_ms']:.1f} ms")
    log(f"p99 latency: {figures['p99_ms']:.1f} ms")
    log(f"throughput: {figures['requests_per_s']:.2f} requests/s over {figures['wall_s']:.1f} s")
    log(f"wrote {args.out.with_suffix('.md')} and {args.out.with_suffix('.json')}")
    return 0 if figures["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
