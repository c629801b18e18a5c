"""Terminal view of an analysis, built with rich."""

from __future__ import annotations

import io
import re
import unicodedata

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kratom_nlp.outputs import caveat_groups, leaning_claims, level_label, study_details

DEFAULT_WIDTH = 110
CLAIM_MAX_CHARS = 160
NARROW_WIDTH = 96
MAX_TABLE_WIDTH = 160

LEVEL_STYLES: dict[str, str] = {
    "systematic_review": "bold green",
    "clinical_trial": "green",
    "observational": "cyan",
    "preclinical": "blue",
    "anecdotal": "dark_orange",
    "expert_opinion": "magenta",
    "unspecified": "yellow",
    "regulatory": "bright_white on grey23",
    "none": "dim",
}

_WS = re.compile(r"\s+")
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def _clean(value: object) -> str:
    """One-line, terminal-safe text: no control codes, escapes or bidi overrides."""
    s = "" if value is None else str(value)
    s = "".join(
        " " if ch in "\t\n\r\x0b\x0c"
        else "" if ch in _BIDI or unicodedata.category(ch) in ("Cc", "Cs")
        else ch
        for ch in s
    )
    return _WS.sub(" ", s).strip()


def _trim(s: str, limit: int = CLAIM_MAX_CHARS) -> str:
    """Cut ``s`` at a word boundary to at most ``limit`` characters, adding an ellipsis."""
    if len(s) <= limit:
        return s
    cut = s[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


def _style(level: str) -> str:
    return LEVEL_STYLES.get(level, "white")


def _fmt_num(value: object, pct: bool = False) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "n/a"
    return f"{value:.0%}" if pct else f"{value:.2f}"


def _header(analysis: dict) -> Panel:
    summary = analysis.get("summary") or {}
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("Source", Text(_clean(analysis.get("source")) or "(unknown)"))
    overclaims = summary.get("overclaims", 0)
    grid.add_row("Claims", Text(str(summary.get("claims", len(analysis.get("claims") or [])))))
    grid.add_row(
        "Overclaims",
        Text.assemble(
            (str(overclaims), "bold red" if overclaims else "green"),
            f"  (rate {_fmt_num(summary.get('overclaim_rate'), pct=True)})",
        ),
    )
    grid.add_row("Support score", Text(_fmt_num(summary.get("support_score"))))
    verdict = _clean(summary.get("verdict"))
    if verdict:
        grid.add_row("Verdict", Text(verdict, style="bold"))
    mix = Text()
    for level, count in (summary.get("evidence_levels") or {}).items():
        if mix:
            mix.append(" · ", style="dim")
        mix.append(_clean(level), style=_style(str(level)))
        mix.append(f" {count}")
    grid.add_row("Evidence mix", mix or Text("—", style="dim"))
    for warning in analysis.get("warnings") or []:
        grid.add_row(Text("Warning", style="yellow"), Text(_clean(warning), style="yellow"))
    return Panel(grid, title=Text("kratom_nlp analysis", style="bold"), title_align="left",
                 box=box.ROUNDED, expand=False)


def _claim_cells(claim: dict) -> tuple[Text, Text, Text, Text, Text]:
    """Claim text, evidence, strength, advice and overclaim cells for one claim."""
    evidence = claim.get("evidence") or {}
    level = _clean(evidence.get("level")) or "none"
    ev = Text(level, style=_style(level))
    cues = [_clean(c.get("text")) for c in evidence.get("cues") or [] if isinstance(c, dict)]
    for cue in filter(None, cues):
        ev.append(f"\n“{_trim(cue, 40)}”", style="italic")
    if evidence.get("from_context"):
        ev.append("\n(from context)", style="dim")
    over = claim.get("overclaim") or {}
    if over.get("flag"):
        flag = Text("⚑ ", style="bold red")
        flag.append(_clean(over.get("reason")) or "overclaim", style="bold red")
        if over.get("rule"):
            flag.append(f"\n[{_clean(over.get('rule'))}]", style="dim")
    else:
        flag = Text("—", style="dim")
        if claim.get("by_context"):
            flag.append("\n(a claim by its context: not graded)", style="dim")
    advice = Text("yes", style="bold yellow") if claim.get("advice") else Text("—", style="dim")
    strength = Text(_clean(claim.get("strength")).replace("_", " ") or "—")
    scue = claim.get("strength_cue")
    if isinstance(scue, dict) and scue.get("text"):
        strength.append(f"\n(null result: “{_trim(_clean(scue.get('text')), 30)}”)", style="dim")
    return Text(_trim(_clean(claim.get("text")))), ev, strength, advice, flag


def _claims_table(analysis: dict, width: int) -> Table:
    table = Table(box=box.ROUNDED, show_lines=True, header_style="bold",
                  title=Text("Claims", style="bold"), title_justify="left", expand=True,
                  width=min(width, MAX_TABLE_WIDTH))
    table.add_column("#", justify="right", no_wrap=True, style="dim")
    table.add_column("Claim", ratio=4, min_width=20, overflow="fold")
    table.add_column("Evidence", min_width=14, max_width=20, overflow="fold")
    table.add_column("Strength", min_width=13, max_width=13, overflow="fold")
    table.add_column("Advice", no_wrap=True)
    table.add_column("Overclaim", ratio=3, min_width=16, overflow="fold")
    for i, claim in enumerate(analysis.get("claims") or [], 1):
        table.add_row(str(i), *_claim_cells(claim))
    if not table.rows:
        table.add_row("", Text("(no claims found)", style="dim"), "", "", "", "")
    return table


def _claims_stacked(analysis: dict) -> Group:
    """Narrow-terminal layout: one block per claim instead of a table."""
    parts: list[RenderableType] = [Text("Claims", style="bold")]
    for i, claim in enumerate(analysis.get("claims") or [], 1):
        text, ev, strength, advice, flag = _claim_cells(claim)
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()
        grid.add_row("Evidence", ev)
        grid.add_row("Strength", strength)
        grid.add_row("Advice", advice)
        grid.add_row("Overclaim", flag)
        parts.append(Panel(Group(text, grid), title=Text(f"#{i}"), title_align="left",
                           box=box.ROUNDED, border_style="red" if flag.plain != "—" else "dim"))
    if len(parts) == 1:
        parts.append(Text("(no claims found)", style="dim"))
    return Group(*parts)


def _studies(analysis: dict) -> RenderableType | None:
    """Each study the article describes, once, with the claims that lean on it."""
    studies = analysis.get("studies") or []
    if not studies:
        return None
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for st in studies:
        facts = [level_label(st.get("design")), *map(_clean, study_details(st))]
        leans = leaning_claims(analysis, st)
        line = Text(f"\u201c{_trim(_clean(st.get('text')), 120)}\u201d  ", style="italic")
        line.append(" · ".join(facts), style=_style(str(st.get("design"))))
        line.append("  claims: " + (", ".join(leans) if leans else "none"), style="dim")
        grid.add_row(str(st.get("id", "")), line)
    return Panel(grid, title="Studies described", title_align="left", expand=True)


def _caveats(analysis: dict) -> RenderableType | None:
    """The limits of its evidence that the article states, by kind."""
    groups = caveat_groups(analysis)
    if not groups:
        return None
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for label, words in groups:
        grid.add_row(label, ", ".join(f"\u201c{_clean(w)}\u201d" for w in words))
    return Panel(grid, title="Caveats the article states", title_align="left", expand=True)


def build_renderable(analysis: dict, width: int = DEFAULT_WIDTH) -> RenderableType:
    """The rich renderable for ``analysis``: header panel, the studies described, the caveats
    the article states, and the claims table (stacked if narrow)."""
    if width < NARROW_WIDTH:
        claims: RenderableType = _claims_stacked(analysis)
    else:
        claims = _claims_table(analysis, width)
    extra = [r for r in (_studies(analysis), _caveats(analysis)) if r is not None]
    return Group(_header(analysis), *extra, claims)


def render_text(analysis: dict, *, width: int | None = None, color: bool = False) -> str:
    """Render the terminal view to a string; plain text unless ``color`` (then ANSI codes)."""
    console = Console(
        file=io.StringIO(),
        width=width or DEFAULT_WIDTH,
        force_terminal=color,
        color_system="truecolor" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        markup=False,
        legacy_windows=False,
        force_jupyter=False,
        record=False,
    )
    console.print(build_renderable(analysis, console.width))
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return "\n".join(line.rstrip() for line in out.splitlines()) + "\n"


def print_text(analysis: dict, console: Console | None = None) -> None:
    """Print the terminal view to ``console`` (default: stdout, coloured on a terminal)."""
    console = console or Console(highlight=False, emoji=False)
    console.print(build_renderable(analysis, console.width))


__all__ = ["build_renderable", "print_text", "render_text"]
