"""Tiny offline language guesser (no external dependency).

Two stages:

1. **Script check.**  If at least half of the letters belong to a non-Latin
   script, the language follows from the script: Cyrillic -> ``ru`` (``uk`` when
   Ukrainian-only letters occur), Greek -> ``el``, Hebrew -> ``he``, Arabic ->
   ``ar`` (``fa`` when Persian-only letters occur), Devanagari -> ``hi``, Thai ->
   ``th``, Hangul -> ``ko``, Kana -> ``ja``, Han only -> ``zh``.
2. **Stop-word profiles** for Latin-script text: en, de, fr, es, it, pt, nl.
   The language whose function words cover most tokens wins.

Returns ``("und", 0.0)`` when the text is too short or nothing matches.  The
confidence is a heuristic in [0, 1], not a probability.
"""

from __future__ import annotations

import re

__all__ = ["LANGUAGE_NAMES", "detect_language", "is_english", "language_name"]

#: Characters of input looked at; the start of an article is representative.
_SAMPLE_CHARS = 20_000
#: Fewer word tokens than this gives "und".
_MIN_WORDS = 3
_MIN_LETTERS = 10

LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "de": "German",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "ru": "Russian",
    "uk": "Ukrainian",
    "el": "Greek",
    "he": "Hebrew",
    "ar": "Arabic",
    "fa": "Persian",
    "hi": "Hindi",
    "th": "Thai",
    "ko": "Korean",
    "ja": "Japanese",
    "zh": "Chinese",
    "und": "an undetermined language",
}


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


_STOPWORDS: dict[str, frozenset[str]] = {
    "en": _words(
        """the and of to in is that it for was on are with as be by this have from or an
        not but which were can has been their they its may also more than these such
        other some there would should into who what when how about after between most
        because while do does if we you he she his her our your at all one no only
        will could people those them then very"""
    ),
    "de": _words(
        """der die das und ist nicht ein eine einer einem einen eines mit von zu den dem
        des sich auf für auch es im in wird werden wurde sind bei nach aus oder wie als
        sie er wir ich noch nur kann können durch über unter aber dass zum zur vor sehr
        diese dieser dieses wenn haben hat man mehr schon ohne gegen zwischen jedoch
        sowie kein keine bereits"""
    ),
    "fr": _words(
        """le la les des du de et est un une en que qui dans pour pas sur au aux ce cette
        ces il elle ils elles nous vous je ne se sont avec plus par ou mais comme été
        être avoir ont son sa ses leur leurs peut aussi très sans entre chez dont où
        était fait selon lors"""
    ),
    "es": _words(
        """el la los las de del y en que es un una por con no se para al lo como más pero
        sus su le ya fue este esta estos esto ha han son entre cuando muy sin sobre
        también hasta hay donde desde todo nos puede pueden ser está están porque cada
        otros otras ni sido"""
    ),
    "it": _words(
        """il lo la gli le di del della dei delle degli e è che un una uno per con non in
        da dal dalla al alla nel nella sono si come più ma anche questo questa essere ha
        hanno stato stata può possono molto senza tra fra sul sulla quando se perché
        dopo ogni loro suo sua"""
    ),
    "pt": _words(
        """os as de do da dos das e é que um uma em no na nos nas para com não por pelo
        pela se mais como mas ao aos ou seu sua são foi ser está estão também muito
        entre quando sem sobre pode podem isso este esta essa esse já há até depois
        ainda nem"""
    ),
    "nl": _words(
        """de het een en van in is dat op te zijn voor met die niet aan er maar om ook als
        bij of door naar worden wordt werd dan nog uit kan kunnen over deze dit geen wel
        meer zo hun hij zij wij ze onder tussen tegen heeft hebben zich omdat wanneer
        zonder welke"""
    ),
}

_WORD_RE = re.compile(r"[^\W\d_]+")


def _script_of(cp: int) -> str | None:
    """Script bucket of a letter's code point (None = Latin or other)."""
    if cp < 0x0250 or 0x1E00 <= cp <= 0x1EFF:
        return None  # Latin
    if 0x0370 <= cp <= 0x03FF or 0x1F00 <= cp <= 0x1FFF:
        return "el"
    if 0x0400 <= cp <= 0x052F:
        return "cyrillic"
    if 0x0590 <= cp <= 0x05FF:
        return "he"
    if 0x0600 <= cp <= 0x06FF or 0x0750 <= cp <= 0x077F or 0xFB50 <= cp <= 0xFEFF:
        return "arabic"
    if 0x0900 <= cp <= 0x097F:
        return "hi"
    if 0x0E00 <= cp <= 0x0E7F:
        return "th"
    if 0x1100 <= cp <= 0x11FF or 0xAC00 <= cp <= 0xD7AF or 0x3130 <= cp <= 0x318F:
        return "ko"
    if 0x3040 <= cp <= 0x30FF or 0x31F0 <= cp <= 0x31FF:
        return "kana"
    if 0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF:
        return "han"
    return None


_UKRAINIAN_ONLY = frozenset("іїєґІЇЄҐ")
_PERSIAN_ONLY = frozenset("پچژگ")


def _script_language(text: str) -> tuple[str, float] | None:
    counts: dict[str, int] = {}
    letters = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        script = _script_of(ord(ch))
        if script is not None:
            counts[script] = counts.get(script, 0) + 1
    if letters == 0:
        return None
    non_latin = sum(counts.values())
    if non_latin / letters < 0.5:
        return None
    # CJK: kana means Japanese even when Han dominates.
    if counts.get("kana", 0) + counts.get("han", 0) >= max(counts.values()):
        cjk = counts.get("kana", 0) + counts.get("han", 0)
        lang = "ja" if counts.get("kana", 0) > 0 else "zh"
        return lang, round(cjk / letters, 2)
    script, n = max(counts.items(), key=lambda item: item[1])
    if script == "cyrillic":
        lang = "uk" if any(ch in _UKRAINIAN_ONLY for ch in text) else "ru"
    elif script == "arabic":
        lang = "fa" if any(ch in _PERSIAN_ONLY for ch in text) else "ar"
    else:
        lang = script
    return lang, round(n / letters, 2)


def detect_language(text: str) -> tuple[str, float]:
    """Guess the ISO 639-1 language code of ``text`` and a confidence in [0, 1].

    Returns ``("und", 0.0)`` when the text is too short or matches no profile.
    """
    sample = text[:_SAMPLE_CHARS]
    if sum(1 for ch in sample if ch.isalpha()) < _MIN_LETTERS:
        return "und", 0.0

    by_script = _script_language(sample)
    if by_script is not None:
        return by_script

    words = _WORD_RE.findall(sample.lower())
    if len(words) < _MIN_WORDS:
        return "und", 0.0

    hits = {lang: 0 for lang in _STOPWORDS}
    for word in words:
        for lang, stops in _STOPWORDS.items():
            if word in stops:
                hits[lang] += 1
    ranked = sorted(hits.items(), key=lambda item: item[1], reverse=True)
    (best, best_hits), (_, second_hits) = ranked[0], ranked[1]
    if best_hits == 0:
        return "und", 0.0

    coverage = best_hits / len(words)  # ~0.3-0.5 for ordinary prose
    margin = (best_hits - second_hits) / best_hits
    size_factor = min(1.0, len(words) / 20)  # short snippets are less certain
    confidence = min(1.0, coverage / 0.25) * (0.4 + 0.6 * margin) * (0.5 + 0.5 * size_factor)
    return best, round(confidence, 2)


def is_english(text: str) -> bool:
    """True when :func:`detect_language` says English (False for "und")."""
    return detect_language(text)[0] == "en"


def language_name(code: str) -> str:
    """English name for a code from :func:`detect_language` (the code if unknown)."""
    return LANGUAGE_NAMES.get(code, code)
