"""Every page with a table, at 320 px and 1280 px, in Albanian and English (WCAG 1.4.10 Reflow).

On a phone a table reflows into one block per row, each value under its column's name; on any
screen no word is split across two lines and nothing scrolls sideways. axe-core runs on each.
The pages are found by ``grep -rl "<table" src/sportel/*/templates``; the test below fails when a
template with a table has no page here.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from sportel.services import services, workflow
from sportel.services.models import Case
from tests.services.factories import CitizenFactory, case_in_state, submit

WIDTHS = (320, 768, 1280)
SHOTS = os.environ.get("SPORTEL_SCREENSHOTS", "")  # a folder: keep a full-page PNG of each view
LANGUAGES = ("", "/en")

# A word split mid-word is a word whose glyphs sit on more than one line: measured with a Range
# per word of every text node in every table cell, caption and header. A word ends at a space or
# just after a hyphen ("waste-|tariff" is how any text breaks; "Shërb|imi" is the bug). Long
# machine codes (hashes) are marked .sportel-break-all and may break anywhere: nobody reads them.
SPLIT_WORDS_JS = """
() => {
  const split = [];
  for (const cell of document.querySelectorAll('main table th, main table td, main table caption')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest('.sportel-break-all')) continue;
      const text = node.textContent;
      for (const match of text.matchAll(/[^\\s-]+-*|-+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set();
        for (const rect of range.getClientRects()) {
          if (rect.width > 0) lines.add(Math.round(rect.top));
        }
        if (lines.size > 1) split.push(match[0] + ' (' + lines.size + ' lines)');
      }
    }
  }
  return split;
}
"""


@pytest.fixture
def tables(transactional_db, shkoder, seal_keys, make_staff):
    """A citizen with cases in several states, staff who worked on them, a signed tree head."""
    from sportel.documents.translog import publish_sth
    from sportel.services.catalogue import seed_catalogue

    seed_catalogue(shkoder)
    citizen = CitizenFactory(full_name="Arta Krasniqi-Dervishaj")
    specialist = make_staff(shkoder, "specialist")
    for state, code in [
        (workflow.CLOSED, "tax-clearance-certificate"),
        (workflow.IN_PROGRESS, "public-information-request"),
        (workflow.AWAITING_APPLICANT, "kindergarten-enrolment"),
        (workflow.REJECTED, "economic-assistance"),
    ]:
        case_in_state(
            state, municipality=shkoder, citizen=citizen, specialist=specialist, code=code
        )
    instant = submit(shkoder, citizen, "residence-certificate")
    services.read_case(shkoder, instant.number, actor=specialist)
    bundle = services.open_moving_home_bundle(
        shkoder,
        actor=citizen,
        new_address="Rruga Kolë Idromeno 7, Shkodër",
        has_car=True,
        vehicle_plate="SH123AB",
        consent=True,
    )
    publish_sth()
    waiting = Case.objects.get(municipality=shkoder, status=workflow.AWAITING_APPLICANT)
    case = services.read_case(shkoder, waiting.number, actor=specialist)
    tables = {
        "citizen": citizen,
        "specialist": specialist,
        "case": case,
        "bundle": bundle,
    }
    tables.update(_revenue_tables(shkoder, make_staff))
    tables.update(_revenue_letter_tables(shkoder, tables))
    return tables


def _revenue_tables(shkoder, make_staff) -> dict:
    """Revenue: an assessed year, an imported statement, cash taken today, an overdue bill."""
    from datetime import date

    from sportel.revenue import assessment, fiscal, payments, statements
    from sportel.revenue.models import Demand, Invoice
    from tests.revenue.conftest import camt053, entry, make_person, make_property

    package = fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))
    owner = make_person(shkoder, "Arta", "Krasniqi-Dervishaj")
    make_property(shkoder, [(owner, "1")])
    assessment.run_to_end(assessment.start_run(package).pk)
    invoice = Invoice.objects.get(person=owner)
    Demand.objects.filter(invoice=invoice).update(due_date=date(2025, 9, 30))
    summary = statements.import_camt053(
        shkoder,
        camt053(
            [entry("1000.00", ref=invoice.reference), entry("55.00", name="Pagues i panjohur")]
        ),
    )
    clerk = make_staff(shkoder, "clerk")
    payments.take_cash(shkoder, actor=clerk, invoice=invoice, amount="500", token="tables")
    return {
        "tax_officer": make_staff(shkoder, "tax_officer"),
        "clerk": clerk,
        "statement": summary.statement.pk,
    }


def _revenue_letter_tables(shkoder, tables) -> dict:
    """Revenue's appeals and enforcement: the overdue bill's building tax under appeal, a legal
    step recorded for its cleaning tariff (still on the enforcement list)."""
    from datetime import date
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from sportel.accounts.models import User
    from sportel.revenue import appeals, enforcement
    from sportel.revenue.models import Demand, Invoice

    invoice = Invoice.objects.filter(municipality=shkoder).first()
    owner = invoice.person
    owner.user = User.objects.create_user(
        "arta.tables@test.sportel.al", "x", confirmed_at="2026-01-01T00:00Z"
    )
    owner.save(update_fields=["user"])
    scan = BytesIO()
    Image.new("RGB", (40, 30), "white").save(scan, "PNG")
    demands = Demand.objects.filter(invoice=invoice).order_by("tax_head__priority")
    appeals.file_appeal(
        demands[0],
        actor=owner.user,
        reason="Sipërfaqja e regjistruar është më e madhe se ajo e vërteta.",
        key="tables",
        guarantee=True,
        upload=SimpleUploadedFile("garanci-bankare.png", scan.getvalue(), "image/png"),
    )
    enforcement.record_step(
        demands[1],
        actor=tables["tax_officer"],
        step="bank_freeze",
        taken_on=date(2026, 2, 1),
        reference="Urdhër nr. 123/4",
    )
    return {"demand": demands[1].pk}


def log_in(page, user, *, second_factor: bool = False) -> None:
    """Put a logged-in session (second factor passed for staff) into the browser."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    if second_factor:
        session = client.session
        session["otp_device_id"] = TOTPDevice.objects.get(user=user).persistent_id
        session.save()
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": page.base_url,
            }
        ]
    )


# template → (path, who looks at it) for every template that holds a table.
PAGES = {
    "accounts/accesses.html": ("/account/accesses/", "citizen"),
    "documents/staff_monitor.html": ("/shkoder/staff/documents/", "specialist"),
    "documents/transparency.html": ("/transparency/", "anyone"),
    "services/bundle.html": ("/shkoder/services/moving-home/{bundle}/", "citizen"),
    "services/case.html": ("/shkoder/services/cases/{case}/", "citizen"),
    "services/mine.html": ("/shkoder/services/mine/", "citizen"),
    "services/staff/queue.html": ("/shkoder/staff/cases/", "specialist"),
    "revenue/dashboard.html": ("/shkoder/staff/revenue/?year=2026", "tax_officer"),
    "revenue/statements.html": ("/shkoder/staff/revenue/statements/", "tax_officer"),
    "revenue/statement.html": ("/shkoder/staff/revenue/statements/{statement}/", "tax_officer"),
    "revenue/cash.html": ("/shkoder/staff/revenue/cash/", "clerk"),
    "revenue/arrears.html": ("/shkoder/staff/revenue/arrears/", "tax_officer"),
    "revenue/appeals.html": ("/shkoder/staff/revenue/appeals/", "tax_officer"),
    "revenue/enforcement.html": ("/shkoder/staff/revenue/enforcement/", "tax_officer"),
    "revenue/enforcement_case.html": (
        "/shkoder/staff/revenue/enforcement/{demand}/",
        "tax_officer",
    ),
}


def test_every_template_with_a_table_has_a_page_here():
    src = Path(__file__).parents[2] / "src" / "sportel"
    with_tables = sorted(
        str(path.relative_to(src)).split("templates/", 1)[1]
        for path in src.glob("*/templates/**/*.html")
        if "<table" in path.read_text()
    )
    assert with_tables == sorted({**PAGES, **CHECKED_ELSEWHERE, **REFLOW_NOT_YET_CHECKED})


@pytest.mark.parametrize("template", sorted(PAGES))
def test_table_reflows_without_sideways_scroll_or_split_words(page, accessible, tables, template):
    path, who = PAGES[template]
    path = path.format(
        case=tables["case"].number,
        bundle=tables["bundle"].pk,
        statement=tables["statement"],
        demand=tables["demand"],
    )
    if who != "anyone":
        log_in(page, tables[who], second_factor=who in ("specialist", "tax_officer", "clerk"))
    for prefix in LANGUAGES:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(prefix + path)
            assert page.locator("main table tbody tr").count(), f"no rows on {prefix}{path}"
            if SHOTS:
                name = template.replace("/", "-").removesuffix(".html")
                lang = "en" if prefix else "sq"
                page.screenshot(path=f"{SHOTS}/{name}-{lang}-{width}.png", full_page=True)
            scroll, viewport = page.evaluate(
                "[document.scrollingElement.scrollWidth, window.innerWidth]"
            )
            assert scroll <= viewport, f"{prefix}{path} at {width}px is {scroll}px wide"
            split = page.evaluate(SPLIT_WORDS_JS)
            assert not split, f"{prefix}{path} at {width}px splits words: {split}"
            accessible(page)


# Pages whose tables are checked the same way (320 and 1280 px, both languages, axe, no sideways
# scroll, no split words) by their module's own journeys, with that module's data.
CHECKED_ELSEWHERE = {
    "opendata/dataset.html": "tests/browser/test_opendata.py",
    "opendata/staff_home.html": "tests/browser/test_opendata.py",
    "opendata/staff_upload.html": "tests/browser/test_opendata.py",
}

# Table templates of the modules that landed together in stop 14 whose reflow at 320 px is NOT
# yet checked by this file's test (their journeys cover some of them at 320 px, not with these
# assertions). Listed by name so that none is forgotten: each moves into PAGES, with the module's
# data in the ``tables`` fixture, as its issue (9 reports, 10 floor, 13 participation) goes on.
REFLOW_NOT_YET_CHECKED = {
    "floor/_waits.html": "issue 10",
    "floor/appointments.html": "issue 10",
    "floor/join.html": "issue 10",
    "floor/screen.html": "issue 10 (a 1920×1080 screen; checked there by test_floor.py)",
    "floor/staff/configure_office.html": "issue 10",
    "floor/staff/counter.html": "issue 10",
    "floor/staff/devices.html": "issue 10",
    "floor/staff/status.html": "issue 10",
    "participation/results.html": "issue 13",
    "participation/staff/index.html": "issue 13",
    "reports/_priority_table.html": "issue 9",
    "reports/priorities.html": "issue 9",
    "reports/staff/queue.html": "issue 9",
}
