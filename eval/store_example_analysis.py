"""Store the example article's analysis as the reference the tests compare against.

    python eval/store_example_analysis.py

Run it only after a deliberate change of the default models or rules (and say so in the
commit): ``tests/test_pipeline.py::test_the_example_analysis_matches_the_stored_one`` fails
on any other change of the analysis.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "corpora" / "examples" / "kratom_mood_guide.txt"
STORED = ROOT / "tests" / "fixtures" / "example_analysis.json"


def main() -> None:
    from kratom_nlp.api import analyze

    analysis = analyze(path=EXAMPLE)
    analysis["source"] = "corpora/examples/kratom_mood_guide.txt"
    STORED.write_text(json.dumps(analysis, indent=1, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    print(f"wrote {STORED} ({len(analysis['claims'])} claims, "
          f"{analysis['summary']['overclaims']} overclaims)")


if __name__ == "__main__":
    main()
