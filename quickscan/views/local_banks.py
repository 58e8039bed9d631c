"""Coordinator pages for local banks ("eigen vragen"): template, upload, list, publish,
downloads, and authoring themes and questions in the browser with a preview.

The routes hang on the coordinator blueprint, so they need a logged-in coordinator and get its
error pages and no-store caching. Every write goes through
:mod:`quickscan.services.local_banks`; a refusal the coordinator can correct is shown on the
page (422) with an error summary, and nothing is stored.
"""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from quickscan.bank import PathKey, format_path
from quickscan.bank_xlsx import template_xlsx
from quickscan.services import local_banks as service
from quickscan.services.banks import catalog as bank_catalog
from quickscan.services.errors import Conflict, NotFound
from quickscan.views.coordinator import bp

Page = Response | str | tuple[str, int]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def register() -> None:
    """Nothing to do: importing this module added its routes to the coordinator blueprint."""


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _list(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _int_list(text: str | None) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in _list(text)]


def _index_page(problems: tuple[str, ...] = (), status: int = 200,
                new_errors: dict[str, list[str]] | None = None,
                new_values: dict[str, str] | None = None) -> tuple[str, int]:
    items = service.versions()
    pinned = {(v.bank.id, v.bank.version) for v in items if v.published
              and service.is_pinned(v.bank.id, v.bank.version)}
    return render_template("coordinator/local_banks.html", items=items, pinned=pinned,
                           problems=problems, new_errors=new_errors or {},
                           new_values=new_values or {},
                           max_bytes=service.max_upload_bytes()), status


@bp.get("/eigen-vragen")
def local_banks() -> Page:
    """The local banks, the template, the upload form and a form for a new bank."""
    return _index_page()


@bp.get("/eigen-vragen/sjabloon.xlsx")
def local_bank_template() -> Response:
    """The empty XLSX template."""
    return _download(template_xlsx(service.scale_ids()), "eigen-vragen-sjabloon.xlsx",
                     XLSX_TYPE)


@bp.post("/eigen-vragen/upload")
def local_bank_upload() -> Page:
    """Store an uploaded template as a draft; every problem listed as SHEET!CELL."""
    # A request over MAX_CONTENT_LENGTH never gets here: it gets the 413 page.
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _index_page((_("Kies een bestand (.xlsx) om te uploaden."),), 422)
    data = upload.read()
    try:
        item = service.import_xlsx(data, upload.filename)
    except service.LocalBankProblems as exc:
        return _index_page(exc.problems, 422)
    except Conflict as exc:
        return _index_page((exc.message,), 409)
    flash(_("Vragenlijst %(title)s (%(version)s) is opgeslagen als concept.",
            title=item.bank.title, version=item.bank.version), "success")
    return redirect(url_for("coordinator.local_bank", bank_id=item.bank.id,
                            version=item.bank.version), 303)


@bp.post("/eigen-vragen/nieuw")
def local_bank_new() -> Page:
    """Start a new local bank in the browser (one theme and one question to edit)."""
    values = {key: (request.form.get(key) or "").strip()
              for key in ("id", "title", "description", "levensdomeinen")}
    errors: dict[str, list[str]] = {}
    if not ID_RE.match(values["id"]):
        errors["id"] = [_("Gebruik kleine letters, cijfers en _, en begin met een letter.")]
    for key, message in (("title", _("Vul de titel in.")),
                         ("description", _("Vul de beschrijving in."))):
        if not values[key]:
            errors[key] = [message]
    if not errors:
        try:
            item = service.create_bank(values["id"], values["title"], values["description"],
                                       _list(values["levensdomeinen"]))
        except service.LocalBankProblems as exc:
            errors = _field_errors(exc.located, ())
            if not errors:
                errors = {"id": list(exc.problems)}
        else:
            flash(_("Vragenlijst %(title)s is gemaakt als concept.", title=item.bank.title),
                  "success")
            return redirect(url_for("coordinator.local_bank", bank_id=item.bank.id,
                                    version=item.bank.version), 303)
    return _index_page(status=422, new_errors=errors, new_values=values)


def _field_errors(located: tuple[tuple[PathKey, str], ...], prefix: PathKey
                  ) -> dict[str, list[str]]:
    """Problems under ``prefix`` by form field name (the rest under ``""``)."""
    errors: dict[str, list[str]] = {}
    for path, message in located:
        if path[:len(prefix)] == prefix and len(path) > len(prefix):
            rest = path[len(prefix):]
            name = str(rest[0])
            if name in ("help", "next_steps", "tags") and len(rest) > 1:
                name = f"{name}_{rest[1]}" if name != "tags" else str(rest[1])
            errors.setdefault(name, []).append(message)
        else:
            errors.setdefault("", []).append(f"{format_path(path)}: {message}")
    return errors


def _item(bank_id: str, version: str) -> service.LocalVersion:
    return service.get(bank_id, version)


@bp.get("/eigen-vragen/<bank_id>/<version>")
def local_bank(bank_id: str, version: str) -> Page:
    """One local bank version: its themes and questions, publishing and downloads."""
    item = _item(bank_id, version)
    pinned = item.published and service.is_pinned(bank_id, version)
    return render_template("coordinator/local_bank.html", item=item, bank=item.bank,
                           pinned=pinned)


@bp.post("/eigen-vragen/<bank_id>/<version>/publiceren")
def local_bank_publish(bank_id: str, version: str) -> Page:
    """Publish a draft: frozen from now on, offered for new rounds."""
    try:
        item = service.publish(bank_id, version)
    except service.LocalBankProblems as exc:
        return _index_page(exc.problems, 422)
    flash(_("Vragenlijst %(title)s %(version)s is gepubliceerd en kan nu in een ronde worden "
            "gebruikt.", title=item.bank.title, version=version), "success")
    return redirect(url_for("coordinator.local_bank", bank_id=bank_id, version=version), 303)


@bp.get("/eigen-vragen/<bank_id>/<version>/download.<fmt>")
def local_bank_download(bank_id: str, version: str, fmt: str) -> Response:
    """The local bank as YAML (for git) or as the XLSX template."""
    item = _item(bank_id, version)
    if fmt == "yaml":
        return _download(service.yaml_text(item.bank).encode("utf-8"),
                         f"{bank_id}-{version}.yaml", "application/yaml; charset=utf-8")
    if fmt == "xlsx":
        return _download(service.xlsx_of(bank_id, version), f"{bank_id}-{version}.xlsx",
                         XLSX_TYPE)
    raise NotFound(_("Onbekend formaat."))


def _after_edit(item: service.LocalVersion, version: str, anchor: str = "") -> Response:
    if item.bank.version != version:
        flash(_("Versie %(old)s is gepubliceerd en verandert niet meer. Uw wijziging staat in "
                "de nieuwe conceptversie %(new)s.", old=version, new=item.bank.version),
              "success")
    else:
        flash(_("De wijziging is opgeslagen."), "success")
    return redirect(url_for("coordinator.local_bank", bank_id=item.bank.id,
                            version=item.bank.version) + anchor, 303)


@bp.post("/eigen-vragen/<bank_id>/<version>/ordenen")
def local_bank_arrange(bank_id: str, version: str) -> Page:
    """Move a theme or question up or down, or delete it."""
    action = request.form.get("action", "")
    try:
        theme = int(request.form.get("theme", ""))
        raw = request.form.get("question", "")
        question = int(raw) if raw != "" else None
    except ValueError:
        raise NotFound(_("Dit thema bestaat niet.")) from None
    try:
        item = service.rearrange(bank_id, version, action, theme, question)
    except service.LocalBankProblems as exc:
        return _index_page(exc.problems, 422)
    return _after_edit(item, version, "#inhoud-thema-" + str(theme))


THEME_FIELDS = ("id", "title", "description", "crpd", "target")


@bp.route("/eigen-vragen/<bank_id>/<version>/thema/<int:index>", methods=["GET", "POST"])
def local_bank_theme(bank_id: str, version: str, index: int) -> Page:
    """Edit a theme, or add one (``index`` equal to the number of themes)."""
    item = _item(bank_id, version)
    themes = item.bank.themes
    if index > len(themes):
        raise NotFound(_("Dit thema bestaat niet."))
    is_new = index == len(themes)
    values: dict[str, str] = {"target": "3"}
    if not is_new:
        theme = themes[index]
        values = {"id": theme.id, "title": theme.title, "description": theme.description,
                  "crpd": ", ".join(theme.crpd), "target": str(theme.target)}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {key: (request.form.get(key) or "").strip() for key in THEME_FIELDS}
        if not is_new:
            values["id"] = themes[index].id
        fields: dict[str, Any] = {"id": values["id"], "title": values["title"],
                                  "description": values["description"],
                                  "crpd": _list(values["crpd"]),
                                  "target": int(values["target"]) if values["target"].isdigit()
                                  else values["target"]}
        try:
            saved = service.save_theme(bank_id, version, index, fields)
        except service.LocalBankProblems as exc:
            errors = _field_errors(exc.located, ("themes", index))
        else:
            return _after_edit(saved, version, f"#inhoud-thema-{index}")
    return render_template("coordinator/local_theme_form.html", item=item, bank=item.bank,
                           index=index, is_new=is_new, values=values, errors=errors), (
        422 if errors else 200)


QUESTION_TEXT = ("statement", "evidence", "next_step", "help_0", "help_1", "help_2", "help_3",
                 "help_4", "next_steps_levels_0_1", "next_steps_level_2", "next_steps_level_3")
QUESTION_LISTS = ("crpd", "levensdomein", "routekaart", "principles", "groups")


def _question_values(question: Any) -> dict[str, str]:
    values = {"name": question.id.rsplit(".", 1)[-1], "statement": question.statement,
              "evidence": question.evidence or "", "next_step": question.next_step or "",
              "weight": f"{question.weight:g}", "core": "1" if question.core else "",
              "movisie": str(question.tags.movisie)}
    for level in range(5):
        values[f"help_{level}"] = question.help.get(level, "")
    if question.next_steps is not None:
        for band in ("levels_0_1", "level_2", "level_3"):
            values[f"next_steps_{band}"] = getattr(question.next_steps, band)
    for key in QUESTION_LISTS:
        values[key] = ", ".join(str(v) for v in getattr(question.tags, key))
    return values


def _question_fields(values: dict[str, str]) -> dict[str, Any]:
    help_ = {level: values[f"help_{level}"] for level in range(5) if values[f"help_{level}"]}
    steps = {band: values[f"next_steps_{band}"] for band in ("levels_0_1", "level_2", "level_3")
             if values[f"next_steps_{band}"]}
    tags: dict[str, Any] = {"crpd": _list(values["crpd"]),
                            "levensdomein": _list(values["levensdomein"]),
                            "movisie": int(values["movisie"]) if values["movisie"].isdigit()
                            else values["movisie"]}
    for key in ("routekaart", "principles", "groups"):
        items = _int_list(values[key]) if key == "routekaart" else _list(values[key])
        if items:
            tags[key] = items
    weight: Any = values["weight"].replace(",", ".")
    try:
        weight = float(weight) if weight else None
        if weight is not None and weight.is_integer():
            weight = int(weight)
    except ValueError:
        pass
    return {"statement": values["statement"], "help": help_, "evidence": values["evidence"],
            "next_step": values["next_step"], "next_steps": steps, "tags": tags,
            "weight": weight, "core": True if values["core"] else None}


@bp.route("/eigen-vragen/<bank_id>/<version>/vraag/<int:theme>/<int:index>",
          methods=["GET", "POST"])
def local_bank_question(bank_id: str, version: str, theme: int, index: int) -> Page:
    """Edit a question, or add one (``index`` equal to the number of questions)."""
    item = _item(bank_id, version)
    if theme >= len(item.bank.themes):
        raise NotFound(_("Dit thema bestaat niet."))
    theme_obj = item.bank.themes[theme]
    if index > len(theme_obj.questions):
        raise NotFound(_("Deze vraag bestaat niet."))
    is_new = index == len(theme_obj.questions)
    old_id = None if is_new else theme_obj.questions[index].id
    values = ({"name": "", "weight": "", "core": "", "movisie": "6",
               **{key: "" for key in QUESTION_TEXT + QUESTION_LISTS}} if is_new
              else _question_values(theme_obj.questions[index]))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        names = QUESTION_TEXT + QUESTION_LISTS + ("name", "weight", "core", "movisie")
        values = {key: (request.form.get(key) or "").strip() for key in names}
        values["meaning_changed"] = request.form.get("meaning_changed", "")
        prefix = f"{bank_id}.{theme_obj.id}."
        new_id = prefix + values["name"]
        fields = _question_fields(values)
        replace_with = None
        if is_new:
            fields["id"] = new_id
        elif values["meaning_changed"]:
            replace_with = new_id
            if new_id == old_id:
                errors["name"] = [_("Een vraag waarvan de betekenis verandert, krijgt een "
                                    "nieuwe naam.")]
        if not ID_RE.match(values["name"]):
            errors["name"] = [_("Gebruik kleine letters, cijfers en _, en begin met een "
                                "letter.")]
        if not errors:
            try:
                saved = service.save_question(bank_id, version, theme, index, fields,
                                              new_id=replace_with)
            except service.LocalBankProblems as exc:
                errors = _field_errors(exc.located, ("themes", theme, "questions", index))
            else:
                return _after_edit(saved, version, f"#inhoud-thema-{theme}")
    return render_template("coordinator/local_question_form.html", item=item, bank=item.bank,
                           theme=theme_obj, theme_index=theme, index=index, is_new=is_new,
                           values=values, errors=errors, old_id=old_id), (
        422 if errors else 200)


@bp.get("/eigen-vragen/<bank_id>/<version>/voorbeeld")
def local_bank_preview(bank_id: str, version: str) -> Page:
    """How the survey pages of this bank look to a respondent (nothing can be submitted)."""
    item = _item(bank_id, version)
    catalog = bank_catalog()
    scale = catalog.scales.get(item.bank.scale) or next(iter(catalog.scales.values()))
    return render_template("coordinator/local_preview.html", item=item, bank=item.bank,
                           scale=scale)
