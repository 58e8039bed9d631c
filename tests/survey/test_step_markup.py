"""The survey pages keep to the shared patterns; the step's questions come from its form."""

from __future__ import annotations

import html
import re

from werkzeug.datastructures import MultiDict

from quickscan.forms.survey import make_step_form
from quickscan.services import responses as service
from tests.factories import start_survey
from tests.markup import parse, problems
from tests.survey.test_survey_views import Q1, Q2, post_step, the_response


def test_survey_pages_keep_the_shared_patterns(client, small_round) -> None:
    token = small_round.token("Zorg")
    pages = {"intro": client.get(f"/s/{token}")}
    resume = start_survey(client, token)
    pages["resume"] = client.get(f"/r/{resume}")
    pages["step"] = client.get(f"/r/{resume}/stap/1")
    pages["review"] = client.get(f"/r/{resume}/overzicht")
    pages["errors"] = post_step(client, resume, 1, {f"c-{Q1}": "a" * 2001, f"c-{Q2}": "b" * 2001,
                                                    "action": "save"})
    assert pages["errors"].status_code == 422
    for name, page in pages.items():
        assert problems(page.get_data(as_text=True)) == [], name
    assert "<table" in pages["resume"].get_data(as_text=True)


def test_step_radios_are_the_form_fields(client, small_round) -> None:
    resume = start_survey(client, small_round.token("Zorg"))
    step = service.get_step(the_response(resume), 1)
    form = make_step_form(step, service.scale_for(step.bank))(
        formdata=None, data={f"q-{Q1}": "dont_know", "importance": "2"})
    page = client.get(f"/r/{resume}/stap/1").get_data(as_text=True)
    rendered = [(e.attrs["id"], e.attrs["name"], e.attrs["value"])
                for e in parse(page).all if e.tag == "input" and e.attrs.get("type") == "radio"]
    expected = [(option.id, option.name, option.data)
                for question in step.theme.questions
                for option in form.answer_field(question)]
    expected += [(option.id, option.name, option.data) for option in form["importance"]]
    assert rendered == expected
    # Each option's id is the field's id and the value; its label is the field's label.
    options = {option.data: option for option in form.answer_field(step.theme.questions[0])}
    assert options["dont_know"].id == f"q-{Q1}-dont_know" and options["dont_know"].checked
    assert options["3"].label.field_id == f"q-{Q1}-3"
    for option in options.values():
        assert f'for="{option.id}">{html.escape(option.label.text)}</label>' in page
    outside = [e.attrs["class"] for e in parse(page).all
               if "qs-option--outside" in e.attrs.get("class", "")]
    assert len(outside) == 2 * len(step.theme.questions)  # "weet ik niet", "n.v.t." set apart
    assert [o.id for o in form["importance"]] == [f"belang-{n}" for n in range(1, 6)]
    assert form["importance"].label.text == (
        f"Hoe belangrijk vindt u het thema ‘{step.theme.title}’ voor uw afdeling?")
    assert re.search(r"<legend[^>]*>Hoe belangrijk vindt u het thema ‘", html.unescape(page))


def test_error_links_name_the_question_and_the_field(app, client, small_round) -> None:
    resume = start_survey(client, small_round.token("Zorg"))
    step = service.get_step(the_response(resume), 1)
    form_class = make_step_form(step, service.scale_for(step.bank))
    with app.test_request_context():
        form = form_class(formdata=MultiDict({f"c-{Q2}": "x" * 2001}))
        assert not form.validate()
        links = form.error_links()
    assert len(links) == 1
    target, text = links[0]
    assert target == f"c-{Q2}"
    assert text.startswith("Vraag 2, toelichting: Deze toelichting is 2001 tekens lang")
