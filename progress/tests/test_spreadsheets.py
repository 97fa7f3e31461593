"""What every spreadsheet download does to a cell: text made inert, figures left as figures."""

import io
from datetime import date
from decimal import Decimal

from openpyxl import load_workbook

from progress.spreadsheets import spreadsheet_cell, xlsx_response


def test_figures_dates_and_blanks_stay_as_they_are():
    for value in (Decimal("-1.5"), -3, 2.25, date(2025, 3, 3), None, "-0.25", "85", "Ann Smith"):
        assert spreadsheet_cell(value) == value


def test_text_gets_a_single_quote_wherever_a_spreadsheet_could_start_a_formula():
    assert spreadsheet_cell("=1+1") == "'=1+1"
    assert spreadsheet_cell("-2+3") == "'-2+3"
    assert spreadsheet_cell(' "=1+1') == "' \"=1+1"
    assert spreadsheet_cell("Ann;=4+5") == "Ann;'=4+5"
    assert spreadsheet_cell("Bo, @SUM(A1)") == "Bo,' @SUM(A1)"
    assert spreadsheet_cell("Cy\n+1") == "Cy\n'+1"
    assert spreadsheet_cell("Well-known, e-mail; a@b") == "Well-known, e-mail; a@b"


def test_negative_figures_stay_numeric_cells_in_xlsx_and_text_stays_text():
    response = xlsx_response(
        filename="scores.xlsx",
        sheet_title="Scores",
        header=["Learner", "Score"],
        rows=[["-2+3", Decimal("-1.5")], ["=1+1", -3], ["Bo, -2 marks; =a", 0]],
    )

    sheet = load_workbook(io.BytesIO(response.content))["Scores"]

    assert [(cell.value, cell.data_type) for cell in sheet["B"][1:]] == [
        (-1.5, "n"),
        (-3, "n"),
        (0, "n"),
    ]
    assert [(cell.value, cell.data_type) for cell in sheet["A"][1:]] == [
        ("'-2+3", "s"),
        ("'=1+1", "s"),
        # One cell that nothing splits: text after a comma is left as it was written.
        ("Bo, -2 marks; =a", "s"),
    ]
