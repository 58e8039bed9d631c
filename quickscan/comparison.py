"""What is comparable between two rounds, and the change on the comparable questions only.

Part of the domain core: plain typed data in, plain typed data out (no framework). The rules
are the contract in ``docs/scoring.md`` ("Comparing two rounds"):

* a question of the new round is **comparable** when its bank's previous version has the same
  id (kept), or when it is the only question that ``replaces`` an earlier id and it replaces
  nothing else (replaced); split and merged questions, and new ones, are not compared
  (:mod:`quickscan.bank_diff` decides which is which);
* a theme's, bank's or department's change is computed over the comparable questions only, on
  both sides over the same set (the pairs scored in both rounds) with the same weights (the new
  question's weight);
* the **compatibility share** of a figure is comparable questions / questions of the new round
  in that theme, bank, department or round; a change based on less than half of a theme's
  questions is ``partial``;
* a change is shown only where both rounds meet the minimum group size: a hidden side hides the
  change (``hidden``; every figure is ``None``).

Departments are matched by the new round's department names: the previous round's results
must already be scored with the new names (:func:`remap_responses` pools the responses of the
earlier departments a new department continues).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from quickscan.bank import Bank
from quickscan.bank_diff import BankDiff, diff_banks
from quickscan.perspectives import (
    POINTS_PER_LEVEL,
    Ambition,
    ResidentValue,
    ThemeKey,
    ambition_figures,
)
from quickscan.residents import ResidentsBank, rating_points
from quickscan.scoring import (
    DepartmentInput,
    DepartmentResult,
    ResponseInput,
    RoundResult,
    weighted_mean,
)

#: A change based on fewer than this share of a theme's questions is marked ``partial``.
PARTIAL_SHARE: Final = 0.5

QuestionStatus = Literal["kept", "replaced", "split", "merged", "new"]


@dataclass(frozen=True, slots=True)
class QuestionMatch:
    """How a question of the new round relates to the previous round."""

    question_id: str
    bank_id: str
    theme_id: str
    status: QuestionStatus
    previous_ids: tuple[str, ...]

    @property
    def comparable(self) -> bool:
        """Kept and replaced questions are compared; split, merged and new ones are not."""
        return self.status in ("kept", "replaced")


@dataclass(frozen=True, slots=True)
class Change:
    """The change of one figure (a theme, a bank or a whole department) since the last round.

    ``score`` and ``previous_score`` are over the same comparable questions with the same
    weights; ``comparable_questions`` of the ``questions`` the new round asks there are
    comparable. ``bank_id`` is None for a department's figure, ``theme_id`` None for a bank's.
    """

    department: str
    bank_id: str | None
    theme_id: str | None
    score: float | None
    previous_score: float | None
    delta: float | None
    comparable_questions: int
    questions: int
    hidden: bool = False

    @property
    def compatibility(self) -> float:
        """Comparable questions / questions of the new round (0.0-1.0)."""
        return self.comparable_questions / self.questions if self.questions else 0.0

    @property
    def partial(self) -> bool:
        """True when the change rests on less than half of the questions."""
        return self.compatibility < PARTIAL_SHARE


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two rounds compared: per question, and the changes per theme, bank and department."""

    questions: tuple[QuestionMatch, ...]
    themes: tuple[Change, ...]
    banks: tuple[Change, ...]
    departments: tuple[Change, ...]
    diffs: tuple[BankDiff, ...]

    @property
    def comparable_questions(self) -> int:
        """Comparable questions in the whole new round."""
        return sum(1 for match in self.questions if match.comparable)

    @property
    def compatibility(self) -> float:
        """The round's compatibility share: comparable questions / questions of the new round."""
        return self.comparable_questions / len(self.questions) if self.questions else 0.0

    def theme(self, department: str, bank_id: str, theme_id: str) -> Change | None:
        """The change of one theme in one department, or None when it is not compared."""
        return next((c for c in self.themes if (c.department, c.bank_id, c.theme_id)
                     == (department, bank_id, theme_id)), None)


def match_questions(previous: Sequence[Bank], current: Sequence[Bank]) -> tuple[
        tuple[QuestionMatch, ...], tuple[BankDiff, ...]]:
    """Every question of ``current`` with its status against the same bank in ``previous``."""
    before = {bank.id: bank for bank in previous}
    matches: list[QuestionMatch] = []
    diffs: list[BankDiff] = []
    for bank in current:
        old = before.get(bank.id)
        diff = diff_banks(old, bank) if old is not None else None
        if diff is not None:
            diffs.append(diff)
        kept = set(diff.kept) if diff else set()
        replaced = {new: old_id for old_id, new in diff.replaced} if diff else {}
        split = {new: old_id for old_id, news in diff.split for new in news} if diff else {}
        merged = {new: olds for olds, new in diff.merged} if diff else {}
        for theme in bank.themes:
            for question in theme.questions:
                status: QuestionStatus
                ids: tuple[str, ...]
                if question.id in kept:
                    status, ids = "kept", (question.id,)
                elif question.id in replaced:
                    status, ids = "replaced", (replaced[question.id],)
                elif question.id in split:
                    status, ids = "split", (split[question.id],)
                elif question.id in merged:
                    status, ids = "merged", merged[question.id]
                else:
                    status, ids = "new", ()
                matches.append(QuestionMatch(question.id, bank.id, theme.id, status, ids))
    return tuple(matches), tuple(diffs)


def _question_scores(department: DepartmentResult | None) -> dict[str, float | None]:
    if department is None or department.hidden:
        return {}
    return {q.question_id: q.score for theme in department.themes() for q in theme.questions}


def _change(department: str, bank_id: str | None, theme_id: str | None,
            pairs: Sequence[tuple[QuestionMatch, float]], questions: int,
            now: Mapping[str, float | None], before: Mapping[str, float | None],
            hidden: bool) -> Change:
    comparable = [(match, weight) for match, weight in pairs if match.comparable]
    if hidden:
        return Change(department, bank_id, theme_id, None, None, None, len(comparable),
                      questions, hidden=True)
    both = [(now.get(m.question_id), before.get(m.previous_ids[0]), weight)
            for m, weight in comparable]
    both = [(a, b, w) for a, b, w in both if a is not None and b is not None]
    score = weighted_mean((a, w) for a, _b, w in both)
    previous = weighted_mean((b, w) for _a, b, w in both)
    delta = None if score is None or previous is None else score - previous
    return Change(department, bank_id, theme_id, score, previous, delta, len(comparable),
                  questions)


def compare_rounds(previous_banks: Sequence[Bank], previous: RoundResult,
                   current_banks: Sequence[Bank], current: RoundResult,
                   departments: Sequence[DepartmentInput],
                   hidden_before: Iterable[str] = ()) -> Comparison:
    """Compare two scored rounds on their comparable questions.

    ``departments`` are the new round's departments (name and banks). ``previous`` must be
    scored with the new round's department names (see :func:`remap_responses`); a department
    missing there, hidden on either side or named in ``hidden_before`` (see
    :func:`hidden_by_sources`) gets hidden changes: the counts of questions stay, every figure
    is None.
    """
    forced = set(hidden_before)
    current_departments = {d.name: d for d in current.departments}
    matches, diffs = match_questions(previous_banks, current_banks)
    by_question = {match.question_id: match for match in matches}
    weights = {q.id: q.weight for bank in current_banks for q in bank.questions}
    banks = {bank.id: bank for bank in current_banks}
    before_departments = {d.name: d for d in previous.departments}
    themes: list[Change] = []
    bank_changes: list[Change] = []
    changes: list[Change] = []
    for info in departments:
        result = current_departments.get(info.name)
        old = before_departments.get(info.name)
        hidden = (result is None or result.hidden or old is None or old.hidden
                  or info.name in forced)
        now = _question_scores(result)
        before = _question_scores(old)
        department_pairs: list[tuple[QuestionMatch, float]] = []
        for bank_id in info.bank_ids:
            bank = banks.get(bank_id)
            if bank is None:
                continue
            bank_pairs: list[tuple[QuestionMatch, float]] = []
            for theme in bank.themes:
                pairs = [(by_question[q.id], weights[q.id]) for q in theme.questions]
                bank_pairs.extend(pairs)
                themes.append(_change(info.name, bank.id, theme.id, pairs, len(pairs),
                                      now, before, hidden))
            department_pairs.extend(bank_pairs)
            bank_changes.append(_change(info.name, bank.id, None, bank_pairs,
                                        len(bank_pairs), now, before, hidden))
        changes.append(_change(info.name, None, None, department_pairs,
                               len(department_pairs), now, before, hidden))
    return Comparison(matches, tuple(themes), tuple(bank_changes), tuple(changes), diffs)


def remap_responses(responses: Iterable[ResponseInput],
                    continues: Mapping[str, Sequence[str]]) -> list[ResponseInput]:
    """The previous round's responses relabelled to the new round's departments.

    ``continues`` maps each new department to the earlier departments it continues; a response
    of an earlier department counts for every new department that continues it (a split
    department is compared with the whole earlier one; a merged one with the pooled responses).
    """
    followers: dict[str, list[str]] = {}
    for new, olds in continues.items():
        for old in olds:
            followers.setdefault(old, []).append(new)
    out: list[ResponseInput] = []
    for response in responses:
        for new in followers.get(response.department, ()):
            out.append(ResponseInput(new, response.answers, response.importance,
                                     response.submitted))
    return out


def hidden_by_sources(continues: Mapping[str, Sequence[str]], submitted: Mapping[str, int],
                      min_group_size: int) -> frozenset[str]:
    """New departments whose previous side must stay hidden.

    A pooled group hides when **any** earlier department it pools has fewer than k submitted
    responses: otherwise subtracting a visible department's figure from the pooled one would
    reveal the small group's answers.
    """
    if min_group_size <= 1:
        return frozenset()
    return frozenset(new for new, olds in continues.items()
                     if not olds or any(submitted.get(old, 0) < min_group_size for old in olds))


# --------------------------------------------------------------------------- perspectives
#
# The inwoners' experience score and the bestuur's ambition per theme, compared between two
# rounds with the same rules (see docs/scoring.md, "Comparing two rounds", rule 6).

PerspectiveKind = Literal["residents", "ambition"]


@dataclass(frozen=True, slots=True)
class PerspectiveChange:
    """The change of one perspective on one theme since the previous round.

    Inwoners: ``comparable_questions`` of the ``questions`` statements that mirror the theme
    in the new residents bank are comparable, and both scores are over those statements only.
    Bestuur: the ambition (25 x median level) is compared when the theme exists in both rounds;
    its counts are the theme's own questions (the theme's meaning is its questions).
    ``hidden``: the group is under its minimum size in either round (every figure None).
    """

    kind: PerspectiveKind
    bank_id: str
    theme_id: str
    score: float | None
    previous_score: float | None
    delta: float | None
    comparable_questions: int
    questions: int
    hidden: bool = False

    @property
    def compatibility(self) -> float:
        """Comparable statements (questions) / those of the new round (0.0-1.0)."""
        return self.comparable_questions / self.questions if self.questions else 0.0

    @property
    def partial(self) -> bool:
        """True when the change rests on less than half of the statements (questions)."""
        return self.compatibility < PARTIAL_SHARE


def match_statements(previous: ResidentsBank | None, current: ResidentsBank
                     ) -> dict[str, str]:
    """Comparable statements: new id -> previous id (kept, or a sole one-to-one replace).

    The rule of :func:`match_questions`: a statement is kept when the previous bank (the same
    residents bank id) has the same id; replaced when it is the only statement that
    ``replaces`` a previous id and it replaces nothing else. Split, merged and new statements
    are not compared.
    """
    if previous is None or previous.id != current.id:
        return {}
    old_ids = {s.id for s in previous.statements}
    new_ids = {s.id for s in current.statements}
    replacers: dict[str, list[str]] = {}
    for statement in current.statements:
        for old in statement.replaced_ids:
            if old in old_ids and old not in new_ids:
                replacers.setdefault(old, []).append(statement.id)
    pairs: dict[str, str] = {}
    for statement in current.statements:
        if statement.id in old_ids:
            pairs[statement.id] = statement.id
            continue
        olds = [old for old in statement.replaced_ids if old in replacers]
        if len(olds) == 1 and len(statement.replaced_ids) == 1 \
                and replacers[olds[0]] == [statement.id]:
            pairs[statement.id] = olds[0]
    return pairs


def _ratings_mean(responses: Sequence[Mapping[str, ResidentValue]], ids: Sequence[str]
                  ) -> float | None:
    points = [rating_points(value) for response in responses for sid in ids
              if isinstance(value := response.get(sid), int)]
    return sum(points) / len(points) if points else None


def compare_residents(previous_bank: ResidentsBank | None,
                      previous: Sequence[Mapping[str, ResidentValue]], previous_hidden: bool,
                      current_bank: ResidentsBank,
                      current: Sequence[Mapping[str, ResidentValue]], current_hidden: bool
                      ) -> tuple[PerspectiveChange, ...]:
    """Per theme the new residents bank mirrors: the change of the inwoners' experience score.

    Both sides are the mean points of every rating of the comparable statements that mirror
    the theme and were rated in both rounds (the previous side over the statements they
    replace). A group under its minimum size in either round hides the change.
    """
    pairs = match_statements(previous_bank, current_bank)
    hidden = previous_hidden or current_hidden
    out: list[PerspectiveChange] = []
    for bank_id, theme_id in current_bank.mirrored_themes():
        statements = current_bank.statements_for(bank_id, theme_id)
        comparable = [s.id for s in statements if s.id in pairs]
        if hidden:
            out.append(PerspectiveChange("residents", bank_id, theme_id, None, None, None,
                                         len(comparable), len(statements), hidden=True))
            continue
        both = [sid for sid in comparable
                if _ratings_mean(current, [sid]) is not None
                and _ratings_mean(previous, [pairs[sid]]) is not None]
        score = _ratings_mean(current, both)
        before = _ratings_mean(previous, [pairs[sid] for sid in both])
        delta = None if score is None or before is None else score - before
        out.append(PerspectiveChange("residents", bank_id, theme_id, score, before, delta,
                                     len(comparable), len(statements)))
    return tuple(out)


def compare_ambitions(previous: Sequence[Mapping[ThemeKey, Ambition]], previous_hidden: bool,
                      current: Sequence[Mapping[ThemeKey, Ambition]], current_hidden: bool,
                      themes: Sequence[ThemeKey], previous_themes: Iterable[ThemeKey],
                      theme_changes: Mapping[ThemeKey, tuple[int, int]]
                      ) -> tuple[PerspectiveChange, ...]:
    """Per theme of the new round: the change of the bestuur's ambition (25 x median level).

    A theme is compared when it exists in both rounds (same bank id and theme id);
    ``theme_changes`` gives its (comparable questions, questions) from the civil-servant
    comparison, shown as the ambition's compatibility share.
    """
    existed = set(previous_themes)
    hidden = previous_hidden or current_hidden
    now = {} if hidden else ambition_figures(current)
    before = {} if hidden else ambition_figures(previous)
    out: list[PerspectiveChange] = []
    for key in themes:
        comparable, questions = theme_changes.get(key, (0, 0))
        if key not in existed:
            comparable = 0
        if hidden:
            out.append(PerspectiveChange("ambition", *key, None, None, None, comparable,
                                         questions, hidden=True))
            continue
        level = now.get(key, (None, None))[0]
        earlier = before.get(key, (None, None))[0] if key in existed else None
        score = None if level is None else POINTS_PER_LEVEL * level
        previous_score = None if earlier is None else POINTS_PER_LEVEL * earlier
        delta = None if score is None or previous_score is None else score - previous_score
        out.append(PerspectiveChange("ambition", *key, score, previous_score, delta,
                                     comparable, questions))
    return tuple(out)
