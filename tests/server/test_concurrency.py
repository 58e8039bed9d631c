"""100 respondents saving at the same time against gunicorn with 4 workers.

Some respondents have the survey open in two tabs (same cookies, same resume link) that save
the same pages at the same moment: one tab sends the odd questions and the importance, the
other the even questions and the comments. Afterwards the database must hold exactly what the
last save of each sent: nothing lost, nothing duplicated, no stray rows, and not one error.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from sqlalchemy import text

from tests.server.harness import Respondent, ServerSetup, stored_page

RESPONDENTS = 100
TWO_TAB_EVERY = 5  # every 5th respondent uses two tabs: 20 of them
ROUNDS = 3  # each tab saves every page it uses this many times
STEPS = (1, 2, 4)  # a common-bank page and a department-bank page (theme 1 of wonen is step 4)
VALUES = ("0", "1", "2", "3", "4", "dont_know", "not_applicable")


@dataclass
class Tab:
    """One browser tab of a respondent and what it will send."""

    respondent: Respondent
    parity: int | None  # None: sends every question; 0/1: only even/odd-indexed ones
    sends_importance: bool
    sends_comments: bool
    rng: random.Random
    csrf: dict[int, str] = field(default_factory=dict)
    questions: dict[int, list[str]] = field(default_factory=dict)
    statuses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    last_answers: dict[str, str] = field(default_factory=dict)
    last_comments: dict[str, str] = field(default_factory=dict)
    last_importance: dict[int, int] = field(default_factory=dict)

    def prepare(self) -> None:
        """Open every page this tab saves (GET), keeping its CSRF token and questions."""
        for step in STEPS:
            self.csrf[step], self.questions[step] = self.respondent.open_step(step)

    def run(self, barrier: threading.Barrier) -> None:
        """Wait for everybody, then save every page ROUNDS times."""
        barrier.wait(timeout=120)
        for _ in range(ROUNDS):
            for step in STEPS:
                self._save(step)

    def _save(self, step: int) -> None:
        questions = self.questions[step]
        mine = [q for i, q in enumerate(questions) if self.parity is None or i % 2 == self.parity]
        answers = {q: self.rng.choice(VALUES) for q in mine}
        comments: dict[str, str] = {}
        if self.sends_comments:
            for q in mine:
                # Sometimes an empty comment, which deletes a stored one.
                comments[q] = "" if self.rng.random() < 0.25 else (
                    f"toelichting {self.rng.randrange(10**6)} bij {q} – é ü")
        importance = self.rng.randint(1, 5) if self.sends_importance else None
        try:
            response = self.respondent.save(step, self.csrf[step], answers, comments,
                                            importance)
        except requests.RequestException as exc:
            self.errors.append(f"step {step}: {exc!r}")
            return
        self.statuses.append(response.status_code)
        if response.status_code != 303:
            self.errors.append(f"step {step}: HTTP {response.status_code}")
            return
        self.last_answers.update(answers)
        for q, comment in comments.items():
            if comment:
                self.last_comments[q] = comment
            else:
                self.last_comments.pop(q, None)
        if importance is not None:
            self.last_importance[step] = importance


def _respondent_tabs(setup: ServerSetup, index: int) -> list[Tab]:
    departments = sorted(setup.round.tokens)
    token = setup.round.tokens[departments[index % len(departments)]]
    respondent = Respondent(setup.base_url)
    respondent.start(token)
    rng = random.Random(index)
    if index % TWO_TAB_EVERY:
        tabs = [Tab(respondent, None, True, True, rng)]
    else:
        second = Respondent(setup.base_url, requests.Session())
        second.session.cookies.update(respondent.session.cookies)
        second.resume_token = respondent.resume_token
        tabs = [Tab(respondent, 1, True, False, random.Random(10_000 + index)),
                Tab(second, 0, False, True, random.Random(20_000 + index))]
    for tab in tabs:
        tab.prepare()
    return tabs


def test_hundred_respondents_save_at_once(live_gunicorn: ServerSetup):
    with ThreadPoolExecutor(max_workers=32) as pool:
        groups = list(pool.map(lambda i: _respondent_tabs(live_gunicorn, i), range(RESPONDENTS)))
    tabs = [tab for group in groups for tab in group]
    assert len(groups) == RESPONDENTS
    assert sum(len(group) == 2 for group in groups) == RESPONDENTS // TWO_TAB_EVERY

    barrier = threading.Barrier(len(tabs))
    threads = [threading.Thread(target=tab.run, args=(barrier,)) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "some saves never finished"

    errors = [error for tab in tabs for error in tab.errors]
    assert errors == [], f"{len(errors)} failed saves, e.g. {errors[:5]}\n" + \
        live_gunicorn.server.log()[-3000:]
    assert sum(len(tab.statuses) for tab in tabs) == len(tabs) * ROUNDS * len(STEPS)

    engine = live_gunicorn.engine()
    try:
        expected_rows = 0
        for group in groups:
            answers: dict[str, str] = {}
            comments: dict[str, str] = {}
            importance: dict[int, int] = {}
            for tab in group:
                answers.update(tab.last_answers)
                comments.update(tab.last_comments)
                importance.update(tab.last_importance)
            stored_answers, stored_comments, stored_importance = stored_page(
                engine, group[0].respondent.resume_token or "")
            assert stored_answers == answers
            assert stored_comments == comments
            themes = {("bestuur", "thema1"): 1, ("bestuur", "thema2"): 2,
                      ("wonen", "thema1"): 4}
            assert {themes[key]: value for key, value in stored_importance.items()} == importance
            expected_rows += len(answers)
        with engine.connect() as connection:
            total = connection.execute(text("SELECT COUNT(*) FROM answer")).scalar_one()
            duplicates = connection.execute(text(
                "SELECT COUNT(*) FROM (SELECT response_id, question_id FROM answer "
                "GROUP BY response_id, question_id HAVING COUNT(*) > 1) AS d")).scalar_one()
            responses = connection.execute(text("SELECT COUNT(*) FROM response")).scalar_one()
        assert duplicates == 0
        assert total == expected_rows
        assert responses == RESPONDENTS
    finally:
        engine.dispose()
    assert "Traceback" not in live_gunicorn.server.log()
