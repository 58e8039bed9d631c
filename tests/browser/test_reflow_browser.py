"""Reflow (WCAG 1.4.10): every HTML page of the app is usable at 320 CSS px without scrolling
the page sideways; at 1280 px no table beside a chart is clipped without a sign that it scrolls.

The list of pages is built from the app's URL map (every rule that answers GET), its ids filled
in from one round with results and everything hanging off it (groups, agenda, local bank,
report job, personal link). Downloads, charts and JSON are left out by their content type.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from flask import Flask

from quickscan import links
from quickscan.extensions import db
from quickscan.models import Invitee, InviteeLink
from quickscan.services import lia, local_banks, report_jobs, rounds
from quickscan.services import perspectives as groups
from quickscan.services.tokens import hash_token, new_resume_token
from tests.browser.test_results_browser import log_in, results_round  # noqa: F401  (fixture)
from tests.conftest import assert_accessible
from tests.factories import BuiltRound

pytestmark = pytest.mark.browser


@dataclass
class Site:
    """The values to fill into the URL rules, per argument and (for tokens) per endpoint."""

    values: dict[str, object]
    tokens: dict[str, str]


@pytest.fixture
def site(app: Flask, results_round: BuiltRound) -> Site:  # noqa: F811
    round_ = results_round.round
    department = results_round.departments[0]
    secret = links.secret_key()
    invitation = rounds.renew_invitation(department, secret_key=secret)
    residents = groups.add_residents_group(round_, secret_key=secret)
    bestuur = groups.add_bestuur_group(round_, secret_key=secret)
    residents_token = groups.link_token(groups.links(residents)[0], secret)
    bestuur_token = groups.link_token(groups.links(bestuur)[0], secret)
    lia.add_candidate(round_, "Informatie voor iedereen")
    lia.add_candidate(round_, "Toegankelijk stemlokaal")
    plan = lia.open_vote(round_, secret_key=secret)
    vote = lia.vote_token(plan, secret)
    lia.set_published(round_, True)
    invitee = Invitee(department_id=department.id, email="an@gemeente.nl", link="personal")
    db.session.add(invitee)
    db.session.flush()
    personal = new_resume_token()
    db.session.add(InviteeLink(invitee_id=invitee.id, token_hash=hash_token(personal)))
    db.session.commit()
    bank = local_banks.create_bank("eigen_toegang", "Eigen vragen over toegang",
                                   "Vragen van de gemeente zelf.", ["welzijn"])
    job = report_jobs.start_job(round_, "nl")
    submitted = results_round.submitted_tokens[department.name][0]
    draft = results_round.draft_tokens[department.name][0]
    return Site(
        values={"round_id": round_.id, "department_id": department.id,
                "bank_id": bank.bank.id, "version": bank.bank.version, "index": 0,
                "theme": 0, "step": 1, "job_id": job.id, "fmt": "xlsx",
                "name": "gemeente", "ext": "png", "filename": "css/quickscan.css",
                "resume_token": draft},
        tokens={"public_groups.bestuur": bestuur_token,
                "public_groups.bestuur_thanks": bestuur_token,
                "public_groups.residents": residents_token,
                "public_groups.residents_thanks": residents_token,
                "invitations.personal_intro": personal,
                "survey.intro": invitation, "lia.department_actions": invitation,
                "lia.vote": vote,
                # A submitted response: its thank-you page and its department's results.
                "survey.thanks": submitted, "results.respondent": submitted},
    )


def page_urls(app: Flask, site: Site) -> list[str]:
    """Every GET rule of the app with its arguments filled in."""
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()):
            continue
        values = {name: site.values[name] for name in rule.arguments if name != "token"}
        if "token" in rule.arguments:
            values["token"] = site.tokens[rule.endpoint]
        if rule.endpoint in site.tokens and "resume_token" in rule.arguments:
            values["resume_token"] = site.tokens[rule.endpoint]
        with app.test_request_context():
            from flask import url_for

            urls.append(url_for(rule.endpoint, **values))
    return urls


WIDTH_CHECK = "document.documentElement.scrollWidth <= window.innerWidth + 1"
#: The outermost elements that stick out past the viewport (to name them on a failure).
CULPRITS = """() => [...document.body.querySelectorAll('*')].filter(e => {
  const right = e.getBoundingClientRect().right, parent = e.parentElement;
  if (right <= window.innerWidth + 1 || !parent ||
      parent.getBoundingClientRect().right > window.innerWidth + 1) return false;
  for (let a = parent; a; a = a.parentElement) {  // clipped by a scroll region: fine
    if (getComputedStyle(a).overflowX !== 'visible') return false;
  }
  return true;
}).slice(0, 4).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
  (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
  ' ' + Math.round(e.getBoundingClientRect().right) + 'px')"""


def visit(page, url: str) -> int | None:  # type: ignore[no-untyped-def]
    """Open ``url`` and return its status when it is an HTML page (an error page is a page
    too); None for anything else (downloads, charts, JSON), which is not opened."""
    response = page.request.get(url, max_redirects=0)
    if "text/html" not in response.headers.get("content-type", ""):
        return None
    answer = page.goto(url)
    assert answer is not None, url
    return int(answer.status)


def test_every_page_reflows_at_320_px(app, live_server, page, site) -> None:
    log_in(page, live_server)
    page.set_viewport_size({"width": 320, "height": 800})
    visited: dict[str, int] = {}
    too_wide = []
    for path in page_urls(app, site):
        if path in ("/login",):  # logged in: the login page is checked below, logged out
            continue
        status = visit(page, live_server + path)
        if status is None:
            continue
        visited[path] = status
        if not page.evaluate(WIDTH_CHECK):
            width = page.evaluate("document.documentElement.scrollWidth")
            too_wide.append(f"{path} ({width} px): {page.evaluate(CULPRITS)}")
    # Public pages without a session: the front page and the login form.
    context = page.context.browser.new_context(viewport={"width": 320, "height": 800})
    public = context.new_page()
    try:
        for path in ("/", "/login"):
            assert visit(public, live_server + path) == 200, path
            visited[path + " (logged out)"] = 200
            if not public.evaluate(WIDTH_CHECK):
                too_wide.append(f"{path} logged out")
    finally:
        context.close()
    assert not too_wide, "pages wider than 320 px:\n" + "\n".join(too_wide)
    # The pages the issue names are all among them.
    rid, did = site.values["round_id"], site.values["department_id"]
    for expected in ("/", "/rondes", f"/rondes/{rid}", f"/rondes/{rid}/resultaten",
                     f"/rondes/{rid}/resultaten/afdeling/{did}", f"/rondes/{rid}/rapport",
                     f"/rondes/{rid}/perspectieven", f"/rondes/{rid}/agenda",
                     f"/agenda/{rid}", f"/rondes/{rid}/uitnodigingen", "/gebruikers",
                     "/eigen-vragen", f"/s/{site.tokens['lia.vote']}/stem",
                     f"/i/{site.tokens['public_groups.residents']}",
                     f"/b/{site.tokens['public_groups.bestuur']}",
                     f"/r/{site.tokens['results.respondent']}/resultaten"):
        assert visited.get(expected) == 200, expected
    print(f"{len(visited)} pages checked at 320 px:",
          *(f"{path} {status}" for path, status in visited.items()), sep="\n  ")


def test_tables_beside_charts_show_that_they_scroll_at_1280_px(live_server, page,
                                                              results_round) -> None:  # noqa: F811
    log_in(page, live_server)
    page.set_viewport_size({"width": 1280, "height": 900})
    rid = results_round.round.id
    department = results_round.departments[0]
    checked = beside = 0
    for path in (f"/rondes/{rid}/resultaten", f"/rondes/{rid}/resultaten/afdeling/{department.id}"):
        page.goto(live_server + path)
        beside += page.locator(".qs-chart .qs-table-container").count()
        # Every table region of the page, those beside a chart among them.
        regions = page.locator(".qs-table-container")
        for index in range(regions.count()):
            region = regions.nth(index)
            region.scroll_into_view_if_needed()
            clipped = region.evaluate("r => r.scrollWidth > r.clientWidth + 1")
            hint = region.locator("xpath=preceding-sibling::*[1][contains(@class, "
                                  "'qs-scroll-hint')]")
            if clipped:
                assert hint.count() == 1 and hint.is_visible(), f"{path}: table {index}"
                assert "qs-table-container--overflows" in (region.get_attribute("class") or "")
            else:
                assert hint.count() == 0 or not hint.is_visible(), f"{path}: table {index}"
            checked += 1
    assert beside >= 2 and checked >= 6
    # The sign follows the width: on a narrow window the wide questions table shows it.
    page.set_viewport_size({"width": 320, "height": 900})
    region = page.locator(".qs-table-container", has=page.locator("table.qs-questions")).first
    region.scroll_into_view_if_needed()
    page.wait_for_function("r => r.classList.contains('qs-table-container--overflows')",
                           arg=region.element_handle())
    assert region.locator("xpath=preceding-sibling::*[1]").is_visible()


@pytest.mark.parametrize("width", [320, 1280])
def test_results_overview_is_accessible_narrow_and_wide(live_server, page, results_round,  # noqa: F811
                                                       width) -> None:
    """The heatmap table's colours, the small multiples and the terms pass axe (colour
    contrast of every cell included) on a phone and on a desktop screen."""
    log_in(page, live_server)
    page.set_viewport_size({"width": width, "height": 900})
    rid = results_round.round.id
    page.goto(f"{live_server}/rondes/{rid}/resultaten")
    assert page.locator("table.qs-heatmap td.qs-heat").count() >= 3
    assert page.locator(".qs-multiples img").count() == len(results_round.departments)
    assert_accessible(page, f"results overview at {width} px")
    assert page.evaluate(WIDTH_CHECK)
    # An empty choice: the message, still accessible.
    page.goto(f"{live_server}/rondes/{rid}/resultaten?vergelijken=1&as=gemeenschappelijk")
    assert "Kies ten minste één afdeling" in page.inner_text("#vergelijken-fout")
    assert_accessible(page, f"empty comparison at {width} px")
