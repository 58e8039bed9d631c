"""Coordinator pages: rounds, their banks and departments, invitation links and progress.

Every page requires a logged-in coordinator. Views validate the request, call
:mod:`quickscan.services.rounds` and redirect (303) or re-render the page with the error: 422
for input the user can correct (everything typed is kept), 409 when the round's state forbids
a change. Forged values (an unknown bank, version or theme) answer the 400 error page; those and
every other domain exception reach the blueprint's one mapping
(:func:`quickscan.errors.register_domain_errors`). The services own the transactions: no view
commits or rolls back.
"""

from __future__ import annotations

import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from quickscan import links
from quickscan.bank import Bank, Catalog
from quickscan.errors import register_domain_errors, status_for
from quickscan.estimate import estimate_minutes
from quickscan.models import (
    DEFAULT_MIN_GROUP_SIZE,
    SCOPE_CORE,
    SCOPE_FULL,
    Department,
    Round,
)
from quickscan.services import link_actions
from quickscan.services import rounds as round_service
from quickscan.services.banks import catalog as bank_catalog
from quickscan.services.banks import (
    default_scope,
    full_round_banks,
    has_core,
    marked,
    round_banks,
    round_scopes,
)
from quickscan.services.errors import Conflict, NeedsCorrection

bp = Blueprint("coordinator", __name__)
register_domain_errors(bp)

#: Refusals a coordinator page shows on the page itself, keeping what was typed; any other
#: domain exception (a forged value, something not found) gets its error page.
SHOWN_ON_PAGE = (NeedsCorrection, Conflict)

Page = Response | str | tuple[str, int]


@bp.before_request
@login_required
def require_login() -> None:
    """Every coordinator page needs a logged-in coordinator (else: to the login page)."""
    return


class RoundForm(FlaskForm):
    """A round's details; its banks and target levels are read from the request separately."""

    name = StringField(_l("Naam van de ronde"), validators=[
        DataRequired(_l("Vul de naam van de ronde in.")),
        Length(max=round_service.NAME_MAX_LENGTH,
               message=_l("Hoogstens %(max)d tekens.", max=round_service.NAME_MAX_LENGTH))])
    municipality = StringField(_l("Gemeente"), validators=[
        DataRequired(_l("Vul de naam van de gemeente in.")),
        Length(max=round_service.NAME_MAX_LENGTH,
               message=_l("Hoogstens %(max)d tekens.", max=round_service.NAME_MAX_LENGTH))])
    description = TextAreaField(_l("Toelichting voor de invullers"), validators=[
        Optional(), Length(max=round_service.DESCRIPTION_MAX_LENGTH,
                           message=_l("Hoogstens %(max)d tekens.",
                                      max=round_service.DESCRIPTION_MAX_LENGTH))])
    deadline = DateField(_l("Deadline"), validators=[Optional()], format="%Y-%m-%d")

    # -- minimum group size k (privacy, docs/privacy.md); absent from a post: left as it is --
    min_group_size = StringField(_l("Minimale groepsgrootte"), validators=[Optional()],
                                 default=str(DEFAULT_MIN_GROUP_SIZE))

    def validate_min_group_size(self, field: StringField) -> None:
        """3 up to 10; anything else is refused with a Dutch message (nothing written)."""
        try:
            round_service.parse_min_group_size(field.data)
        except round_service.RoundError as exc:
            raise ValidationError(exc.message) from None

    def group_size(self) -> int | None:
        """The minimum group size posted (validated), or None when the form did not send it."""
        raw = (self.min_group_size.raw_data or [""])[0]
        return round_service.parse_min_group_size(raw) if str(raw).strip() else None

    def validate_deadline(self, field: DateField) -> None:
        """Replace WTForms' English date message with a Dutch one."""
        if field.raw_data and field.raw_data[0] and field.data is None:
            field.errors = []
            raise ValidationError(_("Vul een datum in als jjjj-mm-dd, bijvoorbeeld 2026-03-31."))


def _bad_request(message: str) -> None:
    abort(400, description=message)


def _round_or_404(round_id: int) -> Round:
    round_ = round_service.get_round(round_id)
    if round_ is None:
        abort(404)
    return round_


def _department_or_404(round_: Round, department_id: int) -> Department:
    department = round_service.get_department(round_, department_id)
    if department is None:
        abort(404)
    return department


def _chosen_banks(catalog: Catalog, pinned: dict[str, str] | None = None
                  ) -> dict[str, str | None]:
    """The banks and versions ticked in the form; forged ids or versions answer 400.

    ``pinned`` (when editing) are the round's current versions: they stay acceptable even
    when their file has left the catalog, so saving never silently changes a version.
    """
    pinned = pinned or {}
    chosen: dict[str, str | None] = {}
    common = catalog.common_bank()
    ids = request.form.getlist("bank")
    if common is not None:
        ids.append(common.id)
    ids.extend(bank_id for bank_id in pinned if not catalog.versions(bank_id))
    for bank_id in ids:
        versions = catalog.versions(bank_id)
        if bank_id in pinned:
            versions = sorted(set(versions) | {pinned[bank_id]})
        if not versions:
            _bad_request(_("Onbekende of ongeldige vragenlijst: %(bank)s.", bank=bank_id))
        version = request.form.get(f"version-{bank_id}", "") or None
        if version is not None and version not in versions:
            _bad_request(_("Onbekende versie %(version)s van vragenlijst %(bank)s.",
                           version=version, bank=bank_id))
        chosen[bank_id] = version
    return chosen


def _chosen_scopes(catalog: Catalog, chosen: dict[str, str | None]) -> dict[str, str | None]:
    """The scope (``kern`` or ``volledig``) chosen per bank (``scope-<bank>``), when sent.

    The service checks the values (anything else answers 400). The drop-down offers kern for a
    bank whose newest version has a core set; with an older version chosen that has none, kern
    is left out, so that version is asked in full (format-1 banks are always volledig).
    """
    scopes: dict[str, str | None] = {}
    for bank_id, version in chosen.items():
        value = request.form.get(f"scope-{bank_id}")
        if not value:
            continue
        key = (bank_id, version) if version else None
        bank = catalog.banks.get(key) if key else (
            catalog.latest(bank_id) if catalog.versions(bank_id) else None)
        if value == SCOPE_CORE and bank is not None and not has_core(bank):
            continue
        scopes[bank_id] = value
    return scopes


def _target_overrides(keep: set[str]) -> dict[str, str]:
    """Target levels chosen per theme (``target:<bank>/<theme>``), for the banks kept."""
    overrides: dict[str, str] = {}
    for key, value in request.form.items():
        if key.startswith("target:") and value != "":
            theme_key = key.removeprefix("target:")
            if theme_key.partition("/")[0] in keep:
                overrides[theme_key] = value
    return overrides


def _bank_choices(catalog: Catalog, selected: dict[str, str | None],
                  scopes: dict[str, str | None] | None = None) -> list[dict[str, Any]]:
    """What the bank picker shows: every valid bank, its versions, whether it is chosen, and
    for a bank with a core set the choice kern or volledig (default kern).

    A version that is selected but no longer in the catalog (pinned earlier) is still offered.
    """
    scopes = scopes or {}
    labels = list(_scale_labels(catalog).values())
    choices = []
    for bank in catalog.latest_banks():
        versions = list(reversed(catalog.versions(bank.id)))
        current = selected.get(bank.id)
        if current and current not in versions:
            versions.append(current)
        shown: Bank = bank
        if current and (bank.id, current) in catalog.banks:
            shown = catalog.banks[(bank.id, current)]
        core = shown.core_only()
        choices.append({
            "id": bank.id, "title": marked(bank).title, "description": bank.description,
            "common": bank.common, "municipal": bank.municipal, "versions": versions,
            "checked": bank.common or bank.id in selected,
            "version": selected.get(bank.id) or bank.version,
            "questions": len(bank.questions), "themes": len(bank.themes),
            "has_core": any(has_core(catalog.banks[(bank.id, v)]) for v in versions
                            if (bank.id, v) in catalog.banks),
            "core_questions": len(core.questions),
            "minutes_core": estimate_minutes([core], labels),
            "minutes_full": estimate_minutes([shown], labels),
            "scope": scopes.get(bank.id) or default_scope(shown)})
    return choices


def _scale_labels(catalog: Catalog) -> dict[int, str]:
    scale = next(iter(catalog.scales.values()), None)
    if scale is None:
        return {level: str(level) for level in range(5)}
    return {level.value: level.label for level in scale.levels}


def _save_group_size(round_: Round, form: RoundForm) -> None:
    """Store the minimum group size k the form sent (already validated with the form)."""
    k = form.group_size()
    if k is not None and k != round_.min_group_size:
        round_service.set_min_group_size(round_.id, k)


# --------------------------------------------------------------------------- rounds


@bp.get("/rondes")
def rounds() -> Page:
    """The list of rounds, newest first."""
    items = [(round_, round_service.progress(round_)) for round_ in round_service.list_rounds()]
    return render_template("coordinator/rounds.html", items=items)


@bp.route("/rondes/nieuw", methods=["GET", "POST"])
def new_round() -> Page:
    """Create a round: details plus the banks and versions to pin."""
    catalog = bank_catalog()
    form = RoundForm()
    selected: dict[str, str | None] = {}
    scopes: dict[str, str | None] = {}
    error = None
    if request.method == "POST":
        selected = _chosen_banks(catalog)
        scopes = _chosen_scopes(catalog, selected)
        if form.validate_on_submit():
            try:
                round_ = round_service.create_round(
                    name=form.name.data or "", municipality=form.municipality.data or "",
                    description=form.description.data or "", deadline=form.deadline.data,
                    banks=selected, secret_key=links.secret_key(), scopes=scopes)
                _save_group_size(round_, form)
            except SHOWN_ON_PAGE as exc:
                error = exc.message
            else:
                flash(_("Ronde %(name)s is aangemaakt. Voeg nu de afdelingen toe.",
                        name=round_.name), "success")
                return redirect(url_for("coordinator.round_detail", round_id=round_.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("coordinator/round_form.html", form=form, round=None,
                           banks=_bank_choices(catalog, selected, scopes), banks_locked=False,
                           error=error, scale_labels=_scale_labels(catalog)), status


@bp.route("/rondes/<int:round_id>/bewerken", methods=["GET", "POST"])
def edit_round(round_id: int) -> Page:
    """Change a round's details; banks and versions only while nobody has started."""
    round_ = _round_or_404(round_id)
    catalog = bank_catalog()
    locked = round_service.round_has_responses(round_)
    form = RoundForm(obj=round_)
    pinned_versions = {rb.bank_id: rb.version for rb in round_.banks}
    selected: dict[str, str | None] = dict(pinned_versions)
    scopes: dict[str, str | None] = dict(round_scopes(round_))
    error = None
    if request.method == "POST":
        banks = None if locked else _chosen_banks(catalog, pinned_versions)
        if banks is not None:
            selected = dict(banks)
            scopes = _chosen_scopes(catalog, banks)
        overrides = _target_overrides(set(selected))
        if form.validate_on_submit():
            try:
                round_service.update_round(
                    round_, name=form.name.data or "", municipality=form.municipality.data or "",
                    description=form.description.data or "", deadline=form.deadline.data,
                    banks=banks, target_overrides=overrides, scopes=scopes,
                    secret_key=links.secret_key())
                _save_group_size(round_, form)
            except SHOWN_ON_PAGE as exc:
                error = exc.message
            else:
                flash(_("De wijzigingen zijn opgeslagen."), "success")
                return redirect(url_for("coordinator.round_detail", round_id=round_.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("coordinator/round_form.html", form=form, round=round_,
                           banks=_bank_choices(catalog, selected, scopes), banks_locked=locked,
                           pinned=round_banks(round_), error=error,
                           overrides=request.form if request.method == "POST" else {
                               f"target:{key}": str(level)
                               for key, level in (round_.target_overrides or {}).items()},
                           scale_labels=_scale_labels(catalog)), status


def _round_page(round_: Round, status: int = 200, error: str | None = None,
                add_name: str = "", add_banks: list[str] | None = None,
                add_error: str | None = None) -> tuple[str, int]:
    departments: list[dict[str, Any]] = []
    municipal: list[dict[str, Any]] = []
    for department in round_.departments:
        item: dict[str, Any] = {
            "department": department,
            "url": links.invitation_url(department),
            "locked": round_service.has_responses(department),
        }
        (municipal if round_service.is_municipal_group(department) else departments).append(item)
    banks = round_banks(round_)
    titles = {bank.id: bank.title for bank in banks}
    for item in municipal:
        item["titles"] = ", ".join(titles.get(b, b) for b in item["department"].bank_ids)
    return render_template(
        "coordinator/round.html", round=round_, banks=banks,
        bank_titles=titles,
        scopes=round_scopes(round_), scope_core=SCOPE_CORE, scope_full=SCOPE_FULL,
        full_counts=_full_counts(round_),
        departments=departments, municipal=municipal,
        progress=round_service.progress(round_), error=error,
        add_name=add_name, add_banks=add_banks or [], add_error=add_error), status


def _full_counts(round_: Round) -> dict[str, int]:
    """How many questions each pinned bank holds in full (beside the ones a kern round asks)."""
    return {bank.id: len(bank.questions) for bank in full_round_banks(round_)}


@bp.get("/rondes/<int:round_id>")
def round_detail(round_id: int) -> Page:
    """The round page: details, departments with their invitation links, progress."""
    return _round_page(_round_or_404(round_id))


@bp.get("/rondes/<int:round_id>/voortgang")
def round_progress(round_id: int) -> Page:
    """Progress per department as a table."""
    round_ = _round_or_404(round_id)
    return render_template("coordinator/progress.html", round=round_,
                           progress=round_service.progress(round_))


@bp.post("/rondes/<int:round_id>/sluiten")
def close_round(round_id: int) -> Response:
    """Close the round."""
    round_ = _round_or_404(round_id)
    round_service.close_round(round_)
    flash(_("De ronde is gesloten. Invullers kunnen niets meer wijzigen."), "success")
    return redirect(url_for("coordinator.round_detail", round_id=round_.id), 303)


@bp.post("/rondes/<int:round_id>/heropenen")
def reopen_round(round_id: int) -> Response:
    """Reopen the round."""
    round_ = _round_or_404(round_id)
    round_service.reopen_round(round_)
    flash(_("De ronde is heropend."), "success")
    return redirect(url_for("coordinator.round_detail", round_id=round_.id), 303)


# --------------------------------------------------------------------------- departments


@bp.post("/rondes/<int:round_id>/afdelingen")
def add_department(round_id: int) -> Page:
    """Add a department with its own banks (the common bank is always included)."""
    round_ = _round_or_404(round_id)
    name = request.form.get("name", "")
    bank_ids = request.form.getlist("bank")
    pinned = {rb.bank_id for rb in round_.banks}
    forged = [bank_id for bank_id in bank_ids if bank_id not in pinned]
    if forged:
        _bad_request(_("Vragenlijst %(bank)s hoort niet bij deze ronde.", bank=forged[0]))
    try:
        department = round_service.add_department(round_, name, bank_ids,
                                                  secret_key=links.secret_key())
    except SHOWN_ON_PAGE as exc:
        return _round_page(round_, status_for(exc), add_name=name, add_banks=bank_ids,
                           add_error=exc.message)
    flash(_("Afdeling %(name)s is toegevoegd.", name=department.name), "success")
    return redirect(url_for("coordinator.round_detail", round_id=round_.id,
                            _anchor=f"afdeling-{department.id}"), 303)


@bp.post("/rondes/<int:round_id>/afdelingen/<int:department_id>/hernoemen")
def rename_department(round_id: int, department_id: int) -> Page:
    """Rename a department (refused once respondents have started or the round is closed)."""
    round_ = _round_or_404(round_id)
    department = _department_or_404(round_, department_id)
    try:
        round_service.rename_department(department, request.form.get("name", ""))
    except SHOWN_ON_PAGE as exc:
        return _round_page(round_, status_for(exc), error=exc.message)
    flash(_("De afdeling heet nu %(name)s.", name=department.name), "success")
    return redirect(url_for("coordinator.round_detail", round_id=round_.id,
                            _anchor=f"afdeling-{department.id}"), 303)


@bp.post("/rondes/<int:round_id>/afdelingen/<int:department_id>/vragenlijsten")
def set_department_banks(round_id: int, department_id: int) -> Page:
    """Change which banks a department answers (refused once respondents have started)."""
    round_ = _round_or_404(round_id)
    department = _department_or_404(round_, department_id)
    try:
        round_service.set_department_banks(department, request.form.getlist("bank"))
    except SHOWN_ON_PAGE as exc:
        return _round_page(round_, status_for(exc), error=exc.message)
    flash(_("De vragenlijsten van afdeling %(name)s zijn opgeslagen.", name=department.name),
          "success")
    return redirect(url_for("coordinator.round_detail", round_id=round_.id,
                            _anchor=f"afdeling-{department.id}"), 303)


@bp.post("/rondes/<int:round_id>/afdelingen/<int:department_id>/verwijderen")
def remove_department(round_id: int, department_id: int) -> Page:
    """Remove a department (refused once respondents have started)."""
    round_ = _round_or_404(round_id)
    department = _department_or_404(round_, department_id)
    name = department.name
    try:
        round_service.remove_department(department)
    except SHOWN_ON_PAGE as exc:
        return _round_page(round_, status_for(exc), error=exc.message)
    flash(_("Afdeling %(name)s is verwijderd.", name=name), "success")
    return redirect(url_for("coordinator.round_detail", round_id=round_.id), 303)


def _confirmed() -> bool:
    """True when the request is the confirmation page's own POST (``confirmed=1``)."""
    return request.method == "POST" and request.form.get("confirmed") == "1"


def _confirm_link_page(round_: Round, department: Department, action: str) -> Page:
    """The confirmation page of a link action (GET, or a POST without ``confirmed=1``):
    says how many people already started with the current link; nothing is changed."""
    return render_template("coordinator/link_confirm.html", round=round_,
                           department=department, action=action,
                           usage=link_actions.link_usage(department))


@bp.route("/rondes/<int:round_id>/afdelingen/<int:department_id>/link/vernieuwen",
          methods=["GET", "POST"])
def renew_link(round_id: int, department_id: int) -> Page:
    """Give the department a new invitation link after confirmation; the old one stops
    working."""
    round_ = _round_or_404(round_id)
    department = _department_or_404(round_, department_id)
    if not _confirmed():
        return _confirm_link_page(round_, department, "renew")
    round_service.renew_invitation(department, secret_key=links.secret_key())
    flash(_("Afdeling %(name)s heeft een nieuwe link. De oude link werkt niet meer.",
            name=department.name), "success")
    return redirect(url_for("coordinator.round_detail", round_id=round_.id,
                            _anchor=f"afdeling-{department.id}"), 303)


@bp.route("/rondes/<int:round_id>/afdelingen/<int:department_id>/link/intrekken",
          methods=["GET", "POST"])
def revoke_link(round_id: int, department_id: int) -> Page:
    """Stop the department's invitation link from working, after confirmation."""
    round_ = _round_or_404(round_id)
    department = _department_or_404(round_, department_id)
    if links.invitation_token(department) is None:
        # Already revoked: nothing to confirm.
        return redirect(url_for("coordinator.round_detail", round_id=round_.id,
                                _anchor=f"afdeling-{department.id}"), 303)
    if not _confirmed():
        return _confirm_link_page(round_, department, "revoke")
    round_service.revoke_invitation(department)
    flash(_("De link van afdeling %(name)s is ingetrokken.", name=department.name), "success")
    return redirect(url_for("coordinator.round_detail", round_id=round_.id,
                            _anchor=f"afdeling-{department.id}"), 303)


# --------------------------------------------------------------------------- privacy and counts


@bp.post("/rondes/<int:round_id>/afdelingen/<int:department_id>/verwacht")
def set_expected(round_id: int, department_id: int) -> Page:
    """Set or clear how many respondents a department is expected to have."""
    round_ = _round_or_404(round_id)
    department = _department_or_404(round_, department_id)
    try:
        round_service.set_expected_respondents(department, request.form.get("expected", ""))
    except SHOWN_ON_PAGE as exc:
        return _round_page(round_, status_for(exc), error=exc.message)
    flash(_("Het verwachte aantal invullers van %(name)s is opgeslagen.", name=department.name),
          "success")
    return redirect(url_for("coordinator.round_detail", round_id=round_.id,
                            _anchor=f"afdeling-{department.id}"), 303)


@bp.post("/rondes/<int:round_id>/ronde-verwijderen")
def delete_round(round_id: int) -> Page:
    """Delete a closed round with every response, after ticking the confirmation box."""
    round_ = _round_or_404(round_id)
    if request.form.get("confirm") != "yes":
        return _round_page(round_, 422, error=_(
            "Vink aan dat u begrijpt dat de ronde met alle antwoorden definitief wordt "
            "verwijderd. Er is niets verwijderd."))
    name = round_.name
    try:
        round_service.delete_round(round_)
    except SHOWN_ON_PAGE as exc:
        return _round_page(round_, status_for(exc), error=exc.message)
    flash(_("Ronde %(name)s is verwijderd, met alle antwoorden.", name=name), "success")
    return redirect(url_for("coordinator.rounds"), 303)


def deadline_text(deadline: datetime.date | None) -> str:
    """A deadline as Dutch text (used by the templates)."""
    if deadline is None:
        return _("geen")
    from flask_babel import format_date

    return str(format_date(deadline, "long"))


@bp.app_template_filter("deadline")
def _deadline_filter(deadline: datetime.date | None) -> str:
    return deadline_text(deadline)
