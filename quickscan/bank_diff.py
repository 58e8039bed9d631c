"""What changed between two versions of a question bank, question by question.

Part of the domain core. The rules follow ``replaces`` (see docs/question-banks.md):

* **kept**: the id is in both versions;
* **replaced**: exactly one new question replaces the old id, and that new question replaces
  nothing else (same meaning, new wording);
* **split**: two or more new questions replace the same old id;
* **merged**: one new question replaces two or more old ids;
* **removed**: an old id that is neither kept nor replaced;
* **new**: a new question that keeps no old id and replaces nothing.

Kept and replaced questions are *comparable* across rounds; split and merged ones are not.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from quickscan.bank import Bank


@dataclass(frozen=True)
class BankDiff:
    """The question-level difference between two versions of one bank."""

    bank_id: str
    old_version: str
    new_version: str
    kept: tuple[str, ...]
    replaced: tuple[tuple[str, str], ...]
    split: tuple[tuple[str, tuple[str, ...]], ...]
    merged: tuple[tuple[tuple[str, ...], str], ...]
    removed: tuple[str, ...]
    new: tuple[str, ...]

    @property
    def comparable(self) -> dict[str, str]:
        """Map of new question id to the old id it can be compared with (kept and replaced)."""
        pairs = {question_id: question_id for question_id in self.kept}
        pairs.update({new: old for old, new in self.replaced})
        return pairs


def diff_banks(old: Bank, new: Bank) -> BankDiff:
    """Compare two versions of one bank (``ValueError`` when they are different banks)."""
    if old.id != new.id:
        raise ValueError(f"cannot compare bank '{old.id}' with bank '{new.id}'")
    old_ids = [q.id for q in old.questions]
    new_questions = new.questions
    new_ids = {q.id for q in new_questions}
    replacers: dict[str, list[str]] = defaultdict(list)
    for question in new_questions:
        for old_id in question.replaced_ids:
            if old_id in old_ids and old_id not in new_ids:
                replacers[old_id].append(question.id)
    kept = tuple(qid for qid in old_ids if qid in new_ids)
    replaced: list[tuple[str, str]] = []
    split: list[tuple[str, tuple[str, ...]]] = []
    merged: list[tuple[tuple[str, ...], str]] = []
    for question in new_questions:
        olds = tuple(r for r in question.replaced_ids if r in replacers)
        if len(olds) > 1:
            merged.append((olds, question.id))
    merged_new = {new_id for _, new_id in merged}
    for old_id in old_ids:
        by = replacers.get(old_id, [])
        if len(by) > 1:
            split.append((old_id, tuple(by)))
        elif len(by) == 1 and by[0] not in merged_new:
            replaced.append((old_id, by[0]))
    touched = set(kept) | set(replacers)
    removed = tuple(qid for qid in old_ids if qid not in touched)
    new_only = tuple(q.id for q in new_questions
                     if q.id not in old_ids and not any(r in replacers for r in q.replaced_ids))
    return BankDiff(old.id, old.version, new.version, kept, tuple(replaced), tuple(split),
                    tuple(merged), removed, new_only)
