"""Readability of question-bank statements: the Flesch-Douma score and word counts.

Part of the domain core: plain text in, numbers out, no framework imports.

Flesch-Douma (Douma 1960, the Dutch adaptation of Flesch's Reading Ease)::

    score = 206.84 - 0.77 x (syllables per 100 words) - 0.93 x (words per sentence)

Higher is easier; B1 Dutch reads at about 60 or more. Syllables are counted the same way every
time, by rule rather than by dictionary: a syllable is a run of vowel letters (a e i o u y and
their accented forms), where a vowel with a trema (ë ï ö ü) starts a new syllable (``ideeën`` has
three); every word has at least one. Words are runs of non-space characters with a letter or
digit in them; sentences end at ``.``, ``!`` or ``?`` (a statement without one is one sentence).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

#: Statements of a format-2 bank have at most this many words.
MAX_WORDS: Final = 20
#: The lowest Flesch-Douma score a format-2 bank may have.
MIN_SCORE: Final = 60.0

_VOWELS: Final = frozenset("aeiouyáéíóúàèìòùâêîôûäëïöü")
_TREMA: Final = frozenset("äëïöü")
_SENTENCE_END: Final = re.compile(r"[.!?]+(?:\s|$)")


def words(text: str) -> list[str]:
    """The words of ``text``: whitespace-separated tokens holding a letter or digit."""
    out = []
    for token in text.split():
        word = "".join(ch for ch in token if ch.isalnum() or ch in "-'")
        if any(ch.isalnum() for ch in word):
            out.append(word)
    return out


def syllables(word: str) -> int:
    """Count the syllables of one Dutch word by the vowel-run rule (at least 1)."""
    count = 0
    previous_vowel = False
    for ch in word.lower():
        vowel = ch in _VOWELS
        if vowel and (not previous_vowel or ch in _TREMA):
            count += 1
        previous_vowel = vowel
    return max(count, 1)


def sentences(text: str) -> int:
    """The number of sentences in ``text`` (at least 1 when it has words)."""
    parts = [part for part in _SENTENCE_END.split(text.strip()) if words(part)]
    return max(len(parts), 1) if words(text) else 0


def flesch_douma(texts: Iterable[str]) -> float | None:
    """The Flesch-Douma score over all ``texts`` together (``None`` when there are no words)."""
    total_words = total_syllables = total_sentences = 0
    for text in texts:
        found = words(text)
        total_words += len(found)
        total_syllables += sum(syllables(word) for word in found)
        total_sentences += sentences(text)
    if not total_words:
        return None
    return (206.84 - 0.77 * (100.0 * total_syllables / total_words)
            - 0.93 * (total_words / total_sentences))


@dataclass(frozen=True)
class LongStatement:
    """A statement over :data:`MAX_WORDS` words."""

    question_id: str
    words: int


@dataclass(frozen=True)
class Readability:
    """The readability of one bank's statements."""

    bank_id: str
    version: str
    statements: int
    score: float | None
    mean_words: float
    max_words: int
    long_statements: tuple[LongStatement, ...]

    def passes(self, min_score: float = MIN_SCORE, max_words: int = MAX_WORDS) -> bool:
        """True when the score is at least ``min_score`` and no statement is too long."""
        return (self.score is not None and self.score >= min_score
                and self.max_words <= max_words)


def readability(bank_id: str, version: str, statements: Sequence[tuple[str, str]],
                max_words: int = MAX_WORDS) -> Readability:
    """Measure ``statements`` (pairs of question id and statement) of one bank version."""
    counts = [(question_id, len(words(text))) for question_id, text in statements]
    return Readability(
        bank_id=bank_id,
        version=version,
        statements=len(statements),
        score=flesch_douma(text for _, text in statements),
        mean_words=(sum(n for _, n in counts) / len(counts)) if counts else 0.0,
        max_words=max((n for _, n in counts), default=0),
        long_statements=tuple(LongStatement(qid, n) for qid, n in counts if n > max_words),
    )
