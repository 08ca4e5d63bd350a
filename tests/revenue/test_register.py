"""Importing the register of properties and owners, row by row."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook

from sportel.core.identifiers import with_check_letter
from sportel.core.models import Person
from sportel.revenue import register
from sportel.revenue.models import Ownership, Property

HEADER = ",".join(register.COLUMNS)
NID = with_check_letter("J85101234")
NIPT = with_check_letter("L71234567")


@pytest.fixture
def officer(make_staff, shkoder):
    return make_staff(shkoder, "tax_officer")


def csv_of(*rows) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def test_good_rows_are_kept_and_bad_rows_reported_with_their_number(shkoder, officer):
    data = csv_of(
        f"person,{NID},Arta,Kola,,8601,1/23,70,residential,2005,0.5,Rruga 1",
        f"person,{with_check_letter('J85101235')},Ilir,Kola,,8601,1/23,70,residential,2005,0.5,",
        f"business,{NIPT},,,Furra Rozafa,8602,2/7,50,economic,,1,",
        f"person,{NID},Arta,Kola,,8601,1/23,70,residential,2005,0.5,Rruga 1",  # a repeat
        "person,J1,Pa,Numer,,8601,3/1,70,residential,,1,",  # bad NID
        f"person,{NID},Arta,Kola,,8601,4/4,-3,garden,1500,2,",  # several mistakes
        f"person,{with_check_letter('J85101236')},Tjeter,Pronar,,8601,1/23,70,residential,,0.2,",
    )
    report = register.import_register(shkoder, data, "register.csv", actor=officer)
    assert (report.created, report.unchanged) == (3, 1)
    rows = dict(report.errors)
    assert set(rows) == {6, 7, 8}
    assert len(rows[7]) == 4  # area, use, share and year, all at once
    assert "do të kalonin 1" in rows[8][0]
    assert Property.objects.count() == 2
    assert Person.objects.filter(nid=NID).count() == 1  # found again by NID, not doubled
    assert Ownership.objects.get(person__nid=NID).share == Decimal("0.5")


def test_xlsx_works_the_same(shkoder, officer):
    book = Workbook()
    sheet = book.active
    sheet.append(list(register.COLUMNS))
    sheet.append(
        ["person", NID, "Arta", "Kola", "", "8601", "9/9", 82.5, "residential", 1999, 1, ""]
    )
    import io

    buffer = io.BytesIO()
    book.save(buffer)
    report = register.import_register(shkoder, buffer.getvalue(), "r.xlsx", actor=officer)
    assert report.created == 1 and not report.errors
    assert Property.objects.get().area_m2 == Decimal("82.50")


def test_only_the_tax_office_imports(shkoder, make_staff):
    with pytest.raises(PermissionDenied):
        register.import_register(shkoder, csv_of(), "r.csv", actor=make_staff(shkoder, "clerk"))
