"""Running totals of a batch and the closing summary table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kratom_nlp.taxonomy import EVIDENCE_LEVELS

__all__ = ["Stats", "summary_table"]


@dataclass
class Stats:
    """Documents, claims, overclaims, evidence mix and errors seen so far."""

    documents: int = 0
    claims: int = 0
    overclaims: int = 0
    words: int = 0
    errors: int = 0
    evidence: Counter[str] = field(default_factory=Counter)
    error_types: Counter[str] = field(default_factory=Counter)

    def add_analysis(self, analysis: dict[str, Any]) -> None:
        """Count one analysed document."""
        self.documents += 1
        claims = analysis.get("claims") or []
        self.claims += len(claims)
        self.overclaims += sum(1 for c in claims if (c.get("overclaim") or {}).get("flag"))
        self.evidence.update((c.get("evidence") or {}).get("level", "none") for c in claims)
        self.words += len(str(analysis.get("text", "")).split())

    def add_error(self, record: dict[str, Any]) -> None:
        """Count one failed document."""
        self.errors += 1
        self.error_types[str(record.get("error") or "error")] += 1

    def merged(self, other: Stats) -> Stats:
        """The sum of two totals."""
        return Stats(self.documents + other.documents, self.claims + other.claims,
                     self.overclaims + other.overclaims, self.words + other.words,
                     self.errors + other.errors, self.evidence + other.evidence,
                     self.error_types + other.error_types)

    @property
    def overclaim_rate(self) -> float:
        return self.overclaims / self.claims if self.claims else 0.0

    def evidence_mix(self) -> dict[str, int]:
        return {lvl: self.evidence[lvl] for lvl in EVIDENCE_LEVELS if self.evidence[lvl]}

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": self.documents,
            "claims": self.claims,
            "overclaims": self.overclaims,
            "overclaim_rate": round(self.overclaim_rate, 4),
            "evidence_levels": self.evidence_mix(),
            "words": self.words,
            "errors": self.errors,
            "error_types": dict(self.error_types),
        }


def _share(stats: Stats, level: str) -> str:
    total = sum(stats.evidence.values())
    n = stats.evidence[level]
    return f"{n:,} ({n / total:.0%})" if total else "0"


def summary_table(run: Stats, total: Stats, *, skipped: int, elapsed: float,
                  docs_per_s: float | None = None) -> Any:
    """A rich Table: this run next to everything in OUT."""
    from rich.table import Table

    table = Table(title="kratom-nlp batch", show_header=True, header_style="bold")
    table.add_column("")
    table.add_column("this run", justify="right")
    table.add_column("all in OUT", justify="right")
    rate = docs_per_s if docs_per_s is not None else (
        run.documents / elapsed if elapsed > 0 else 0.0)
    rows = [
        ("documents analysed", f"{run.documents:,}", f"{total.documents:,}"),
        ("skipped (already done)", f"{skipped:,}", ""),
        ("claims", f"{run.claims:,}", f"{total.claims:,}"),
        ("overclaims", f"{run.overclaims:,}", f"{total.overclaims:,}"),
        ("overclaim rate", f"{run.overclaim_rate:.1%}", f"{total.overclaim_rate:.1%}"),
        *((f"evidence: {lvl}", _share(run, lvl), _share(total, lvl))
          for lvl in EVIDENCE_LEVELS if total.evidence[lvl]),
        ("errors (errors.jsonl)", f"{run.errors:,}", f"{total.errors:,}"),
        ("elapsed", f"{elapsed:.1f} s", ""),
        ("docs/s", f"{rate:.2f}", ""),
    ]
    for row in rows:
        table.add_row(*row)
    return table
