"""The API's errors in the caller's language (issue #9): for a sample of refusals across the
routes, a Spanish or Brazilian Portuguese caller (Accept-Language, or the citystat_lang
cookie, which wins over the browser) reads the catalogue's text of that language with the
same values filled in, in "error" and in the "details" that say what to fix; English
callers keep the English wording; and no English words are left in a Spanish error."""
from __future__ import annotations

import io
import json
import re

import pytest

from i18n import translate
from metrics.reasons import TEMPLATES, Reason
from metrics.status import STATUSES
from tests.helpers import ORIGIN
from web.reasons import say

API = "/api/v1"
IMPORT_PROFILE = json.dumps({"shape": "long", "columns": {"kpi_id": "kpi", "period": "period", "value": "value"}})
DATASET_PROFILE = json.dumps({"name": "lang_requests", "columns": {"opened": {"type": "date", "format": "%Y-%m-%d"}}})

# (language, headers, cookie): the cookie wins over the browser's Accept-Language
CALLERS = [
    pytest.param("es", {"Accept-Language": "es-MX,es;q=0.9"}, None, id="es-accept"),
    pytest.param("pt", {"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"}, None, id="pt-accept"),
    pytest.param("pt", {"Accept-Language": "en-US,en;q=0.9"}, "pt", id="pt-cookie"),
    pytest.param("es", {}, "es", id="es-cookie"),
]


def _upload(path: str, content: bytes, profile: str | None, name: str = "values.csv"):
    def send(client, headers):
        data = {"file": (io.BytesIO(content), name)}
        if profile is not None:
            data["profile"] = profile
        return client.post(API + path, data=data, content_type="multipart/form-data", headers={**ORIGIN, **headers})
    return send


def _get(path: str):
    return lambda client, headers: client.get(API + path, headers=headers)


def _post_json(path: str, body):
    return lambda client, headers: client.post(API + path, json=body, headers={**ORIGIN, **headers})


def _no_details(language):
    return []


def _t(key, **params):
    """The expected text of `key` in a language, its params said in that language too."""
    return lambda language: translate(key, language, **{k: say(v, language) for k, v in params.items()})


# id, who calls, the request, status, expected error (by language), expected details (by language)
CASES = [
    ("bad as_of", None, _get("/kpis?as_of=2024-02-30"), 400,
     _t("api.bad_as_of", problem=Reason("period.short_month", text="'2024-02-30'", month_name="February", month=2,
                                        year=2024, days=29)), _no_details),
    ("unreadable as_of on goals", None, _get("/goals?as_of=yesterday"), 400,
     _t("api.bad_as_of", problem=Reason("period.not_a_date", text="'yesterday'")), _no_details),
    ("bad status filter", None, _get("/kpis?status=great"), 400,
     _t("api.bad_status", allowed=", ".join(STATUSES), value="'great'"), _no_details),
    ("bad limit", None, _get("/kpis?limit=0"), 400,
     _t("api.bad_whole", name="limit", low=1, high=1000, value="'0'"), _no_details),
    ("unknown KPI", None, _get("/kpis/no-such-kpi"), 404, _t("api.no_kpi", kpi_id="'no-such-kpi'"), _no_details),
    ("unknown KPI export", None, _get("/kpis/no-such-kpi/observations.csv"), 404,
     _t("api.no_kpi", kpi_id="'no-such-kpi'"), _no_details),
    ("unknown route", None, _get("/no-such-thing"), 404, _t("api.no_route", path="/api/v1/no-such-thing"),
     _no_details),
    ("401", None, _get("/meetings"), 401, _t("guard.sign_in"), _no_details),
    ("403", "viewer", _post_json("/meetings", {"title": "x"}), 403, _t("guard.forbidden"),
     lambda language: [translate("guard.why.needs", language, level=translate("role.manager", language))]),
    ("import profile not JSON", "analyst", _upload("/imports", b"kpi,period,value\n", "{not json"), 400,
     _t("api.profile_unusable"),
     lambda language: [translate("reason.profile.bad_json", language, line=1, column=2,
                                 problem="Expecting property name enclosed in double quotes")]),
    ("import profile unusable", "analyst", _upload("/imports", b"kpi,period,value\n", '{"shape": "tall"}'), 400,
     _t("api.profile_unusable"),
     lambda language: [say(Reason("profile.shape"), language), say(Reason("profile.columns"), language),
                       say(Reason("profile.kpi_column"), language)]),
    ("import profile misfit", "analyst",
     _upload("/imports", b"indicator,month,amount\nx,2026-08,1\n", IMPORT_PROFILE), 400,
     _t("api.profile_misfit"),
     lambda language: [say(Reason("import.no_column", name="kpi_id", column="'kpi'"), language),
                       say(Reason("import.no_column", name="value", column="'value'"), language),
                       say(Reason("import.no_column", name="period", column="'period'"), language),
                       say(Reason("import.columns_are", headers="indicator, month, amount"), language)]),
    ("import with a rejected row", "analyst",
     _upload("/imports", b"kpi,period,value\npotholes-repaired,2026-08,lots\n", IMPORT_PROFILE), 422,
     _t("api.rows_rejected", count=1),
     lambda language: [translate("api.row_problem", language, line=2, column="value",
                                 reason=translate("reason.import.not_a_number", language))]),
    ("import of an empty file", "analyst", _upload("/imports", b"kpi,period,value\n", IMPORT_PROFILE), 400,
     _t("reason.import.no_rows"), _no_details),
    ("import without a file", "analyst", _post_json("/imports", {}), 400, _t("api.send_file"), _no_details),
    ("revert of no import", "analyst", _post_json("/imports/987654/revert", {}), 404,
     _t("reason.import.no_import", batch=987654), _no_details),
    ("dataset profile unusable", "analyst", _upload("/datasets", b"a\n1\n", '{"name": "Bad Name", "mode": "x"}'), 400,
     _t("api.dataset_profile_unusable"),
     lambda language: [say(Reason("dataset.name", name="'Bad Name'"), language),
                       say(Reason("dataset.mode", mode="'x'"), language)]),
    ("dataset cell off its format", "analyst",
     _upload("/datasets", b"opened,kind\n2024-03-01,pothole\nyesterday,graffiti\n", DATASET_PROFILE), 422,
     _t("api.cells_rejected", count=1),
     lambda language: [say(Reason("dataset.bad_cells", total=1), language)]),
    ("unknown dataset", "viewer", _get("/datasets/no_such_dataset/batches"), 404,
     _t("api.no_dataset", name="'no_such_dataset'"), _no_details),
    ("bad meeting body", "manager",
     _post_json("/meetings", {"title": "Review", "departments": ["public-works"], "date": "2024-02-30"}), 400,
     _t("meeting.bad_date", value="2024-02-30"), lambda language: ["meeting.bad_date"]),
    ("bad action-item filter", "viewer", _get("/action-items?status=finished"), 400,
     _t("action.bad_status_filter", value="finished"), lambda language: ["action.bad_status_filter"]),
    ("bad meetings limit", "viewer", _get("/meetings?limit=0"), 400,
     _t("meeting.bad_number", name="limit", low=1, high=200, value="0"), lambda language: ["meeting.bad_number"]),
    ("bad KPI body", "analyst",
     _post_json("/kpis", {"id": "not an id", "name": "Lang", "department": "public-works", "frequency": "monthly",
                          "tolerance": "ten", "published": "yes"}), 400,
     _t("kpi_write.invalid"),
     lambda language: [translate("reason.kpi_field.id", language), translate("reason.kpi_field.tolerance", language),
                       translate("reason.kpi_field.flag", language, name="published")]),
    ("KPI definition refused", "analyst",
     _post_json("/kpis", {"id": "lang-sql", "name": "Lang", "department": "public-works", "frequency": "monthly",
                          "sql": "SELECT * FROM read_csv('/etc/passwd')"}), 422,
     _t("kpi_write.bad_sql"), lambda language: [say(Reason("definition.table_function", name="read_csv"), language)]),
    ("KPI body not JSON", "analyst", lambda client, headers: client.post(
        API + "/kpis", data="{", content_type="application/json", headers={**ORIGIN, **headers}), 400,
     _t("kpi_write.bad_json"), _no_details),
    ("packet language", "viewer", _get("/meetings/1/packet.html?lang=fr"), 400,
     _t("packet.bad_language", value="fr"), _no_details),
]


@pytest.fixture
def caller(demo_app, client_as):
    """A client for `who` (None: not signed in) speaking through the cookie when given."""
    def make(who: str | None, cookie: str | None):
        client = client_as(who) if who else demo_app.test_client()
        if cookie:
            client.set_cookie("citystat_lang", cookie)
        return client
    return make


@pytest.mark.parametrize("language, headers, cookie", CALLERS)
@pytest.mark.parametrize("label, who, send, status, error, details", CASES, ids=[c[0] for c in CASES])
def test_errors_come_in_the_callers_language(caller, language, headers, cookie, label, who, send, status, error,
                                             details):
    response = send(caller(who, cookie), headers)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["error"] == error(language)
    assert body["error"] != error("en"), "the answer is in English"
    assert body["details"] == details(language)
    assert "{" not in body["error"] or "{" in error("en")   # every placeholder filled


@pytest.mark.parametrize("label, who, send, status, error, details", CASES, ids=[c[0] for c in CASES])
def test_english_callers_keep_the_english_wording(caller, label, who, send, status, error, details):
    body = send(caller(who, None), {"Accept-Language": "en-US"}).get_json()
    assert body["error"] == error("en") and body["details"] == details("en")


def test_rejected_rows_and_cells_carry_their_reason_in_the_callers_language(caller):
    analyst = caller("analyst", "pt")
    rows = _upload("/imports", b"kpi,period,value\npotholes-repaired,2026-08,12%\n", IMPORT_PROFILE)(analyst, {})
    assert rows.status_code == 422
    assert rows.get_json()["errors"][0]["reason"] == translate("reason.import.percent_sign", "pt", unit="count")
    cells = _upload("/datasets", b"opened\nsoon\n", DATASET_PROFILE)(analyst, {})
    assert cells.status_code == 422
    assert cells.get_json()["errors"] == [{"line": 2, "column": "opened", "value": "soon",
                                           "reason": translate("reason.dataset.bad_cell", "pt", type="date",
                                                               format="%Y-%m-%d")}]


# Words that belong to English sentences, never to the data an error quotes.
ENGLISH = {"the", "is", "must", "not", "there", "send", "cannot", "was", "were", "row", "rows", "line", "file",
           "nothing", "which", "only", "please", "your", "with", "should", "fix", "got", "has", "does"}
QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'|“[^”]*”|\[[^\]]*\]|\{[^}]*\}")


def _english_words(text: str) -> set[str]:
    return {word for word in re.findall(r"[a-z]+", QUOTED.sub(" ", text).lower()) if word in ENGLISH}


@pytest.mark.parametrize("label, who, send, status, error, details", CASES, ids=[c[0] for c in CASES])
def test_no_english_is_left_in_a_spanish_error(caller, label, who, send, status, error, details):
    body = send(caller(who, "es"), {}).get_json()
    for text in [body["error"], *body["details"]]:
        # the JSON parser's own words ("Expecting property name...") are quoted data of the library
        text = text.replace("Expecting property name enclosed in double quotes", "")
        assert not _english_words(text), text


@pytest.mark.parametrize("language", ["es", "pt"])
def test_every_reason_metrics_gives_is_translated_with_its_values(language):
    """Each code of metrics.reasons: English as the catalogue has it, and said in the
    language with every value in place."""
    from i18n import catalogue

    for code, template in TEMPLATES.items():
        assert catalogue("en")["reason." + code] == template, code
        params = {name: f"<{name}>" for name in re.findall(r"(?<!{){(\w+)}(?!})", template)}
        if "month" in params:
            params["month"] = 2
        said = say(Reason(code, **params), language)
        if code != "text":
            assert said != str(Reason(code, **params)), f"{code} is English in {language}"
        for name, value in params.items():
            if name not in ("month_name",):
                assert str(value) in said, (code, name, said)
