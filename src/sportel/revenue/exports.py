"""The collection table as CSV, XLSX or ODS: the same rows and the rate's definition."""

import csv
import io

from django.utils.translation import gettext as _

from .selectors import Row

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


def table(rows: list[Row], total: Row) -> list[list]:
    header = [
        _("Tax or fee"),
        _("Billed (ALL)"),
        _("Collected (ALL)"),
        _("Outstanding (ALL)"),
        _("Rate"),
    ]
    body = [
        [r.label, r.billed, r.collected, r.outstanding, r.rate if r.rate is not None else ""]
        for r in [*rows, Row("total", _("Total"), total.billed, total.collected)]
    ]
    return [header, *body]


def trend_table(trends) -> list[list]:
    """Collection over time, after the year's table: per year of bills, then per month."""
    header = [_("Period"), _("Billed (ALL)"), _("Collected (ALL)"), _("Rate")]
    body = [
        [r.label, r.billed, r.collected, r.rate if r.rate is not None else ""]
        for r in [*trends.years, *trends.months]
    ]
    return [[_("Collection over time")], header, *body]


def render(fmt: str, rows: list[Row], total: Row, definition: str, *, trends=None) -> bytes:
    data = table(rows, total)
    if trends is not None:
        data = [*data, [], *trend_table(trends)]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerows([[str(c) for c in row] for row in data])
        writer.writerow([])
        writer.writerow([definition])
        return out.getvalue().encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        for row in data:
            sheet.append([float(c) if not isinstance(c, str) else c for c in row])
        sheet.append([])
        sheet.append([definition])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    if fmt == "ods":
        from odf.opendocument import OpenDocumentSpreadsheet
        from odf.table import Table, TableCell, TableRow
        from odf.text import P

        doc = OpenDocumentSpreadsheet()
        sheet = Table(name="collection")
        for row in [*data, [], [definition]]:
            tr = TableRow()
            for cell in row:
                if isinstance(cell, str):
                    tc = TableCell(valuetype="string")
                else:
                    tc = TableCell(valuetype="float", value=str(cell))
                tc.addElement(P(text=str(cell)))
                tr.addElement(tc)
            sheet.addElement(tr)
        doc.spreadsheet.addElement(sheet)
        buffer = io.BytesIO()
        doc.write(buffer)
        return buffer.getvalue()
    raise ValueError(fmt)
