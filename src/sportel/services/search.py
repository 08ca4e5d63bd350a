"""Folding and stemming for the service search, the same on SQLite and PostgreSQL.

People type "vertetim" for "vërtetim", "certifikate" for "certifikatë" and "femije" for
"fëmijën". A service version keeps ``search_text``: its names and descriptions in both
languages, folded (lower case, diacritics removed: ë→e, ç→c) and stemmed word by word. A
query is folded and stemmed the same way and each of its words must begin a word of that text
(so "cert" finds "certifikatë" too). Doing it once in Python, when a version is saved, keeps
the two databases' results identical; PostgreSQL adds only the full-text index that ranks.

The stemmer is deliberately small: it strips the common Albanian noun and adjective endings
(definite and plural forms: -i, -a, -e, -t, -it, -in, -ën/-en, -es, -et, -at, -ve, -ave,
-ët, -ës ...) and a few English ones (-s, -es, -ing, -ed), never leaving a stem shorter than
four letters. It over-stems now and then (both sides the same way, so a match is rarely lost);
the tests in tests/services/test_search.py pin the words residents actually type.
"""

import re
import unicodedata

# Longest first: the first ending that leaves a long enough stem is removed.
SUFFIXES = (
    "ave",
    "ing",
    "ive",
    "eve",
    "ies",
    "it",
    "in",
    "en",
    "es",
    "et",
    "at",
    "ve",
    "ed",
    "a",
    "e",
    "i",
    "s",
)
MIN_STEM = 4
# Words whose ending is part of the word; stemming them would merge unrelated services.
# A kept word is stored as a token that does not begin with another word's stem: "taksi"
# (taxi) becomes "taxi", so "taksë" (tax, stem "taks") does not find the taxi licence.
KEEP = {
    "taksi": "taxi",
    "taksia": "taxi",
    "taksit": "taxi",
    "taksine": "taxi",
    "taksite": "taxi",
    "taxi": "taxi",
}
# Short words that carry no meaning of their own in a search ("certifikatë e lindjes").
STOPWORDS = frozenset(
    {
        # Albanian, folded as the text is ("të" → "te").
        *("e", "i", "te", "se", "dhe", "ne", "per", "nga", "me", "mbi", "ose", "a", "apo"),
        # English.
        *("the", "of", "and", "or", "for", "to", "in", "on", "at", "by", "an", "my", "your"),
    }
)
_WORD = re.compile(r"[0-9a-z]+")


def fold(text: str) -> str:
    """Lower case without diacritics: "Vërtetim Çerdhe" → "vertetim cerdhe"."""
    decomposed = unicodedata.normalize("NFKD", (text or "").casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(word: str) -> str:
    """The stem of one folded word (see the module docstring)."""
    if word in KEEP:
        return KEEP[word]
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    """The stems of ``text``'s words, stopwords left out, in order."""
    return [stem(w) for w in _WORD.findall(fold(text)) if w not in STOPWORDS]


def document(*texts: str) -> str:
    """The ``search_text`` of a service version: each stem once, space-separated and framed
    by spaces, so a query word matches the beginning of a word with ``contains(" " + stem)``."""
    seen: dict[str, None] = {}
    for text in texts:
        for word in words(text):
            seen.setdefault(word, None)
    return " " + " ".join(seen) + " " if seen else ""


def query_terms(text: str) -> list[str]:
    """The stems a query must all find (each at the start of a word)."""
    return list(dict.fromkeys(w for w in words(text) if len(w) >= 2))
