"""The survey form of one step, built at runtime from the theme's questions.

In the style of Indico's surveys module: a form class is created per step with ``type()`` and
one field per question is attached to it, named after the question id (``q-<question_id>`` for
the answer, ``c-<question_id>`` for the comment). CSRF is checked globally by ``CSRFProtect``;
the form itself only validates and re-renders what was posted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import wtforms.fields.choices
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, RadioField, TextAreaField
from wtforms.validators import Length, ValidationError

#: WTForms >= 3.3 describes options as SelectChoice (plain tuples are deprecated there); older
#: versions have none. Looked up by name because the types-WTForms stubs predate the class.
SelectChoice: Callable[[str, str], Any] | None = getattr(wtforms.fields.choices, "SelectChoice",
                                                        None)

from quickscan.bank import Question, Scale
from quickscan.models import COMMENT_MAX_LENGTH
from quickscan.services.responses import IMPORTANCE_VALUES, Step, normalise_comment

ANSWER_PREFIX = "q-"
COMMENT_PREFIX = "c-"
ACTIONS = ("next", "previous", "save")
#: The answers outside the scale, shown apart from the levels.
OUTSIDE_VALUES = ("dont_know", "not_applicable")
#: The id of the importance rating: the review page links to it (``#belang``); its options are
#: ``belang-1`` .. ``belang-5``.
IMPORTANCE_ID = "belang"

#: Labels of the importance rating, 1-5.
IMPORTANCE_LABELS = {
    1: _l("Niet belangrijk"),
    2: _l("Weinig belangrijk"),
    3: _l("Redelijk belangrijk"),
    4: _l("Belangrijk"),
    5: _l("Zeer belangrijk"),
}


class OptionalRadioField(RadioField):
    """A radio group that may be left empty, but never holds a value outside its choices."""

    def pre_validate(self, form: Any) -> None:
        """Accept no choice at all; refuse a value that is not one of the choices."""
        if not self.raw_data:
            return
        if len(self.raw_data) > 1:
            raise ValidationError(str(_l("Kies één antwoord.")))
        super().pre_validate(form)

    def __iter__(self) -> Iterator[Any]:
        """The options, each with an id made of the field's id and the option's value
        (``q-<question>-3``, ``q-<question>-dont_know``) rather than its position."""
        for option in super().__iter__():
            option.id = f"{self.id}-{option.data}"
            option.label.field_id = option.id
            yield option


def _choices(pairs: Iterable[tuple[str, str]]) -> list[Any]:
    """Options in the form the installed WTForms prefers."""
    if SelectChoice is None:  # pragma: no cover - older WTForms
        return list(pairs)
    return [SelectChoice(value, str(label)) for value, label in pairs]


def importance_choices() -> list[tuple[str, str]]:
    """The importance options: "n – label" for 1-5."""
    return [(str(value), f"{value} – {IMPORTANCE_LABELS[value]}") for value in IMPORTANCE_VALUES]


def answer_field_name(question_id: str) -> str:
    """The form field that carries a question's answer."""
    return ANSWER_PREFIX + question_id


def comment_field_name(question_id: str) -> str:
    """The form field that carries a question's comment."""
    return COMMENT_PREFIX + question_id


def answer_choices(scale: Scale) -> list[tuple[str, str]]:
    """The answer options: the five levels labelled "n – label", then the two outside answers."""
    choices = [(str(level.value), f"{level.value} – {level.label}") for level in scale.levels]
    by_key: dict[str, str] = {option.key: option.label for option in scale.outside}
    choices += [(key, by_key[key]) for key in OUTSIDE_VALUES]
    return choices


class StepForm(FlaskForm):
    """Base class of the per-step forms; CSRF is checked app-wide by ``CSRFProtect``."""

    class Meta:
        csrf = False

    step: Step
    questions: tuple[Question, ...]
    #: The answer values the page sets apart from the levels.
    outside_values = OUTSIDE_VALUES

    def answer_field(self, question: Question) -> Field:
        """The radio group of a question."""
        return self[answer_field_name(question.id)]

    def comment_field(self, question: Question) -> Field:
        """The comment field of a question."""
        return self[comment_field_name(question.id)]

    def error_links(self) -> list[tuple[str, str]]:
        """The comment errors for the error summary: (field id, "Vraag n, toelichting: ...")."""
        return [(field.id, _("Vraag %(n)s, toelichting:", n=number) + " " + error)
                for number, question in enumerate(self.questions, start=1)
                for field in (self.comment_field(question),)
                for error in field.errors]

    def answers(self) -> dict[str, str]:
        """The answers sent: question id -> value (questions left empty are absent)."""
        out = {}
        for question in self.questions:
            field = self.answer_field(question)
            if field.raw_data:
                out[question.id] = field.raw_data[0]
        return out

    def comments(self) -> dict[str, str]:
        """The comments sent: question id -> text (an empty text clears a comment)."""
        out = {}
        for question in self.questions:
            field = self.comment_field(question)
            if field.raw_data:
                out[question.id] = field.data or ""
        return out

    def importance_value(self) -> int | None:
        """The importance rating sent, or None."""
        raw = self["importance"].raw_data
        return int(raw[0]) if raw else None

    def forged_errors(self) -> bool:
        """True when a field failed that a browser cannot get wrong (radio values)."""
        return any(field.errors for name, field in self._fields.items()
                   if not name.startswith(COMMENT_PREFIX))


def _strip_comment(value: Any) -> Any:
    return normalise_comment(value) if isinstance(value, str) else value


def make_step_form(step: Step, scale: Scale) -> type[StepForm]:
    """Build the form class for one step: per question an answer and a comment field."""
    form_class: type[StepForm] = type("StepForm", (StepForm,), {})
    form_class.step = step
    form_class.questions = step.theme.questions
    choices = answer_choices(scale)
    for question in step.theme.questions:
        setattr(form_class, answer_field_name(question.id),
                OptionalRadioField(question.statement, choices=_choices(choices)))
        setattr(form_class, comment_field_name(question.id), TextAreaField(
            _l("Toelichting of bewijs (niet verplicht)"),
            filters=[_strip_comment],
            validators=[Length(max=COMMENT_MAX_LENGTH, message=_l(
                "Deze toelichting is %(length)d tekens lang; er mogen hoogstens %(max)d "
                "tekens in."))]))
    form_class.importance = OptionalRadioField(
        _l("Hoe belangrijk vindt u het thema ‘%(theme)s’ voor uw afdeling?",
           theme=step.theme.title),
        id=IMPORTANCE_ID, choices=_choices(importance_choices()))
    return form_class


def unknown_fields(formdata: MultiDict[str, str], step: Step) -> list[str]:
    """Field names that claim a question (``q-``/``c-``) that is not on this step."""
    known = set(step.question_ids)
    out = []
    for name in formdata:
        for prefix in (ANSWER_PREFIX, COMMENT_PREFIX):
            if name.startswith(prefix) and name[len(prefix):] not in known:
                out.append(name)
    return out


def repeated_fields(formdata: MultiDict[str, str], names: Iterable[str]) -> list[str]:
    """Single-value fields that were sent more than once (forged input)."""
    return [name for name in names if len(formdata.getlist(name)) > 1]
