"""/api/v1/imports: upload a file with a profile (or a saved profile's name), dry-run or
commit; history; revert (DESIGN §8). A file with any rejected row is 422 with the report
and nothing written, unless the profile says "on_error": "skip"."""
from __future__ import annotations

import json

from flask import jsonify, request

from metrics import imports
from metrics.imports import ImportError_
from metrics.profiles import Profile, ProfileError
from web import importing
from web.api import api, error_response
from web.auth import current_scope
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
            raise ProfileError([f"the profile is not valid JSON ({error.msg} at line {error.lineno}, "
                                f"column {error.colno})"]) from None
        return Profile.parse(document), name
    if name:
        document = importing.find_profile(services, name)
        if document is None:
            raise ProfileError([f"there is no saved profile {name!r}; send it as JSON in \"profile\" or save it first"])
        return Profile.parse(document), name
    raise ProfileError(['send the profile as JSON text in "profile", or a saved profile\'s name in "profile_name"'])


@api.post("/imports")
@access("analyst")
def post_import():
    services, scope = current_services(), current_scope()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return error_response(400, 'Send the file to import as multipart form field "file".')
    try:
        profile, profile_name = _profile_from_request(services)
    except ProfileError as error:
        return error_response(400, "The profile cannot be used.", error.problems)
    path = importing.save_upload(services, upload)
    try:
        report = importing.run(services, scope, path, profile, file_name=upload.filename[:255],
                               profile_name=profile_name, dry_run=_truthy(request.form.get("dry_run")))
    except ProfileError as error:
        return error_response(400, "The profile does not fit the file.", error.problems)
    except ImportError_ as error:
        return error_response(400, str(error))
    finally:
        path.unlink(missing_ok=True)
    body = report.as_dict()
    if report.error_count and profile.on_error == "reject":
        body["error"] = (f"{report.rejected} row(s) were rejected, so nothing was imported; fix them or set "
                         "\"on_error\": \"skip\" in the profile.")
        # Every API error carries "details" (DESIGN §8); here, the rejected rows as text.
        body["details"] = [f"line {row['line']}, column {row['column']}: {row['reason']}" for row in report.errors]
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
        return error_response(404 if "no import" in str(error) else 409, str(error))
    except PermissionError as error:
        return error_response(403, str(error))
    return jsonify({"batch_id": batch_id, "status": "reverted", **result})


@api.get("/imports/profiles")
@access("analyst")
def list_import_profiles():
    return jsonify(importing.list_profiles(current_services()))
