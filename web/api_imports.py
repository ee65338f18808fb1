"""/api/v1/imports: upload a file with a profile (or a saved profile's name), dry-run or
commit; history; revert (DESIGN §8). A file with any rejected row is 422 with the report
and nothing written, unless the profile says "on_error": "skip"."""
from __future__ import annotations

import json

from flask import jsonify, request

from i18n import current_language, translate
from metrics import imports
from metrics.imports import ImportError_
from metrics.profiles import Profile, ProfileError
from web import importing
from web.api import api, error_response
from web.auth import current_scope
from web.reasons import reason_of, said_rows, say, say_all, web_reason
from web.rules import access
from web.services import current_services


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _profile_from_request(services):
    text, name = request.form.get("profile"), request.form.get("profile_name")
    if text:
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise ProfileError([web_reason("profile.bad_json", problem=error.msg, line=error.lineno,
                                           column=error.colno)]) from None
        return Profile.parse(document), name
    if name:
        document = importing.find_profile(services, name)
        if document is None:
            raise ProfileError([web_reason("profile.no_saved", name=repr(name[:100]))])
        return Profile.parse(document), name
    raise ProfileError([web_reason("profile.send")])


@api.post("/imports")
@access("analyst")
def post_import():
    services, scope, language = current_services(), current_scope(), current_language()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return error_response(400, translate("api.send_file", language))
    try:
        profile, profile_name = _profile_from_request(services)
    except ProfileError as error:
        return error_response(400, translate("api.profile_unusable", language), say_all(error.problems, language))
    path = importing.save_upload(services, upload)
    try:
        report = importing.run(services, scope, path, profile, file_name=upload.filename[:255],
                               profile_name=profile_name, dry_run=_truthy(request.form.get("dry_run")))
    except ProfileError as error:
        return error_response(400, translate("api.profile_misfit", language), say_all(error.problems, language))
    except ImportError_ as error:
        return error_response(400, say(reason_of(error), language))
    finally:
        path.unlink(missing_ok=True)
    body = report.as_dict()
    body["errors"] = said_rows(report.errors, language)
    if report.error_count and profile.on_error == "reject":
        body["error"] = translate("api.rows_rejected", language, count=report.rejected)
        # Every API error carries "details" (DESIGN §8); here, the rejected rows as text.
        body["details"] = [translate("api.row_problem", language, line=row["line"], column=row["column"],
                                     reason=row["reason"]) for row in body["errors"]]
        return jsonify(body), 422
    return jsonify(body), (201 if report.committed else 200)


@api.get("/imports")
@access("viewer")
def list_imports():
    batches = imports.list_batches(current_services().warehouse)
    for batch in batches:
        for key in ("created_at", "reverted_at"):
            batch[key] = batch[key].isoformat(timespec="seconds") if batch[key] else None
    return jsonify(batches)


@api.post("/imports/<int:batch_id>/revert")
@access("analyst")
def revert_import(batch_id: int):
    try:
        result = importing.revert(current_services(), current_scope(), batch_id)
    except ImportError_ as error:
        reason = reason_of(error)
        return error_response(404 if reason.code == "import.no_import" else 409, say(reason, current_language()))
    except PermissionError as error:
        return error_response(403, say(reason_of(error), current_language()))
    return jsonify({"batch_id": batch_id, "status": "reverted", **result})


@api.get("/imports/profiles")
@access("analyst")
def list_import_profiles():
    return jsonify(importing.list_profiles(current_services()))
