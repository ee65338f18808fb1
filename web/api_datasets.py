"""/api/v1/datasets: load a raw operational file (multipart `file` and `profile`, the
dataset profile as JSON text), list the datasets, a dataset's loads, and revert a load
(issue #7). A file with cells that miss their format is 422 with those cells and nothing
written; an unusable profile or file is 400."""
from __future__ import annotations

from flask import jsonify, request

from metrics.datasets import DatasetError
from web import datasets, importing
from web.api import api, error_response
from web.auth import current_scope
from web.rules import access
from web.services import current_services


@api.post("/datasets")
@access("analyst")
def post_dataset():
    services, scope = current_services(), current_scope()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return error_response(400, 'Send the raw file as multipart form field "file".')
    try:
        profile = datasets.parse_profile(request.form.get("profile"))
    except DatasetError as error:
        upload.close()
        return error_response(400, "The dataset profile cannot be used.", error.problems)
    path = importing.save_upload(services, upload)
    try:
        body = datasets.load(services, scope, path, profile, file_name=upload.filename[:255])
    except PermissionError as error:
        return error_response(403, str(error))
    except DatasetError as error:
        if error.rows:
            return jsonify({"error": f"{error.total} cell(s) do not match their column's type or format, so "
                                     "nothing was loaded; fix them or the profile's format.",
                            "details": error.problems, "errors": error.rows, "error_count": error.total}), 422
        return error_response(400, "The file cannot be loaded.", error.problems)
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
        return error_response(404, f"There is no dataset {name!r}.")
    return jsonify(found)


@api.post("/datasets/batches/<int:batch_id>/revert")
@access("analyst")
def revert_dataset_batch(batch_id: int):
    try:
        result = datasets.revert(current_services(), current_scope(), batch_id)
    except PermissionError as error:
        return error_response(403, str(error))
    except datasets.NoSuchLoad as error:
        return error_response(404, str(error))
    except DatasetError as error:
        return error_response(409, str(error))
    return jsonify({"status": "reverted", **result})
