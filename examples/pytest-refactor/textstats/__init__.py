"""Small text statistics: the package whose tests the demo migrates to pytest."""

from __future__ import annotations

import re
from collections import Counter

WORD = re.compile(r"[a-z']+")


def words(text: str) -> list[str]:
    """Lower-cased words, apostrophes kept."""
    return WORD.findall(text.lower())


def word_count(text: str) -> int:
    return len(words(text))


def top_words(text: str, n: int = 3) -> list[tuple[str, int]]:
    """The n most common words, ties broken alphabetically."""
    counts = Counter(words(text))
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:n]


def average_word_length(text: str) -> float:
    found = words(text)
    if not found:
        raise ValueError("no words in text")
    return sum(len(w) for w in found) / len(found)
