"""The manager's report as CSV or XLSX (openpyxl, imported only when a spreadsheet is asked for)."""

import csv
import io

from django.utils.translation import gettext as _

COLUMNS = (
    "day",
    "hour",
    "office",
    "category",
    "service",
    "clerk",
    "tickets",
    "no_show",
    "median_wait_minutes",
    "median_service_minutes",
)


def headings() -> list[str]:
    return [
        _("Day"),
        _("Hour"),
        _("Office"),
        _("Queue"),
        _("Service"),
        _("Clerk"),
        _("Tickets"),
        _("Did not come"),
        _("Median wait (minutes)"),
        _("Median time at the counter (minutes)"),
    ]


def _safe(value):
    # A cell starting with = + - @ would be a formula in a spreadsheet (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def csv_text(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headings())
    for row in rows:
        writer.writerow(["" if row[c] is None else _safe(row[c]) for c in COLUMNS])
    return "\ufeff" + out.getvalue()  # the BOM: spreadsheet programs then read UTF-8


def xlsx(rows: list[dict]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Waits and service times"))
    sheet.append(headings())
    for row in rows:
        sheet.append([_safe(row[c]) for c in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
