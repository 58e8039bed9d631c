"""Invitations and reminders against a real local SMTP server: links, anonymity, caps."""

from __future__ import annotations

import datetime
import re

import pytest
from sqlalchemy import func, inspect, select, update

from quickscan import links
from quickscan.extensions import db
from quickscan.models import (
    Invitee,
    InviteeLink,
    MailMessage,
    Response,
)
from quickscan.services import invitations, responses, rounds
from quickscan.services.errors import Conflict, InvalidInput
from tests.rounds_helpers import csrf_token, post

LINK_RE = re.compile(r"http://quickscan\.test/([sp])/([A-Za-z0-9_\-]+)")


def make_round(deadline: datetime.date | None = None):
    return rounds.create_round("Ronde 2026", "Gemeente Test", deadline=deadline,
                               departments=[("Sociaal domein", ["werk"]), ("Ruimte", ["wonen"])],
                               secret_key=links.secret_key())


def department(round_, name: str):
    return next(d for d in round_.departments if d.name == name)


def links_in(message) -> list[tuple[str, str]]:
    text = message.get_body(("plain",)).get_content()
    return LINK_RE.findall(text)


def html_of(message) -> str:
    return message.get_body(("html",)).get_content()


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# --------------------------------------------------------------------------- address lists


def test_invalid_address_is_refused_with_its_line_number_and_nothing_is_written(app, mail_on):
    round_ = make_round()
    with pytest.raises(InvalidInput) as caught:
        invitations.add_invitees(round_.departments[0],
                                 "a@gemeente.nl\nb@gemeente.nl\ngeen-adres\nc@@gemeente.nl",
                                 "department")
    assert "Regel 3: ‘geen-adres’ is geen geldig e-mailadres." in caught.value.message
    assert "Regel 4" in caught.value.message
    assert count(Invitee) == 0


@pytest.mark.parametrize("formula", ["=HYPERLINK(\"http://evil.example\",\"klik\")",
                                     "+31 6 1234", "-2+3", "@SUM(A1)", "\t=1"])
def test_a_csv_with_a_formula_is_refused(app, mail_on, formula):
    round_ = make_round()
    text = f"e-mail;naam\na@gemeente.nl;An\n{formula};Bo\n"
    with pytest.raises(InvalidInput) as caught:
        invitations.add_invitees(round_.departments[0], text, "department")
    assert "Regel 3" in caught.value.message and "formule" in caught.value.message
    assert count(Invitee) == 0


def test_a_thousand_duplicates_become_one_address(app, mail_on):
    round_ = make_round()
    text = "e-mailadres\n" + "\n".join(["Dubbel@Gemeente.nl", " dubbel@gemeente.nl"] * 500)
    result = invitations.add_invitees(round_.departments[0], text, "department")
    assert (result.added, result.duplicates) == (1, 999)
    again = invitations.add_invitees(round_.departments[0], "dubbel@gemeente.nl", "department")
    assert (again.added, again.already) == (0, 1)
    assert db.session.scalars(select(Invitee.email)).all() == ["dubbel@gemeente.nl"]


def test_the_number_of_addresses_is_capped(app, mail_on):
    round_ = make_round()
    text = "\n".join(f"persoon{i}@gemeente.nl" for i in range(invitations.MAX_INVITEES + 1))
    with pytest.raises(InvalidInput) as caught:
        invitations.add_invitees(round_.departments[0], text, "department")
    assert "hoogstens 1000" in caught.value.message
    assert count(Invitee) == 0


def test_upload_through_the_page_shows_dutch_errors_and_keeps_the_text(app, mail_on, coordinator):
    round_ = make_round()
    dept = round_.departments[0]
    path = f"/rondes/{round_.id}/afdelingen/{dept.id}/adressen"
    page = f"/rondes/{round_.id}/uitnodigingen"
    bad = post(coordinator, path, {"addresses": "goed@gemeente.nl\nfout-adres", "link": "department"},
               form_page=page)
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Regel 2: ‘fout-adres’ is geen geldig e-mailadres." in body
    assert "goed@gemeente.nl\nfout-adres" in body
    assert count(Invitee) == 0
    import io

    csv = io.BytesIO("\ufeffe-mail,naam\nan@gemeente.nl,An\nbo@gemeente.nl,Bo\n".encode())
    good = coordinator.post(path, data={"csrf_token": csrf_token(coordinator, page),
                                        "link": "personal", "file": (csv, "adressen.csv")},
                            content_type="multipart/form-data")
    assert good.status_code == 303
    listed = coordinator.get(page).get_data(as_text=True)
    assert "an@gemeente.nl" in listed and "bo@gemeente.nl" in listed
    assert f"2 adressen toegevoegd aan {dept.name}." in listed


# --------------------------------------------------------------------------- invitations


def test_invitations_arrive_with_the_department_link(app, mail_on, coordinator):
    round_ = make_round(deadline=datetime.date(2030, 6, 30))
    dept = department(round_, "Sociaal domein")
    invitations.add_invitees(dept, "an@gemeente.nl\nbo@gemeente.nl", "department")
    response = post(coordinator, f"/rondes/{round_.id}/uitnodigingen/versturen",
                    form_page=f"/rondes/{round_.id}/uitnodigingen")
    assert response.status_code == 303
    token = links.invitation_token(dept)
    for address in ("an@gemeente.nl", "bo@gemeente.nl"):
        [message] = mail_on.received.to(address)
        assert message["Subject"] == ("Uitnodiging: de Quickscan Inclusieve Gemeente voor "
                                      "Sociaal domein")
        assert links_in(message) == [("s", token)]
        html = html_of(message)
        assert '<html lang="nl">' in html
        assert f'<a href="http://quickscan.test/s/{token}"' in html
        assert "Open de vragenlijst van Sociaal domein</a>" in html
        assert "<h1" in html and "<main" in html
        assert "30 juni 2030" in message.get_body(("plain",)).get_content()
        assert "nooit per persoon" in html
    # sending again sends nothing twice
    again = post(coordinator, f"/rondes/{round_.id}/uitnodigingen/versturen",
                 form_page=f"/rondes/{round_.id}/uitnodigingen")
    assert again.status_code == 409
    assert "geen nieuwe adressen" in again.get_data(as_text=True)
    assert len(mail_on.received.messages) == 2
    log = coordinator.get(f"/rondes/{round_.id}/uitnodigingen").get_data(as_text=True)
    assert "uitnodiging" in log and "verstuurd" in log and token not in log


def test_personal_link_starts_an_anonymous_response_and_only_flags_the_invitee(
        app, mail_on, coordinator, caplog):
    caplog.set_level("DEBUG")
    round_ = make_round()
    dept = department(round_, "Ruimte")
    invitations.add_invitees(dept, "an@gemeente.nl\nbo@gemeente.nl", "personal")
    invitations.send_batch(invitations.queue_invitations(round_).id)
    [message] = mail_on.received.to("an@gemeente.nl")
    [(kind, token)] = links_in(message)
    assert kind == "p" and len(token) >= 43  # 256 random bits
    assert "Deze link is alleen voor u" in html_of(message)
    assert "niet aan u of aan dit e-mailadres gekoppeld" in message.get_body(
        ("plain",)).get_content()
    other = links_in(mail_on.received.to("bo@gemeente.nl")[0])[0][1]
    assert other != token
    # stored hashed only
    stored = db.session.scalars(select(InviteeLink.token_hash)).all()
    assert token not in stored and len(stored) == 2
    # opening the link shows the department's intro; starting is a normal response
    respondent = app.test_client()
    intro = respondent.get(f"/p/{token}")
    assert intro.status_code == 200 and "Ruimte" in intro.get_data(as_text=True)
    started = respondent.post(f"/p/{token}/start",
                              data={"csrf_token": csrf_token(respondent, f"/p/{token}")})
    assert started.status_code == 303
    resume = started.headers["Location"].split("/r/")[1]
    response = responses.find_response(resume)
    assert response is not None and response.department_id == dept.id
    # no column of a response refers to an invitee, and no invitee column to a response
    assert not [c for c in inspect(db.engine).get_columns("response") if "invit" in c["name"]]
    assert not [c for c in inspect(db.engine).get_columns("invitee") if "response" in c["name"]]
    before = coordinator.get(f"/rondes/{round_.id}/uitnodigingen").get_data(as_text=True)
    assert before.count(">nee<") == 2
    step = respondent.post(f"/r/{resume}/stap/1", data={
        "csrf_token": csrf_token(respondent, f"/r/{resume}/stap/1"),
        "q-bestuur.thema1.vraag1": "3", "action": "save"})
    assert step.status_code == 303
    submitted = respondent.post(f"/r/{resume}/indienen",
                                data={"csrf_token": csrf_token(respondent, f"/r/{resume}/overzicht")})
    assert submitted.status_code == 303
    db.session.expire_all()
    flags = dict(db.session.execute(select(Invitee.email, Invitee.submitted)).all())
    assert flags == {"an@gemeente.nl": True, "bo@gemeente.nl": False}
    after = coordinator.get(f"/rondes/{round_.id}/uitnodigingen").get_data(as_text=True)
    assert after.count(">ja<") >= 1 and after.count(">nee<") == 1
    assert resume not in after and token not in after
    from sqlalchemy import text

    dump = "\n".join(" ".join(str(value) for value in row)
                     for table in db.metadata.sorted_tables
                     for row in db.session.execute(text(f'SELECT * FROM "{table.name}"')))
    assert token not in dump and resume not in dump and other not in dump
    ours = "\n".join(r.getMessage() for r in caplog.records
                     if not r.name.startswith("mail.log"))  # not the test SMTP server's log
    assert "mail: batch" in ours
    assert token not in ours and resume not in ours
    assert count(Response) == 1


def test_unknown_personal_link_is_a_404(app, mail_on):
    client = app.test_client()
    assert client.get("/p/" + "x" * 43).status_code == 404


# --------------------------------------------------------------------------- reminders


def _age_mail(days: int) -> None:
    """Pretend every e-mail went out ``days`` days earlier."""
    with db.session.begin_nested():
        for invitee in db.session.scalars(select(Invitee)):
            if invitee.last_mailed_at is not None:
                invitee.last_mailed_at -= datetime.timedelta(days=days)
    db.session.commit()


def test_reminders_go_to_open_invitees_at_most_three_times_two_days_apart(app, mail_on):
    round_ = make_round(deadline=datetime.date(2030, 6, 30))
    invitations.add_invitees(department(round_, "Ruimte"), "klaar@gemeente.nl\nopen@gemeente.nl",
                             "personal")
    invitations.add_invitees(department(round_, "Sociaal domein"), "afd@gemeente.nl",
                             "department")
    invitations.send_batch(invitations.queue_invitations(round_).id)
    db.session.execute(update(Invitee).where(Invitee.email == "klaar@gemeente.nl")
                       .values(submitted=True))
    db.session.commit()
    with pytest.raises(Conflict) as too_soon:
        invitations.queue_reminders(round_)
    assert "pas 2 dagen na de vorige e-mail" in too_soon.value.message
    for round_number in range(1, 4):
        _age_mail(2)
        mail_on.received.clear()
        invitations.send_batch(invitations.queue_reminders(round_).id)
        got = sorted(str(m["To"]) for m in mail_on.received.messages)
        assert got == ["afd@gemeente.nl", "open@gemeente.nl"], round_number
        assert all(m["Subject"].startswith("Herinnering") for m in mail_on.received.messages)
        # a personal reminder carries a fresh link that works too
        [(kind, token)] = links_in(mail_on.received.to("open@gemeente.nl")[0])
        assert kind == "p" and invitations.find_personal_link(token) is not None
        with pytest.raises(Conflict):
            invitations.queue_reminders(round_)  # the same day: too soon
    _age_mail(30)
    with pytest.raises(Conflict) as capped:
        invitations.queue_reminders(round_)
    assert "al 3 herinneringen" in capped.value.message
    assert db.session.scalars(select(Invitee.reminders_sent).order_by(Invitee.email)).all() == [
        3, 0, 3]


def test_a_reminder_sooner_than_allowed_is_refused_on_the_page(app, mail_on, coordinator):
    round_ = make_round()
    invitations.add_invitees(round_.departments[0], "an@gemeente.nl", "department")
    invitations.send_batch(invitations.queue_invitations(round_).id)
    page = f"/rondes/{round_.id}/uitnodigingen"
    refused = post(coordinator, f"{page}/herinneren", form_page=page)
    assert refused.status_code == 409
    assert "een herinnering kan pas 2 dagen na de vorige e-mail" in refused.get_data(
        as_text=True).lower()
    assert len(mail_on.received.messages) == 1
    assert count(MailMessage) == 1


def test_scheduled_reminder_goes_once_n_days_before_the_deadline(app, mail_on):
    today = datetime.date.today()
    round_ = make_round(deadline=today + datetime.timedelta(days=3))
    invitations.add_invitees(round_.departments[0], "an@gemeente.nl", "department")
    invitations.send_batch(invitations.queue_invitations(round_).id)
    _age_mail(5)
    settings = invitations.settings_for(round_)
    invitations.save_settings(round_, "nl", {k: getattr(settings, k) for k in (
        "invitation_subject", "invitation_body", "reminder_subject", "reminder_body")}, "2")
    assert invitations.scheduled_reminders(today) == []  # 3 days left: not yet
    [batch_id] = invitations.scheduled_reminders(today + datetime.timedelta(days=1))
    invitations.send_batch(batch_id)
    assert [m["Subject"][:11] for m in mail_on.received.to("an@gemeente.nl")] == [
        "Uitnodiging", "Herinnering"]
    assert invitations.scheduled_reminders(today + datetime.timedelta(days=2)) == []


# --------------------------------------------------------------------------- texts


def test_texts_are_editable_with_a_preview_and_english_when_chosen(app, mail_on, coordinator):
    round_ = make_round(deadline=datetime.date(2030, 6, 30))
    page = f"/rondes/{round_.id}/uitnodigingen"
    english = invitations.default_texts("en")
    form = dict(english, language="en", reminder_days_before="",
                invitation_subject="Please fill in the scan for {afdeling} <b>now</b>")
    preview = post(coordinator, f"{page}/teksten", dict(form, action="preview-invitation"),
                   form_page=page)
    body = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Please fill in the scan for Ruimte &lt;b&gt;now&lt;/b&gt;" in body
    assert "June 30, 2030" in body
    assert invitations.settings_for(round_).id is None  # a preview saves nothing
    bad = post(coordinator, f"{page}/teksten", dict(form, invitation_body="  "), form_page=page)
    assert bad.status_code == 422 and "Vul de tekst van de uitnodiging in." in bad.get_data(
        as_text=True)
    saved = post(coordinator, f"{page}/teksten", dict(form, action="save"), form_page=page)
    assert saved.status_code == 303
    invitations.add_invitees(department(round_, "Ruimte"), "an@gemeente.nl", "personal")
    invitations.send_batch(invitations.queue_invitations(round_).id)
    [message] = mail_on.received.to("an@gemeente.nl")
    assert message["Subject"] == "Please fill in the scan for Ruimte <b>now</b>"
    html = html_of(message)
    assert '<html lang="en">' in html
    assert "&lt;b&gt;now&lt;/b&gt;" in html  # escaped in the HTML part
    assert "About your privacy" in html


# --------------------------------------------------------------------------- mail off


def test_without_mail_settings_everything_else_works_and_the_page_says_mail_is_off(
        app, test_banks, coordinator):
    round_ = make_round()
    page = f"/rondes/{round_.id}/uitnodigingen"
    body = coordinator.get(page).get_data(as_text=True)
    assert "E-mail staat uit" in body
    added = post(coordinator, f"/rondes/{round_.id}/afdelingen/{round_.departments[0].id}/adressen",
                 {"addresses": "an@gemeente.nl", "link": "department"}, form_page=page)
    assert added.status_code == 303
    refused = post(coordinator, f"{page}/versturen", form_page=page)
    assert refused.status_code == 409 and "E-mail staat uit" in refused.get_data(as_text=True)
    assert count(MailMessage) == 0
    assert coordinator.get(f"/rondes/{round_.id}").status_code == 200


# --------------------------------------------------------------------------- retention and rates


def test_closing_the_round_deletes_the_addresses_but_keeps_the_counts(app, mail_on, coordinator):
    round_ = make_round()
    invitations.add_invitees(round_.departments[0], "an@gemeente.nl\nbo@gemeente.nl",
                             "department")
    page = f"/rondes/{round_.id}"
    assert post(coordinator, f"{page}/sluiten", form_page=page).status_code == 303
    db.session.expire_all()
    assert db.session.scalars(select(Invitee.email)).all() == [None, None]
    assert [r.invited for r in invitations.response_rates(round_)] == [0, 2] or [
        r.invited for r in invitations.response_rates(round_)] == [2, 0]
    listed = coordinator.get(page + "/uitnodigingen").get_data(as_text=True)
    assert ">an@gemeente.nl<" not in listed and "(adres verwijderd)" in listed


def test_addresses_are_deleted_after_the_retention_period(app, mail_on):
    round_ = make_round()
    invitations.add_invitees(round_.departments[0], "oud@gemeente.nl", "department")
    app.config["INVITEE_RETENTION_DAYS"] = 30
    try:
        assert invitations.purge_expired() == 0
        later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=31)
        assert invitations.purge_expired(later) == 1
    finally:
        app.config.pop("INVITEE_RETENTION_DAYS")
    assert db.session.scalars(select(Invitee.email)).all() == [None]


def test_response_rates_on_the_progress_page_and_the_command_line(app, mail_on, coordinator):
    today = datetime.date.today()
    round_ = make_round(deadline=today + datetime.timedelta(days=10))
    dept = department(round_, "Ruimte")
    invitations.add_invitees(dept, "\n".join(f"p{i}@gemeente.nl" for i in range(4)), "department")
    token = links.invitation_token(dept)
    for submit in (True, False):
        response, _resume = responses.start_response(token)
        if submit:
            first = responses.get_step(response, 1)
            responses.save_page(response, 1, {first.question_ids[0]: "3"}, {}, None)
            responses.submit(response)
    page = coordinator.get(f"/rondes/{round_.id}/voortgang").get_data(as_text=True)
    row = re.search(r'<th[^>]*scope="row"[^>]*>Ruimte</th>(.*?)</tr>',
                    page.split('id="responspercentages"')[1], re.DOTALL).group(1)
    cells = re.findall(r">([^<>]+)</td>", row)
    assert cells == ["4", "2", "1", "25%", "10"]
    result = app.test_cli_runner().invoke(args=["rounds", "progress", str(round_.id)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "afdeling\tuitgenodigd\tgestart\tingediend\trespons\tdagen_te_gaan"
    assert "Ruimte\t4\t2\t1\t25%\t10" in lines
    assert "Sociaal domein\t0\t0\t0\t\t10" in lines


def test_removing_a_department_or_an_address_removes_its_invitees(app, mail_on, coordinator):
    round_ = make_round()
    ruimte, sociaal = department(round_, "Ruimte"), department(round_, "Sociaal domein")
    invitations.add_invitees(ruimte, "an@gemeente.nl", "personal")
    invitations.add_invitees(sociaal, "bo@gemeente.nl\ncor@gemeente.nl", "department")
    invitations.send_batch(invitations.queue_invitations(round_).id)
    rounds.remove_department(ruimte)
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Invitee.email))) == ["bo@gemeente.nl",
                                                                  "cor@gemeente.nl"]
    assert count(InviteeLink) == 0
    bo = db.session.scalar(select(Invitee).where(Invitee.email == "bo@gemeente.nl"))
    page = f"/rondes/{round_.id}/uitnodigingen"
    removed = post(coordinator, f"/rondes/{round_.id}/afdelingen/{sociaal.id}/adressen/verwijderen",
                   {"invitee": str(bo.id)}, form_page=page)
    assert removed.status_code == 303
    assert db.session.scalars(select(Invitee.email)).all() == ["cor@gemeente.nl"]
    other = post(coordinator, f"/rondes/{round_.id}/afdelingen/{sociaal.id}/adressen/verwijderen",
                 {"invitee": str(bo.id)}, form_page=page)
    assert other.status_code == 404


def test_the_invitations_page_speaks_english_when_chosen(app, mail_on, coordinator):
    round_ = make_round()
    page = f"/rondes/{round_.id}/uitnodigingen"
    switched = post(coordinator, "/taal", {"lang": "en", "next": page}, form_page=page)
    assert switched.status_code in (302, 303)
    body = coordinator.get(page).get_data(as_text=True)
    assert '<html lang="en"' in body
    assert "Invitations by e-mail: Ronde 2026" in body and "Send a test message" in body
    assert "Uitnodigingen versturen" not in body


def test_a_preview_of_changed_texts_shows_them_and_saves_nothing(app, mail_on, coordinator):
    round_ = make_round()
    page = f"/rondes/{round_.id}/uitnodigingen"
    texts = dict(invitations.default_texts("nl"), language="nl", reminder_days_before="")
    assert post(coordinator, f"{page}/teksten", dict(texts, action="save"),
                form_page=page).status_code == 303
    changed = dict(texts, invitation_subject="Nieuw onderwerp voor {afdeling}")
    shown = post(coordinator, f"{page}/teksten", dict(changed, action="preview-invitation"),
                 form_page=page).get_data(as_text=True)
    assert "Nieuw onderwerp voor Ruimte" in shown  # the preview
    assert 'value="Nieuw onderwerp voor {afdeling}"' in shown  # the form keeps the typing
    refused = post(coordinator, f"{page}/teksten", dict(changed, reminder_days_before="99"),
                   form_page=page)
    assert refused.status_code == 422
    assert 'value="Nieuw onderwerp voor {afdeling}"' in refused.get_data(as_text=True)
    db.session.expire_all()
    assert invitations.settings_for(round_).invitation_subject == texts["invitation_subject"]
