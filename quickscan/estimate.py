"""How long a questionnaire takes: an estimate from the words to read and the questions to rate.

Part of the domain core (no framework imports). The formula, documented in
``docs/question-banks.md``::

    minutes = words / READING_WPM + questions x SECONDS_PER_QUESTION / 60
              + themes x SECONDS_PER_THEME / 60

``words`` counts what every respondent reads: each theme's title and description and each
question's statement, plus the five level labels once (the scale is the same on every page).
Help texts are opened on request and are not counted. The estimate is rounded up to whole
minutes. The constants:

* ``READING_WPM = 150``: silent reading of plain Dutch on a screen by a B1 reader (adults read
  200-250 words a minute; B1 readers and screen reading are slower);
* ``SECONDS_PER_QUESTION = 20``: choosing a maturity level means recalling practice, not stating an
  opinion, so it takes longer than a Likert item (about 8-10 s);
* ``SECONDS_PER_THEME = 15``: the importance rating and moving to the next page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

from quickscan.bank import Bank
from quickscan.readability import words

READING_WPM: Final = 150.0
SECONDS_PER_QUESTION: Final = 20.0
SECONDS_PER_THEME: Final = 15.0


def words_to_read(banks: Sequence[Bank], level_labels: Sequence[str] = ()) -> int:
    """The words a respondent reads in ``banks`` (statements, theme titles and descriptions)."""
    total = sum(len(words(label)) for label in level_labels)
    for bank in banks:
        for theme in bank.themes:
            total += len(words(theme.title)) + len(words(theme.description))
            total += sum(len(words(question.statement)) for question in theme.questions)
    return total


def estimate_minutes(banks: Sequence[Bank], level_labels: Sequence[str] = ()) -> int:
    """The expected minutes to answer ``banks`` (as a round asks them), rounded up; at least 1."""
    questions = sum(len(bank.questions) for bank in banks)
    themes = sum(len(bank.themes) for bank in banks)
    minutes = (words_to_read(banks, level_labels) / READING_WPM
               + questions * SECONDS_PER_QUESTION / 60.0
               + themes * SECONDS_PER_THEME / 60.0)
    return max(1, math.ceil(minutes))
