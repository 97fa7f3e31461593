"""Downloads for spreadsheets (CSV and XLSX) that no spreadsheet runs as formulas.

Names, emails, quiz titles and question texts come from learners and authors; a
spreadsheet that opens the file must show them, never run them. Every cell of every
download goes through ``spreadsheet_cell``, following OWASP's advice on CSV injection
(https://owasp.org/www-community/attacks/CSV_Injection): quote every cell, double the
quotes inside, and put a single quote before text that starts with =, +, -, @, a tab or
a carriage return. OWASP also warns that a separator or a quote inside a cell can start
a new cell with the trigger in it, as when a spreadsheet set to ";" opens a file written
with ","; so a single quote also goes before a trigger that follows a separator or a
line break.
"""

import csv
import io
import re

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.functional import Promise
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# A spreadsheet starts a cell at the start of the text and, read with another separator
# than it was written with (or line by line), after any separator or line break; blanks
# and quotes may stand before the trigger. Each such place gets a single quote.
_FORMULA_START = re.compile(r"(?:^|(?<=[,;\t\r\n]))(?=[ \"]*[=+\-@\t\r])")
# An XLSX cell is never split: only its start can make it a formula.
_FORMULA_AT_START = re.compile(r"^(?=[ \"]*[=+\-@\t\r])")
# A figure written as text ("-0.25" in the statistics) is read as a number, never as a
# formula: it stays as it is so that it can still be added up.
_PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def spreadsheet_cell(value, *, split: bool = True):
    """``value`` as a download holds it: numbers, dates and blanks unchanged; text made
    inert wherever a spreadsheet could start a formula from it. ``split``: the cell is text
    a spreadsheet may cut at separators (CSV), not a cell of its own (XLSX)."""
    if isinstance(value, Promise):
        value = str(value)  # a translated label, in the language of the request
    if not isinstance(value, str) or _PLAIN_NUMBER.fullmatch(value):
        return value
    return (_FORMULA_START if split else _FORMULA_AT_START).sub("'", value)


class _Echo:
    """A file-like object whose write() hands back the line, for csv.writer in a stream."""

    def write(self, value):
        return value


def csv_response(*, filename: str, header: list, rows) -> StreamingHttpResponse:
    """A CSV download streamed row by row (``rows`` may be a generator), every cell quoted."""
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)

    def lines():
        # The byte-order mark tells Excel the file is UTF-8.
        yield "\ufeff" + writer.writerow([spreadsheet_cell(cell) for cell in header])
        for cells in rows:
            yield writer.writerow([spreadsheet_cell(cell) for cell in cells])

    return StreamingHttpResponse(
        lines(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _xlsx_cell(value):
    value = spreadsheet_cell(value, split=False)
    # XLSX cannot hold control characters: openpyxl refuses the whole file for one.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def xlsx_response(*, filename: str, sheet_title: str, header: list, rows) -> HttpResponse:
    """An XLSX download of one sheet, its first row and column kept in view."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.freeze_panes = "B2"
    sheet.append([_xlsx_cell(cell) for cell in header])
    for cells in rows:
        sheet.append([_xlsx_cell(cell) for cell in cells])
    content = io.BytesIO()
    workbook.save(content)
    return HttpResponse(
        content.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
