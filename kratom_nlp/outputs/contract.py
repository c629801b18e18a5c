"""The analysis contract: a processed spaCy ``Doc`` as the versioned JSON document.

The JSON Schema is ``kratom_nlp/resources/analysis.schema.json``; ``SCHEMA_VERSION`` follows
semantic versioning (a new optional field is a minor change, a renamed or removed one a major).
"""

from __future__ import annotations

from typing import Any

from spacy.tokens import Doc

SCHEMA_VERSION = "1.0.0"


def doc_to_analysis(doc: Doc, *, source: str | None = None, language: str | None = None,
                    warnings: list[str] | None = None) -> dict[str, Any]:
    """Build the analysis dict of a document processed by the kratom_nlp pipeline."""
    from kratom_nlp.pipeline.components import claim_to_dict

    claims = [claim_to_dict(c, i + 1) for i, c in enumerate(doc.spans.get("claims", []))]
    summary = dict(doc._.summary) if doc._.summary else {}
    if not summary:
        from kratom_nlp.grading import summarize

        summary = summarize(claims)
    return {
        "schema_version": SCHEMA_VERSION,
        "source": source or doc._.source or "<text>",
        "text": doc.text,
        "language": language or doc._.language or "en",
        "warnings": list(warnings if warnings is not None else doc._.warnings or []),
        "claims": claims,
        "summary": summary,
    }


def validate_analysis(analysis: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` when ``analysis`` breaks the contract."""
    import json

    import jsonschema

    from kratom_nlp.resources import schema_path

    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(analysis)
