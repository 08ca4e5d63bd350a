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
    tables.update(_participation_tables(shkoder, make_staff))
    tables.update(_floor_tables(shkoder, tables))
    tables.update(_reports_tables(shkoder, make_staff))
    tables.update(_costing_tables(shkoder))
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
    from sportel.revenue import penalties

    penalties.accrue_taxpayer(shkoder, on=date(2026, 12, 1), person=owner)
    from tests.revenue.conftest import make_business

    make_business(shkoder, "Shoqëria Tregtare Ndërtimore Rozafa-Bunë shpk").representatives.add(
        owner
    )
    return {"demand": demands[1].pk, "bill": invoice.reference}


def _participation_tables(shkoder, make_staff) -> dict:
    """Participation: a closed budget with its published result, and its organiser (a manager)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from sportel.accounts.models import User
    from sportel.core.identifiers import with_check_letter
    from sportel.core.models import Person
    from sportel.participation import services as participation
    from sportel.participation.models import Budget, Project

    start = timezone.now() - timedelta(days=20)
    budget = Budget.objects.create(
        municipality=shkoder,
        slug="bp-tables",
        title="Buxheti me pjesëmarrje i njësisë administrative Rrethina",
        amount=Decimal(10_000_000),
        information_starts=start - timedelta(days=30),
        proposals_start=start - timedelta(days=20),
        review_starts=start - timedelta(days=10),
        voting_starts=start,
        voting_ends=start + timedelta(days=14),
        implementation_starts=start + timedelta(days=60),
    )
    projects = [
        Project.objects.create(
            budget=budget,
            number=number,
            title=title,
            cost=Decimal(cost),
            review=Project.Review.FEASIBLE,
        )
        for number, (title, cost) in enumerate(
            (
                ("Ndriçimi i rrugës së shkollës me llamba LED të kursyeshme", 4_000_000),
                ("Rikonstruksioni i këndit të lojërave për fëmijët", 6_500_000),
                ("Pastrimi i kanaleve kulluese në fshatrat përreth", 2_500_000),
            ),
            start=1,
        )
    ]
    for n, chosen in enumerate(([0, 2], [1], [1, 2], [0], [2]), start=1):
        nid = with_check_letter(f"K{n:06d}07")
        voter = User.objects.create_user(
            f"votues{n}@test.sportel.al",
            password="a-long-test-password",
            full_name=f"Votues {n}",
            nid=nid,
            nid_verified=True,
            nid_verified_via="counter",
            confirmed_at="2026-01-01T00:00:00Z",
        )
        Person.objects.create(municipality=shkoder, nid=nid, first_name="Votues", last_name=str(n))
        participation.cast_ballot(
            budget,
            voter=voter,
            projects=[projects[i].pk for i in chosen],
            now=start + timedelta(days=1),
        )
    participation.publish_result(budget, actor="system")
    return {"manager": make_staff(shkoder, "manager")}


def _floor_tables(shkoder, tables) -> dict:
    """Floor: an office with queues, the clerk at counter 1 with tickets waiting (one a
    priority), a ticket served, the citizen's appointment, a kiosk whose token the path names.
    The clerk also holds the manager and administrator roles, for the office status and the
    set-up pages (the staff keys with a passed second factor are the ones log_in names)."""
    import datetime as dt

    from django.utils import timezone

    from sportel.accounts.models import StaffRole
    from sportel.floor import selectors as floor_selectors
    from sportel.floor import services as floor
    from sportel.floor.models import Device
    from tests.floor.factories import category, counter, make_office

    clerk = tables["clerk"]
    for role in ("manager", "administrator"):
        StaffRole.objects.create(user=clerk, municipality=shkoder, role=role)
    office = make_office(shkoder)
    civil = category(office, "A")
    floor.open_session(counter(office, 1), actor=clerk)
    floor.issue_ticket(office, category=civil, channel="kiosk")
    served = floor.issue_ticket(office, category=civil, channel="reception", priority="elderly")
    floor.call(served, actor=clerk, counter=counter(office, 1))
    floor.issue_ticket(office, category=civil, channel="kiosk", priority="disability")
    floor.issue_ticket(office, category=civil, channel="online")
    Device.objects.create(
        municipality=shkoder,
        office=office,
        kind=Device.Kind.KIOSK,
        name="Kioska e hyrjes në sallën e pritjes",
        token_hash=Device.hash_token("tables-kiosk"),
        token_hint="tables",
        functions=list(Device.Function.values),
    )
    Device.objects.create(
        municipality=shkoder,
        office=office,
        kind=Device.Kind.SCREEN,
        name="Ekrani i sallës",
        token_hash=Device.hash_token("tables-screen"),
        token_hint="tables",
    )
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    slot = floor_selectors.slots(civil, tomorrow)[0]
    floor.book_appointment(civil, slot_start=slot, user=tables["citizen"])
    return {}


def _reports_tables(shkoder, make_staff) -> dict:
    """Reports: the Dajç channel reported twice and funded, a road report in the queue, a
    routing rule, an area weight and a ban; the settings' administrator."""
    from datetime import date

    from sportel.core.models import AdministrativeUnit
    from sportel.reports import configuration, services
    from sportel.reports.catalogue import load_categories
    from sportel.reports.models import AreaWeight, Category

    load_categories(shkoder)
    administrator = make_staff(shkoder, "administrator")
    manager = make_staff(shkoder, "manager")
    dajc = AdministrativeUnit.objects.get(municipality=shkoder, slug="dajc")
    channel = Category.objects.get(municipality=shkoder, code="irrigation-channel")
    road = Category.objects.get(municipality=shkoder, code="pothole")
    place = services.parse_place(shkoder, unit="dajc", address="Kanali pranë shkollës")
    first = None
    for email in ("arta@dajc.al", "gjon@dajc.al"):
        filed = services.file_report(
            shkoder,
            category=channel,
            place=place,
            description="Kanali është bllokuar.",
            answers={"channel_type": "secondary"},
            email=email,
            confirmed=True,
        ).report
        first = first or filed
    services.record_funding(
        first.cluster,
        actor=manager,
        amount="1850000",
        budget_line="06.2.1 Ujitje dhe kullim",
        decision_number="112",
        decision_date=date(2026, 3, 10),
    )
    services.file_report(
        shkoder,
        category=road,
        place=services.parse_place(shkoder, unit="velipoje", address="Rruga e plazhit"),
        description="Gropë e thellë në mes të rrugës.",
        email="pjeter@velipoje.al",
        confirmed=True,
    )
    configuration.add_route(
        shkoder, actor=administrator, category=channel, unit=dajc.pk, team="Skuadra e Dajçit"
    )
    AreaWeight.objects.filter(unit=dajc).delete()
    configuration.set_area_weight(
        shkoder, actor=administrator, unit=dajc.pk, weight="1.25", reason="Zonë që përmbytet"
    )
    configuration.ban(
        shkoder,
        actor=administrator,
        kind="email",
        value="spam.i.perseritur@shembull.al",
        reason="Qindra raporte të rreme",
    )
    # The channel's questions: one retired (its own table), one answer of a list retired.
    from sportel.reports.models import CategoryAttribute

    CategoryAttribute.objects.filter(category=channel, code="length_m").update(is_active=False)
    kind = CategoryAttribute.objects.get(category=channel, code="channel_type")
    kind.values[2]["retired"] = True
    kind.save(update_fields=["values"])
    return {"administrator": administrator, "channel_category": channel.pk, "question": kind.pk}


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
    "participation/results.html": ("/shkoder/participation/budgets/bp-tables/results/", "anyone"),
    "participation/staff/index.html": ("/shkoder/staff/participation/", "manager"),
    "reports/_priority_table.html": ("/shkoder/reports/priorities/", "anyone"),
    "reports/priorities.html": ("/shkoder/reports/priorities/", "anyone"),
    "reports/staff/queue.html": ("/shkoder/staff/reports/", "specialist"),
    "reports/staff/configure.html": ("/shkoder/staff/reports/configure/", "administrator"),
    "reports/staff/configure_routing.html": (
        "/shkoder/staff/reports/configure/routing/",
        "administrator",
    ),
    "reports/staff/configure_weights.html": (
        "/shkoder/staff/reports/configure/weights/",
        "administrator",
    ),
    "reports/staff/configure_bans.html": (
        "/shkoder/staff/reports/configure/bans/",
        "administrator",
    ),
    "reports/staff/configure_category.html": (
        "/shkoder/staff/reports/configure/categories/{channel_category}/",
        "administrator",
    ),
    "reports/staff/configure_question.html": (
        "/shkoder/staff/reports/configure/categories/{channel_category}/questions/{question}/",
        "administrator",
    ),
}
PAGES.update(
    {
        "floor/_waits.html": ("/shkoder/floor/kiosk/tables-kiosk/", "anyone"),
        "floor/appointments.html": ("/shkoder/floor/appointments/", "citizen"),
        "floor/join.html": ("/shkoder/floor/join/", "citizen"),
        "floor/staff/configure_office.html": (
            "/shkoder/staff/floor/configure/zyra-qendrore/",
            "clerk",
        ),
        "floor/staff/counter.html": ("/shkoder/staff/floor/counter/", "clerk"),
        "floor/staff/devices.html": ("/shkoder/staff/floor/devices/", "clerk"),
        "floor/staff/status.html": ("/shkoder/staff/floor/offices/zyra-qendrore/", "clerk"),
    }
)
PAGES.update(
    {
        "revenue/costing_list.html": ("/shkoder/staff/revenue/costing/", "tax_officer"),
        "revenue/costing.html": ("/shkoder/staff/revenue/costing/{costing}/", "tax_officer"),
    }
)
PAGES.update(
    {
        # The collection trends (per year and per month) printed beside their charts.
        "revenue/_trend_table.html": ("/shkoder/staff/revenue/?year=2026#trends", "tax_officer"),
    }
)
PAGES.update(
    {
        # A bill with its late-payment penalty booked (decision 0031).
        "revenue/bill.html": ("/shkoder/staff/revenue/bills/{bill}/", "tax_officer"),
        # A business's representative added the old way, awaiting review (decision 0031).
        "revenue/representatives.html": (
            "/shkoder/staff/revenue/representatives/",
            "tax_officer",
        ),
    }
)


def _costing_tables(shkoder) -> dict:
    """Revenue's tariff costing: the cleaning tariff's 2027 plan with long cost names, the
    ledger's 2026 rate (from _revenue_tables' assessment and payments), 100 % and two rates."""
    from decimal import Decimal

    from sportel.revenue.models import CostingPlan, CostItem, TaxHead

    plan = CostingPlan.objects.create(
        municipality=shkoder,
        tax_head=TaxHead.objects.get(municipality=shkoder, code="cleaning"),
        year=2027,
        households=41250,
        businesses=3820,
        business_weight=Decimal("3.5"),
        extra_rates=["37.00", "82.00"],
    )
    for label, amount in [
        ("Pagat e punonjësve të pastrimit dhe sigurimet shoqërore", "98000000"),
        ("Karburanti", "21500000"),
        ("Amortizimi i kamionëve", "14000000"),
        ("Tarifa e landfillit rajonal të Bushatit", "36000000"),
    ]:
        CostItem.objects.create(plan=plan, label=label, amount=Decimal(amount))
    return {"costing": plan.pk}


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
        costing=tables["costing"],
        channel_category=tables["channel_category"],
        question=tables["question"],
        bill=tables.get("bill", ""),
    )
    if who != "anyone":
        log_in(
            page,
            tables[who],
            second_factor=who in ("specialist", "tax_officer", "clerk", "manager", "administrator"),
        )
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
    # The automatic refusal's amounts (a tax clearance refused), at 320 px in sq and en, axe.
    "services/receipt.html": "tests/browser/test_clearance_refusal.py",
}

# Table templates of the modules that landed together in stop 14 whose reflow at 320 px is NOT
# yet checked by this file's test (their journeys cover some of them at 320 px, not with these
# assertions). Listed by name so that none is forgotten: each moves into PAGES, with the module's
# data in the ``tables`` fixture, as its issue (9 reports, 10 floor, 13 participation) goes on.
REFLOW_NOT_YET_CHECKED = {
    "floor/screen.html": "issue 10 (a 1920×1080 screen; checked there by test_floor.py)",
}
