"""CSV exports: cells a spreadsheet would run as formulas are neutralised, numbers stay numbers."""
from __future__ import annotations

import csv
import io

import pytest

from web.exports import FORMULA_STARTS, csv_text, neutralise


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx", "=HYPERLINK(\"http://x\")"])
def test_text_that_starts_like_a_formula_is_prefixed(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["plain note", "a = b", "", "'already quoted", 5, -5, -0.25, 1e9, None])
def test_everything_else_is_left_alone(value):
    assert neutralise(value) == value


def test_every_dangerous_start_is_covered():
    assert set(FORMULA_STARTS) == {"=", "+", "-", "@", "\t", "\r"}


def test_csv_keeps_numbers_as_numbers_and_neutralises_text():
    text = csv_text(["period", "value", "note"], [
        {"period": "2024-03", "value": -12.5, "note": "=cmd|' /C calc'!A0"},
        {"period": "2024-04", "value": 1297.0, "note": None},
        {"period": "2024-05", "value": None, "note": "-fell, then rose"},
    ])
    assert text.splitlines()[1].startswith("2024-03,-12.5,")   # the negative number is not quoted
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["period", "value", "note"]
    assert rows[1] == ["2024-03", "-12.5", "'=cmd|' /C calc'!A0"]
    assert rows[2] == ["2024-04", "1297", ""]
    assert rows[3] == ["2024-05", "", "'-fell, then rose"]
    assert text.endswith("\r\n")
