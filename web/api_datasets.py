"""/api/v1/datasets: load a raw operational file (multipart `file` and `profile`, the
dataset profile as JSON text), list the datasets, a dataset's loads, and revert a load
(issue #7). A file with cells that miss their format is 422 with those cells and nothing
written; an unusable profile or file is 400."""
from __future__ import annotations

from flask import jsonify, request

from i18n import current_language, translate
from metrics.datasets import DatasetError
from web import datasets, importing
from web.api import api, error_response
from web.auth import current_scope
from web.reasons import reason_of, said_rows, say, say_all
from web.rules import access
from web.services import current_services


@api.post("/datasets")
@access("analyst")
def post_dataset():
    services, scope, language = current_services(), current_scope(), current_language()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return error_response(400, translate("api.send_dataset_file", language))
    try:
        profile = datasets.parse_profile(request.form.get("profile"))
    except DatasetError as error:
        upload.close()
        return error_response(400, translate("api.dataset_profile_unusable", language),
                              say_all(error.problems, language))
    path = importing.save_upload(services, upload)
    try:
        body = datasets.load(services, scope, path, profile, file_name=upload.filename[:255])
    except PermissionError as error:
        return error_response(403, say(reason_of(error), language))
    except DatasetError as error:
        if error.rows:
            return jsonify({"error": translate("api.cells_rejected", language, count=error.total),
                            "details": say_all(error.problems, language), "errors": said_rows(error.rows, language),
                            "error_count": error.total}), 422
        return error_response(400, translate("api.file_unloadable", language), say_all(error.problems, language))
    finally:
        path.unlink(missing_ok=True)
    return jsonify(body), 201


@api.get("/datasets")
@access("viewer")
def list_datasets():
    return jsonify(datasets.list_datasets(current_services()))


@api.get("/datasets/<name>/batches")
@access("viewer")
def dataset_batches(name: str):
    found = datasets.history(current_services(), name)
    if not found:
        return error_response(404, translate("api.no_dataset", current_language(), name=repr(name[:100])))
    return jsonify(found)


@api.post("/datasets/batches/<int:batch_id>/revert")
@access("analyst")
def revert_dataset_batch(batch_id: int):
    language = current_language()
    try:
        result = datasets.revert(current_services(), current_scope(), batch_id)
    except PermissionError as error:
        return error_response(403, say(reason_of(error), language))
    except datasets.NoSuchLoad as error:
        return error_response(404, "; ".join(say_all(error.problems, language)))
    except DatasetError as error:
        return error_response(409, "; ".join(say_all(error.problems, language)))
    return jsonify({"status": "reverted", **result})
