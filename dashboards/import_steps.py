"""The steps of the import wizard behind its callbacks: reading what the browser sends
(every value may be anything), receiving an upload, filling the mapping form from a
profile, composing the profile the form stands for, saving it, and running the import.
Each returns what the page shows; dashboards/imports.py wires them to the page."""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re

from dash import html, no_update
from dash.exceptions import PreventUpdate
from flask import current_app

from dashboards import import_form as form
from dashboards.import_form import FORM_FIELDS, WORD_FIELDS, FormError
from dashboards.import_parts import message, problems, report_block
from i18n import LOCALES, _, current_language, format_number, localized, translate
from metrics import catalog
from metrics.import_setup import guess_words, preview_file, suggest_profile, wide_matches
from metrics.imports import ImportError_
from metrics.profiles import Profile, ProfileError
from metrics.sources import MAX_COLUMNS, SourceError
from metrics.warehouse import WarehouseError
from web import import_uploads, importing
from web.auth import current_scope
from web.import_uploads import UploadError
from web.services import current_services

P = form.P
MAX_JSON = 200_000            # characters of profile JSON
REQUEST_SLACK = 64 * 1024     # room in a request for what travels beside the file
MAX_RULES = 40
_DATA_URL = re.compile(r"^data:[^,]{0,200};base64,")


# -- checks ------------------------------------------------------------------------------------------------
def analyst():
    """The person acting; the guard let only analysts and above through, and this checks again."""
    scope = current_scope()
    if not scope.allows("analyst"):
        raise PreventUpdate
    return scope


def clicks(value) -> int:
    if value is None:
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PreventUpdate
    return value


def limit_bytes() -> int:
    """The largest file the wizard takes: a request carries it base64-encoded (4 bytes for 3)."""
    return max((current_app.config["MAX_CONTENT_LENGTH"] - REQUEST_SLACK) * 3 // 4, 0)


def browser_locale(language: str) -> str:
    """The BCP 47 tag the browser formats numbers with for `language` (pt-BR for pt)."""
    return LOCALES[language].replace("_", "-")


def megabytes(size: int, language: str) -> str:
    """A size in megabytes as the language writes it: 37.5 in English, 37,5 in Spanish."""
    return format_number(size / (1024 * 1024), language, 1)


def _size(size: int, language: str) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{format_number(size / 1024, language, 1)} KB"
    return f"{format_number(size / (1024 * 1024), language, 1)} MB"


def checked_preview(data) -> dict | None:
    """The preview kept in the browser, checked before it is used."""
    if data is None:
        return None
    try:
        if not isinstance(data, dict):
            raise FormError("preview")
        headers, rows, words = data.get("headers"), data.get("rows"), data.get("words") or {}
        if not (isinstance(headers, list) and len(headers) <= MAX_COLUMNS
                and all(isinstance(h, str) and len(h) <= 1000 for h in headers)):
            raise FormError("headers")
        if not (isinstance(rows, list) and len(rows) <= 10 and all(isinstance(r, list) and len(r) <= MAX_COLUMNS
                                                                 for r in rows)):
            raise FormError("rows")
        if not (isinstance(words, dict) and all(isinstance(v, list) and len(v) <= 30 and all(
                isinstance(w, str) and len(w) <= 60 for w in v) for v in words.values())):
            raise FormError("words")
        if data.get("kind") not in ("csv", "xlsx") or not isinstance(data.get("row_count"), int):
            raise FormError("kind")
        sheets = data.get("sheets") or []
        if not (isinstance(sheets, list) and all(isinstance(s, str) for s in sheets)):
            raise FormError("sheets")
        if not all(isinstance(data.get(k), (str, type(None))) for k in ("encoding", "delimiter", "sheet", "shape")):
            raise FormError("facts")
    except FormError:
        raise PreventUpdate from None
    return data


def _departments(language: str) -> dict[str, str]:
    """Departments this person may import into, for a department given once for every row."""
    scope = current_scope()
    return {d["id"]: localized(d, "name", language) or d["id"]
            for d in catalog.list_departments(current_services().warehouse)
            if scope.can_edit_department(d["id"])}


def _profiles() -> dict[str, dict]:
    return {p["name"]: p for p in importing.list_profiles(current_services())}


def _document(text_value) -> tuple[dict | None, list[str]]:
    """The profile JSON as typed: the document, or the problems that stop it."""
    if not isinstance(text_value, str) or not text_value.strip():
        return None, [_("imports.json_empty")]
    if len(text_value) > MAX_JSON:
        return None, [_("imports.json_too_long")]
    try:
        document = json.loads(text_value)
    except json.JSONDecodeError as error:
        return None, [_("imports.json_invalid", problem=error.msg, line=error.lineno, column=error.colno)]
    try:
        Profile.parse(document)
    except ProfileError as error:
        return None, error.problems
    return document, []


def _canonical(document: dict) -> str:
    return json.dumps(document, sort_keys=True, ensure_ascii=False)


def _fingerprint(token: str, document: dict) -> str:
    """Which file was checked with which profile: the commit must match the dry run."""
    return hashlib.sha256(f"{token}\n{_canonical(document)}".encode()).hexdigest()


def _token(upload) -> str | None:
    return upload.get("token") if isinstance(upload, dict) and isinstance(upload.get("token"), str) else None


# -- steps ----------------------------------------------------------------------------------------------------
def _decode(contents, filename) -> tuple[bytes, str]:
    """The uploaded bytes and a label for them; FormError(key) when they cannot be taken."""
    if not isinstance(contents, str) or not isinstance(filename, (str, type(None))):
        raise FormError("imports.upload_unreadable")
    if len(contents) > current_app.config["MAX_CONTENT_LENGTH"]:
        raise FormError("imports.too_big")
    prefix = _DATA_URL.match(contents)
    if not prefix:
        raise FormError("imports.upload_unreadable")
    encoded = contents[prefix.end():]
    size = len(encoded) * 3 // 4 - encoded[-2:].count("=")
    if size > limit_bytes():
        raise FormError("imports.too_big")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise FormError("imports.upload_unreadable") from None
    label = re.split(r"[\\/]", filename or "")[-1].strip()[:255] or "upload"
    return data, label


def _describe(upload, sheet: str | None) -> dict:
    services = current_services()
    preview = preview_file(services.warehouse, upload.path, sheet=sheet, workdir=importing.workdir(services))
    data = preview.as_dict()
    data["rows"] = [[None if c is None else str(c)[:200] for c in row] for row in data["rows"]]
    data["suggestion"] = suggest_profile(preview.headers, services.calendar)
    data["name"] = upload.name
    return data


def _upload_answer(upload, preview: dict, language: str):
    sheets = preview.get("sheets") or []
    status = message(translate("imports.uploaded", language, name=upload.name,
                               size=_size(upload.meta.get("size") or 0, language)), True)
    return ({"token": upload.token, "name": upload.name}, preview, status, None,
            [{"label": s, "value": s} for s in sheets], preview.get("sheet"), len(sheets) < 2)


def receive(contents, filename, picked, language: str):
    scope = analyst()
    services = current_services()
    try:
        data, label = _decode(contents, filename)
    except FormError as error:
        text = translate(str(error), language, limit=megabytes(limit_bytes(), language))
        return None, None, message(text, False), None, [], None, True
    upload = import_uploads.store(services, scope.username, label, data)
    try:
        preview = _describe(upload, None)
        wanted = (_profiles().get(picked) or {}).get("document", {}).get("sheet") if isinstance(picked, str) else None
        if isinstance(wanted, str) and wanted != preview.get("sheet") and wanted in preview["sheets"]:
            preview = _describe(upload, wanted)
    except (SourceError, WarehouseError) as error:
        import_uploads.discard(services, upload)
        return None, None, message(translate("imports.unreadable_file", language, problem=str(error)), False), \
            None, [], None, True
    return _upload_answer(upload, preview, language)


def change_sheet(sheet, upload_data, language: str):
    scope = analyst()
    if not isinstance(sheet, str) or len(sheet) > 200:
        raise PreventUpdate
    try:
        upload = import_uploads.open_upload(current_services(), _token(upload_data), scope.username)
        preview = _describe(upload, sheet)
    except UploadError as error:
        return no_update, no_update, message(_(error.key), False), no_update, no_update, no_update, no_update
    except (SourceError, WarehouseError) as error:
        return no_update, no_update, message(translate("imports.unreadable_file", language, problem=str(error)),
                                             False), no_update, no_update, no_update, no_update
    answer = _upload_answer(upload, preview, language)
    return answer[:5] + (no_update, no_update)


def fill(preview, picked, triggered: str | None):
    """The form for the chosen saved profile, else for the suggestion from the file's headers."""
    language = current_language()
    profiles = _profiles()
    saved = profiles.get(picked) if isinstance(picked, str) else None
    if picked is not None and saved is None:
        raise PreventUpdate
    headers = preview["headers"] if preview else []
    if saved:
        base = saved["document"]
    elif preview and isinstance(preview.get("suggestion"), dict):
        base = preview["suggestion"]
    else:
        base = {"shape": "long", "columns": {}}
    columns = base.get("columns") if isinstance(base.get("columns"), dict) else {}
    departments = _departments(language)
    fields = [form.field_options(f, headers, columns.get(f), departments, language) for f in FORM_FIELDS]
    shown = form.form_from(base)
    rules = form.rule_rows(shown["rules"][:MAX_RULES - form.RULE_ROWS_EXTRA], language)
    sheet = no_update
    if triggered == P + "profile" and saved and preview and base.get("sheet") in (preview.get("sheets") or []):
        sheet = base["sheet"] if base["sheet"] != preview.get("sheet") else no_update
    open_boxes = not saved
    return (shown["shape"], *[o for o, _v in fields], *[v for _o, v in fields], rules, shown["missing"],
            shown["percent"], form.date_format_options(language, shown["period_format"]), shown["period_format"],
            shown["on_error"], base, picked if saved else no_update, open_boxes, open_boxes, sheet)


def word_maps(values, preview, base):
    language = current_language()
    if not preview:
        return []
    maps = (base.get("values") or {}) if isinstance(base, dict) and isinstance(base.get("values"), dict) else {}
    blocks = []
    for field, value in zip(WORD_FIELDS, values):
        if not isinstance(value, str) or not value.startswith("c:") or value[2:] not in preview["headers"]:
            continue
        column = value[2:]
        words = preview["words"].get(column)
        current = {k.lower(): v for k, v in (maps.get(field) or {}).items() if isinstance(k, str)} \
            if isinstance(maps.get(field), dict) else {}
        if words is not None:
            guessed = guess_words(field, words)
            current = {**{w.lower(): m for w, m in guessed.items()}, **current}
        blocks.append(form.word_rows(field, column, words, current, language))
    if blocks:
        blocks.insert(0, html.H3(_("imports.group_words"), className="subheading"))
        blocks.insert(1, html.P(_("imports.words_hint"), className="muted small"))
    return blocks


def compose(shape, field_values, patterns, periods, kinds, word_values, word_ids, missing, percent,
             period_format, on_error, preview, base) -> dict:
    """The profile document the form stands for; FormError for values no form sends."""
    form.choice(shape, ("long", "wide"))
    fields = {}
    headers = preview["headers"] if preview else []
    departments = _departments(current_language())
    columns = base.get("columns") if isinstance(base, dict) and isinstance(base.get("columns"), dict) else {}
    for field, value in zip(FORM_FIELDS, field_values):
        fields[field] = form.choice(value, form.allowed_field_values(field, headers, departments, columns.get(field)))
    patterns, periods, kinds = (form.values_list(v, MAX_RULES) for v in (patterns, periods, kinds))
    if not len(patterns) == len(periods) == len(kinds):
        raise FormError("rules")
    rules = [(form.text(p, 300), form.text(q, 60),
              form.choice(k, ("by-word", form.KEEP) + tuple(form.WIDE_KINDS))) for p, q, k in
             zip(patterns, periods, kinds)]
    words: dict[str, dict[str, str | None]] = {}
    for value, component in zip(form.values_list(word_values, 200), form.values_list(word_ids, 200)):
        if not isinstance(component, dict) or component.get("field") not in WORD_FIELDS \
                or not isinstance(component.get("word"), str):
            raise FormError("word")
        field = component["field"]
        words.setdefault(field, {})[component["word"]] = form.choice(value, form.CATEGORIES[field])
    sheet = None
    if preview and preview["kind"] == "xlsx" and preview.get("sheet"):
        sheets = preview.get("sheets") or []
        if preview["sheet"] != (sheets[0] if sheets else None) or "sheet" in (base or {}):
            sheet = preview["sheet"]
    return form.compose(base if isinstance(base, dict) else {}, {
        "shape": shape, "fields": fields, "rules": rules, "words": words,
        "missing": form.text(missing), "percent": form.choice(percent, form.PERCENTS) or "auto",
        "period_format": form.text(period_format, 100), "on_error": form.choice(on_error, form.ON_ERROR) or "reject",
        "sheet": sheet})


def check(text_value, checked, upload, preview):
    language = current_language()
    if not isinstance(text_value, str) or not text_value.strip():
        return "", True
    document, found = _document(text_value)
    if document is None:
        return problems(_("imports.profile_problems"), found), True
    lines = [_("imports.profile_ok")]
    if preview and document.get("shape") == "wide":
        matched = wide_matches(Profile.parse(document), preview["headers"])
        if matched:
            shown = ", ".join(f"{h} → {p} ({translate(f'imports.kind_{k}', language)})" for h, p, k in matched[:12])
            more = _("imports.and_more", count=len(matched) - 12) if len(matched) > 12 else ""
            lines.append(_("imports.wide_matched", count=len(matched), columns=shown + more))
        else:
            return problems(_("imports.profile_problems"), [_("imports.wide_none")]), True
    token = _token(upload)
    ready = bool(token and isinstance(checked, str) and checked == _fingerprint(token, document))
    return html.Div([html.P(line) for line in lines], className="form-ok", role="status"), not ready


def save(name, text_value):
    scope = analyst()
    services = current_services()
    if not isinstance(name, str) or not name.strip():
        return message(_("imports.name_needed"), False), no_update
    name = name.strip()
    if len(name) > 100:
        return message(_("imports.name_rule"), False), no_update
    document, found = _document(text_value)
    if document is None:
        return problems(_("imports.profile_problems"), found), no_update
    existing = _profiles().get(name)
    if existing and existing["source"] == "saved" and not scope.all_departments \
            and existing.get("updated_by") != scope.username:
        return message(_("imports.name_taken", name=name), False), no_update
    try:
        importing.save_profile(services, name, document, scope.username)
    except ProfileError as error:
        return problems(_("imports.profile_problems"), error.problems), no_update
    return message(_("imports.saved", name=name), True), name


def _profile_name(names: list, document: dict) -> str | None:
    """The saved profile the import used: the first of `names` (the name typed or saved in
    the form, the profile picked) whose document is exactly the JSON being run."""
    profiles = _profiles()
    canonical = _canonical(document)
    return next((n for n in names if isinstance(n, str) and n in profiles
                 and _canonical(profiles[n]["document"]) == canonical), None)


def run(action: str, upload_data, text_value, names: list):
    """Dry run, import, or both; returns (report, checked fingerprint, upload data)."""
    scope = analyst()
    services = current_services()
    language = current_language()
    try:
        upload = import_uploads.open_upload(services, _token(upload_data), scope.username)
    except UploadError as error:
        return message(_(error.key), False), None, no_update
    document, found = _document(text_value)
    if document is None:
        return problems(_("imports.profile_problems"), found), None, no_update
    profile = Profile.parse(document)
    fingerprint = _fingerprint(upload.token, document)
    if action == "commit" and upload.meta.get("checked") != fingerprint:
        return message(_("imports.dry_run_first"), False), None, no_update
    name = _profile_name(names, document)

    def execute(dry_run: bool):
        return importing.run(services, scope, upload.path, profile, file_name=upload.name, profile_name=name,
                             dry_run=dry_run)
    try:
        report = execute(action != "commit")
        clean = not (report.error_count and profile.on_error == "reject") and bool(report.accepted or report.targets)
        if action == "quick" and clean and not report.error_count:
            report = execute(False)
    except (ImportError_, ProfileError) as error:
        details = error.problems if isinstance(error, ProfileError) else [str(error)]
        return problems(_("imports.run_failed"), details), None, no_update
    except WarehouseError as error:
        return message(translate("imports.unreadable_file", language, problem=str(error)), False), None, no_update
    if report.committed:
        import_uploads.discard(services, upload)
        return report_block(report.as_dict(), language, on_error=profile.on_error), None, None
    import_uploads.mark_checked(services, upload, fingerprint if clean else None)
    return report_block(report.as_dict(), language, on_error=profile.on_error), \
        fingerprint if clean else None, no_update
