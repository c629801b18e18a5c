"""Grading: the overclaim rules engine and the article summary."""

from kratom_nlp.grading.overclaim import ClaimFacts, OverclaimDecision, OverclaimEngine
from kratom_nlp.grading.summary import summarize, summarize_spans

__all__ = ["ClaimFacts", "OverclaimDecision", "OverclaimEngine", "summarize", "summarize_spans"]
