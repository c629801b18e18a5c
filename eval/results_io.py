"""Where the benchmarks write their figures: ``eval/results/<name>.json`` and ``.md``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def write_results(name: str, figures: dict[str, Any], markdown: str) -> None:
    """Write ``figures`` as JSON and ``markdown`` beside it, and print the markdown."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")
    (RESULTS / f"{name}.md").write_text(markdown, encoding="utf-8")
    print(markdown)
