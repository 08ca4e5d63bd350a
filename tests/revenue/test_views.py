"""The revenue pages as staff and residents see them."""

from decimal import Decimal

import pytest
from django.urls import reverse

from sportel.revenue import ledger
from sportel.revenue.models import AssessmentRun, Invoice, Payment

from .conftest import camt053, entry


def url(name, municipality, **kwargs):
    return reverse(name, kwargs={"municipality_slug": municipality.slug, **kwargs})


@pytest.fixture
def officer(make_staff, shkoder):
    return make_staff(shkoder, "tax_officer")


def test_a_tax_officer_runs_an_assessment_and_sees_progress(
    package, register, shkoder, officer, verified_client, django_capture_on_commit_callbacks
):
    client = verified_client(officer)
    page = client.get(url("revenue-staff:assessment", shkoder))
    assert "Paketa fiskale 2026" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("revenue-staff:assessment", shkoder), {"package": package.pk})
    run = AssessmentRun.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{run.pk}/")
    queued = client.get(response["Location"]).content.decode()
    assert "0 nga 4" in queued and 'data-going="true"' in queued  # followed while it runs
    from django_tasks_db.models import DBTaskResult

    from sportel.revenue.tasks import run_assessment

    assert DBTaskResult.objects.filter(task_path__endswith="run_assessment").count() == 1
    run_assessment.call(run.pk)  # what the worker does with the queued task
    done = client.get(response["Location"]).content.decode()
    assert 'id="run-progress"' in done and "4 nga 4" in done and 'data-going="false"' in done
    dashboard = client.get("/en" + url("revenue-staff:dashboard", shkoder)).content.decode()
    assert "51,600.00" in dashboard and "Collection rate" in dashboard
    assert "divided by what was billed" in dashboard


def test_an_imported_statement_shows_each_match_and_bad_files_post_nothing(
    assessed, register, shkoder, officer, verified_client
):
    client = verified_client(officer)
    reference = Invoice.objects.get(person=register["arta"]).reference
    data = camt053([entry("4820.00", ref=reference), entry("10.00", name="Askush")])
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        url("revenue-staff:statements", shkoder),
        {"file": SimpleUploadedFile("s.xml", data, "application/xml")},
    )
    assert response.status_code == 302
    page_url = response["Location"]
    page = client.get(page_url).content.decode()
    # The match reason in the reader's language: Albanian by default, English under /en/.
    assert f"100 · referenca RF {reference}" in page and "RF reference" not in page
    assert "vetëm emri i paguesit" in page or "nuk u njoh asnjë referencë" in page
    bad = client.post(
        url("revenue-staff:statements", shkoder),
        {"file": SimpleUploadedFile("b.xml", b"<Document>", "application/xml")},
    )
    assert bad.status_code == 400 and "Asgjë nuk u regjistrua" in bad.content.decode()

    again = client.post(
        "/en" + url("revenue-staff:statements", shkoder),
        {"file": SimpleUploadedFile("s.xml", data, "application/xml")},
    )
    assert again.status_code == 400 and "imported before" in again.content.decode()
    queued = Payment.objects.get(status=Payment.Status.UNMATCHED)
    response = client.post(
        url("revenue-staff:queue", shkoder),
        {"payment": queued.pk, "reference": reference},
    )
    assert response.status_code == 302
    assert Payment.objects.get(pk=queued.pk).status == Payment.Status.APPLIED
    line_page = client.get(page_url).content.decode()
    assert f"caktuar me dorë te {reference}" in line_page
    english = client.get("/en" + page_url).content.decode()
    assert f"100 · RF reference {reference}" in english
    assert f"assigned by hand to {reference}" in english


def test_a_clerk_takes_cash_and_closes_the_day(
    assessed, register, shkoder, make_staff, verified_client
):
    clerk = make_staff(shkoder, "clerk")
    client = verified_client(clerk)
    reference = Invoice.objects.get(person=register["arta"]).reference
    bad = client.post(
        url("revenue-staff:cash", shkoder),
        {"reference": reference, "amount": "1.005", "token": "a"},
    )
    assert bad.status_code == 400 and not Payment.objects.exists()
    ok = client.post(
        url("revenue-staff:cash", shkoder), {"reference": reference, "amount": "820", "token": "b"}
    )
    assert ok.status_code == 302
    assert ledger.taxpayer_owed(shkoder, person=register["arta"]) == Decimal("4000.00")
    client.post(url("revenue-staff:cash", shkoder), {"action": "close", "counted": "820"})
    page = client.get(url("revenue-staff:cash", shkoder)).content.decode()
    assert 'id="day-closed"' in page


def test_my_taxes_shows_the_residents_own_bills(assessed, register, shkoder, client):
    from sportel.accounts.models import User

    user = User.objects.create_user("arta@test.sportel.al", "x", confirmed_at="2026-01-01T00:00Z")
    arta = register["arta"]
    arta.user = user
    arta.save(update_fields=["user"])
    client.force_login(user)
    page = client.get(url("revenue:mine", shkoder)).content.decode()
    invoice = Invoice.objects.get(person=arta)
    from sportel.revenue import rf

    assert rf.grouped(invoice.reference) in page
    assert "Taksa mbi ndërtesën" in page and "820,00 lekë" in page
    assert "Besnik" not in page and "Furra" not in page  # only the resident's own bills


def test_arrears_show_penalties_and_reminder_levels(assessed, register, shkoder):
    from datetime import date

    from sportel.revenue import selectors

    # Due 30.09.2026; on 30.12.2026 Arta's 4 820 ALL is 91 days late: 4 820 × 0.06 % × 91.
    rows = selectors.arrears(shkoder, date(2026, 12, 30))
    arta = next(r for r in rows if r.invoice.person == register["arta"])
    assert (arta.outstanding, arta.days_late, arta.level) == (Decimal("4820.00"), 91, 2)
    assert arta.penalty == Decimal("263.17")
    assert selectors.arrears(shkoder, date(2026, 9, 30)) == []
    later = selectors.arrears(shkoder, date(2028, 9, 30))
    assert next(r for r in later if r.invoice.person == register["arta"]).penalty == Decimal(
        "1055.58"
    )  # capped at 365 days


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_the_collection_table_exports(assessed, shkoder, officer, verified_client, fmt):
    client = verified_client(officer)
    response = client.get(url("revenue-staff:export", shkoder, fmt=fmt) + "?year=2026")
    assert response.status_code == 200
    body = response.content
    if fmt == "csv":
        text = body.decode()
        assert (
            "Taksa mbi ndërtesën" in text and "51600.00" in text and "Shkalla e arkëtimit" in text
        )
    elif fmt == "xlsx":
        import io

        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(body)).active
        assert sheet["A2"].value == "Taksa mbi ndërtesën" and sheet["B2"].value == 8600.0
    else:
        assert body[:2] == b"PK" and b"opendocument.spreadsheet" in body[:200]
