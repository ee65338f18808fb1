"""Why a file, a profile or a period was refused, as data a reader in any language can be
given: a stable code, the values the sentence quotes, and its English wording.

metrics/ speaks no language but English and imports nothing of the web layer; the web
layer says a Reason in the reader's language through its code (the message key
"reason.<code>" of i18n/, whose English text is the template here: a test keeps the two
equal). A Reason is a str, so code that only logs, audits or compares English text reads
it as it always did.
"""
from __future__ import annotations

from typing import Any

TEMPLATES: dict[str, str] = {
    # -- periods and dates (metrics.periods, metrics.imports.parse_period) -----------------------------
    "period.not_a_date": "{text} is not a date in the form YYYY-MM-DD",
    "period.no_month": "{text} is not a real date: there is no month {month}",
    "period.short_month": "{text} is not a real date: {month_name} {year} has {days} days",
    "period.no_week": "{text} is not a real week: {year} has {weeks} ISO weeks",
    "period.month_range": "{text} is not a real month: months run 01 to 12",
    "period.quarter_range": "{text} is not a real quarter: quarters run Q1 to Q4",
    "period.unreadable": "{text} is not a period; write a day 2024-03-05, a week 2024-W10, a month 2024-03, "
                         "a quarter 2024-Q1 or FY2024-Q1, a fiscal year FY2024 or a year 2024",
    "period.excel": "{text} is not an Excel date number",
    "period.format": "{text} does not match the date format {format}",
    "period.ambiguous": "{text} could be day/month or month/day; set \"period_format\" in the profile "
                        "(for example %m/%d/%Y)",
    "period.not_real": "{text} is not a real date",
    "period.off_calendar": "{text} is not on the city's fiscal calendar (fiscal years start in month {month}); "
                           "write it as {label}",
    # -- import profiles (metrics.profiles) ---------------------------------------------------------------
    "profile.not_object": 'a profile is a JSON object such as {{"shape": "long", "columns": {{...}}}}',
    "profile.unknown_key": "unknown key {key}; known keys are {known}",
    "profile.shape": '"shape" must be "long" or "wide"',
    "profile.values": '"values" must be an object of value maps, "missing" and "percent"',
    "profile.value_map": '"values.{name}" must map source words to model words for a field',
    "profile.value_word": '"values.{name}": {word} is not one of {allowed}',
    "profile.missing": '"values.missing" must be a list of words such as ["NA", "N/A"]',
    "profile.percent": '"values.percent" must be one of {allowed}',
    "profile.encoding": '"encoding" must be one of {allowed}',
    "profile.delimiter": '"delimiter" must be one character such as "," or ";" (or leave it out to detect)',
    "profile.decimal": '"decimal" must be "." or ","',
    "profile.on_error": '"on_error" must be "reject" or "skip"',
    "profile.header_row": '"header_row" must be a row number from 1 to 100',
    "profile.period_format": '"period_format" must be a date format such as "%m/%d/%Y", or "excel" for serial '
                             'numbers',
    "profile.kpi_column": '"columns" must name "kpi_id" (or "kpi_name", from which ids are made)',
    "profile.long_period": 'a long profile needs "columns.period"',
    "profile.long_value": 'a long profile needs "columns.value" (or target columns for a targets-only file)',
    "profile.target_pair": '"target_low" and "target_high" come together',
    "profile.columns": '"columns" must be an object mapping fields to column names',
    "profile.not_a_field": '"columns.{name}" is not a field; fields are {fields}',
    "profile.column_source": '"columns.{name}" must be a column name, {{"value": ...}} or '
                             '{{"template": "{{A}}/{{B}}"}}',
    "profile.wide_only": '"wide" rules belong to a wide profile',
    "profile.wide_needed": 'a wide profile needs "wide": [{{"pattern": "^FY (\\\\d{{2}}) Actual$", '
                           '"period": "FY20{{1}}", "kind": "actual"}}]',
    "profile.wide_rule": 'wide rule {number} needs "pattern", "period" and "kind"',
    "profile.wide_pattern": "wide rule {number}: the pattern is not a regular expression ({problem})",
    "profile.wide_kind": 'wide rule {number}: "kind" must be one of {allowed} (or a map to them)',
    "profile.wide_group": 'wide rule {number}: "period" uses a group the pattern does not have',
    # -- reading a file (metrics.sources) -----------------------------------------------------------------
    "file.empty": "The file is empty.",
    "file.binary": "The file looks binary, not like a CSV or XLSX export. Export the table as CSV (UTF-8) or "
                   "XLSX and try again.",
    "file.mixed_encodings": "The file mixes encodings: some lines are UTF-8 and others are not (for example "
                            "cp1252). Save it again from the spreadsheet as CSV UTF-8, or name the encoding in "
                            "the profile if you are sure of it.",
    "file.bad_encoding": "The file is not valid {encoding} (byte {byte}); save it as UTF-8 or name its encoding "
                         "in the profile.",
    "file.no_header": "The file has no header row.",
    "file.few_rows": "The file has fewer than {rows} rows.",
    "file.too_wide": "The file has {count} columns; CityStat reads at most {limit}.",
    "file.not_a_table": "The file could not be read as a table with {delimiter} between cells: {problem}. "
                        "Check that every row has as many cells as the header.",
    "file.too_long": "The file has {rows} rows; CityStat imports at most {limit} at a time.",
    "file.zip_not_xlsx": "The file is a zip archive but not an Excel workbook (.xlsx).",
    "file.xlsx_too_big": "The workbook would unpack to {size} MB; the limit is {limit} MB.",
    "file.zip_bomb": "The workbook is compressed suspiciously tightly (a zip bomb?) and was not opened.",
    "file.bad_xlsx": "The file claims to be a workbook but is not a valid .xlsx (a damaged or truncated zip).",
    "file.xlsx_unopened": "The workbook could not be opened: {problem}",
    "file.no_sheets": "The workbook has no sheets.",
    "file.no_sheet": "The workbook has no sheet {sheet}; its sheets are {sheets}.",
    "file.empty_sheet": "The sheet {sheet} is empty.",
    "file.sheet_few_rows": "The sheet {sheet} has fewer than {rows} rows.",
    "file.sheet_too_wide": "The sheet has {count} columns; CityStat reads at most {limit}.",
    "file.sheet_too_long": "The sheet has {rows} rows; CityStat imports at most {limit} at a time.",
    # -- an import's file against its profile, and its rows (metrics.imports) ----------------------------
    "import.no_rows": "The file has a header but no rows of data.",
    "import.no_column": '"columns.{name}" names the column {column}, which the file does not have',
    "import.no_template_column": 'the template of "columns.{name}" names the column {column}, which the file '
                                 'does not have',
    "import.no_wide_column": "no column of the file matches the profile's wide patterns; the file's columns "
                             "are: {headers}",
    "import.columns_are": "the file's columns are: {headers}",
    "import.delimiter_hint": "the file's columns are: {headers}; the file seems to put {delimiter} between "
                             "cells: set \"delimiter\" to it",
    "import.not_a_category": '{value} is not a {name}; use one of {allowed} (or map it in "values.{name}")',
    "import.tolerance": "tolerance {value} is not a number such as 0.1 or 10%",
    "import.lag": "lag {value} is not a number of days",
    "import.yes_no": "{name} {value} is not yes or no",
    "import.no_goal": "goal {goal} does not exist; add a goal title column to create it",
    "import.not_yours": "KPI {kpi} belongs to department {department}, which is not one of yours",
    "import.unknown_kpi": "unknown KPI {kpi}, and the file gives no name to create it",
    "import.goal_archived": "goal {goal} is archived: choose a live goal, or restore it on the Goals page",
    "import.archived": "KPI {kpi} is archived: restore it on its edit page before loading values or targets",
    "import.needs_frequency": "new KPI {kpi} needs a frequency (a column, or a constant in the profile)",
    "import.no_kpi": "no KPI id on this row",
    "import.no_period": "no period on this row",
    "import.wrong_frequency": "{period} is a {period_frequency} period but the KPI is {frequency}",
    "import.not_a_number": "not a number",
    "import.percent_sign": "has a % sign but the KPI's unit is {unit}",
    "import.computed": "the KPI is computed from raw data by its SQL definition: its values come from there, "
                       "not from files (its targets can be imported)",
    "import.target_range": "the low end of the target range is above the high end",
    "import.target_half_band": "a target band needs both its low and its high end",
    "import.repeated": "the same KPI, period and breakdown has a different value on line {lines}",
    "import.no_import": "There is no import {batch}.",
    "import.not_an_import": "Batch {batch} is a {kind}, not an import; it cannot be reverted here.",
    "import.reverted": "Import {batch} was already reverted.",
    # -- raw datasets (metrics.dataset_profiles, metrics.datasets) ---------------------------------------
    "dataset.not_object": "the dataset profile must be a JSON object",
    "dataset.unknown_fields": "unknown profile fields: {fields} (use name, mode, encoding, delimiter, columns)",
    "dataset.name": "name {name} must be 1 to 48 lower-case letters, digits or _, starting with a letter (it "
                    "becomes the table's name in KPI definitions), and not a system name",
    "dataset.mode": "mode {mode} must be append or replace",
    "dataset.encoding": "encoding {encoding} must be auto, utf-8, utf-16, cp1252 or latin-1",
    "dataset.delimiter": "delimiter must be one character, or null to detect it",
    "dataset.columns": 'columns must map column names to {{"type": ..., "format": ...}}',
    "dataset.column_type": "column {column}: type must be one of {types}",
    "dataset.column_format": "column {column}: a format (strftime codes such as %m/%d/%Y) is for date and "
                             "timestamp columns",
    "dataset.column_keys": "column {column}: only type and format can be given",
    "dataset.bad_cell": "not a {type} in the format {format}",
    "dataset.not_csv": "the file could not be read as CSV: {problem}",
    "dataset.header": "the file needs a header row and at most {limit} columns",
    "dataset.missing_columns": "the profile names columns the file does not have: {missing}; the file's "
                               "columns are {columns}",
    "dataset.unreadable": "the file could not be read: {problem}. If a column holds text after rows of numbers, "
                          "give it \"type\": \"text\" in the profile's columns.",
    "dataset.bad_cells": "{total} cells do not match their column's format",
    "dataset.columns_differ": "the file's columns ({incoming}) differ from the dataset's ({have}); load it with "
                              "\"mode\": \"replace\" or fix the file",
    "dataset.no_rows": "the file has a header but no rows of data",
    "dataset.no_load": "there is no load {batch} that can be reverted",
    "dataset.later_load": "load {later} came after this replace; revert it first",
    "dataset.unknown": "there is no dataset {name}",
    # -- a computed KPI's SQL definition (metrics.kpi_sql, metrics.computed) ----------------------------
    "definition.does_not_run": "The definition does not run: {problem}",
    "definition.extra_columns": "Unexpected output column(s) {columns}: a definition returns only {allowed} "
                                "(rename with AS, or drop them).",
    "definition.no_period": "The definition must return a column named period (e.g. date_trunc('month', "
                            "created) AS period).",
    "definition.value_and_ratio": "Return either value, or numerator and denominator, not both.",
    "definition.no_value": "The definition must return value, or both numerator and denominator.",
    "definition.empty": "The definition is empty: write a SELECT that returns period and value.",
    "definition.too_long": "The definition is {length} characters long; the limit is {limit}.",
    "definition.not_sql": "The definition is not valid SQL: {problem}",
    "definition.statements": "The definition holds {count} statements; a KPI definition is a single SELECT "
                             "(remove everything after the first semicolon).",
    "definition.not_select": "A KPI definition is a single SELECT; this is a {kind} statement, which cannot "
                             "change data or settings here.",
    "definition.unchecked": "The definition cannot be checked: {problem}. Write it as a plain SELECT ... FROM "
                            "dataset.",
    "definition.one_select": "A KPI definition is a single SELECT statement.",
    "definition.table_function": "Table functions such as {name}() are not allowed in a KPI definition: read "
                                 "from the datasets by name (FROM dataset).",
    "definition.describe": "DESCRIBE, SHOW and SUMMARIZE are not allowed in a KPI definition.",
    "definition.parameters": "A KPI definition cannot take parameters ($1, ?): write the values in.",
    "definition.schema": "{table} is not a dataset: name datasets without a schema (available: {datasets}).",
    "definition.file_path": "{table} is a file path: a KPI definition can read only the datasets {datasets}.",
    "definition.not_a_dataset": "{table} is not a dataset: a KPI definition can read only the datasets "
                                "{datasets}.",
    "definition.no_datasets": "(none loaded yet)",
    "definition.none": "none",
    "definition.no_kpi": "There is no KPI {kpi}: create the KPI first, then give it a definition.",
    "definition.needs_frequency": "A computed KPI needs a frequency, one of {allowed}; got {value}.",
    "definition.kpi_does_not_run": "The definition of {kpis} does not run: {problem}",
    "definition.period_type": "period is {types}, not a date: return a DATE or TIMESTAMP, e.g. "
                              "date_trunc('month', created) AS period.",
    "definition.repeated": "{count} row(s) repeat a {unit} already returned (first: {where}): the KPI is "
                           "{frequency}, so return one row per {unit}.{fiscal}",
    "definition.repeated_member": "{count} row(s) repeat a {unit} and member already returned (first: {where}): "
                                  "the KPI is {frequency}, so return one row per {unit} and member.{fiscal}",
    "definition.where_member": "{label}, member {member}",
    "definition.fiscal_hint": " Fiscal years start in month {month}: group by the {unit} holding each date, not "
                              "the calendar one.",
    "definition.off_start": "{count} period(s) are not the first day of a {unit} (e.g. {shown}); each is counted "
                            "in the {unit} holding it ({label}).",
    "definition.no_period_rows": "{count} row(s) have no period and are left out (filter them with WHERE ... IS "
                                 "NOT NULL).",
    "definition.no_value_rows": "{count} row(s) have no value and are left out.",
    "definition.no_rows": "The definition returns no rows yet.",
    "definition.no_city_wide": "Every row has a member, so the KPI has no city-wide value: add it as rows with "
                               "member NULL, e.g. GROUP BY GROUPING SETS ((period, member), (period)).",
    "unit.day": "day",
    "unit.week": "week",
    "unit.month": "month",
    "unit.quarter": "quarter",
    "unit.year": "year",
    # -- anything else: its own words, not translated ----------------------------------------------------
    "text": "{text}",
}


class Reason(str):
    """An English sentence (TEMPLATES[code] with `params`) that also carries `code` and
    `params`. Params are the values as the sentence shows them (texts already quoted,
    numbers already written), or Reasons themselves."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, /, **params: Any) -> "Reason":
        return cls.worded(code, TEMPLATES[code].format(**params), **params)

    @classmethod
    def worded(cls, code: str, text: str, /, **params: Any) -> "Reason":
        """A Reason whose English the caller words (the web layer's own codes)."""
        reason = super().__new__(cls, text)
        reason.code, reason.params = code, params
        return reason

    def __reduce__(self):
        # copy, deepcopy (dataclasses.asdict) and pickle rebuild it whole
        return (_rebuild, (self.code, str(self), self.params))


def _rebuild(code: str, text: str, params: dict[str, Any]) -> Reason:
    return Reason.worded(code, text, **params)


def reason_of(error: BaseException) -> Reason:
    """The Reason an exception was raised with, or its text as an untranslated Reason."""
    first = error.args[0] if len(error.args) == 1 else None
    return first if isinstance(first, Reason) else Reason("text", text=str(error))
