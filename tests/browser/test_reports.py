"""Problem reports in a real browser, axe-core on every page visited:

- the Dajç irrigation journey: residents report a blocked channel (web, with a photo; a second
  one adds their voice), the group rises on the priority list with every factor shown, a manager
  records the council's funding, a specialist marks the group fixed with an after-photo, and the
  reporter confirms the fix from the link they were sent;
- the public pages in both languages at phone width (320 px).
"""

import io
import os
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from sportel.accounts.roles import Role
from sportel.core.models import Notification
from sportel.reports import workflow
from sportel.reports.models import Cluster, Report
from tests.accounts.helpers import browser_staff_login


@pytest.fixture
def reports_catalogue(transactional_db, shkoder):
    from sportel.reports.catalogue import load_categories

    load_categories(shkoder)
    return shkoder


def jpeg(tmp_path, name="kanali.jpg"):
    path = tmp_path / name
    image = Image.new("RGB", (64, 48), (90, 120, 60))
    out = io.BytesIO()
    image.save(out, format="JPEG")
    path.write_bytes(out.getvalue())
    return path


def test_dajc_irrigation_journey(page, reports_catalogue, make_staff, accessible, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    # A resident reports the blocked channel: no pin (the typed unit places it), answers, photo.
    page.goto("/shkoder/reports/")
    accessible(page)
    page.get_by_role("link", name="Kanal vaditës i bllokuar").click()
    accessible(page)
    page.select_option("#id_unit", "dajc")
    page.fill("#id_address", "Kanali pranë shkollës")
    page.click("#place-next")
    accessible(page)
    page.select_option("#id_channel_type", "secondary")
    page.check("input[name=cause][value=waste]")
    page.fill("#id_description", "Kanali është bllokuar; arat mbeten pa ujë.")
    page.set_input_files("#id_photo", str(jpeg(tmp_path)))
    page.fill("#id_email", "arta@dajc.al")
    page.click("#send-report")
    # Anonymous: the code sent by email confirms it.
    accessible(page)
    report = Report.objects.get()
    code = re.search(r"\b(\d{6})\b", Notification.objects.get(template="reports_confirm").body)[1]
    page.fill("#id_code", code)
    page.click("#confirm-report")
    page.wait_for_url(f"**/r/{report.pk}/reporter/**")
    report.refresh_from_db()
    assert "/open311/v2/media/" in page.content()
    accessible(page)
    reporter_url = page.url

    # A neighbour starts a report at the same place and adds their voice instead.
    page.goto("/shkoder/reports/new/irrigation-channel/?step=place&unit=dajc&address=")
    page.fill(f"#voice-email-{report.cluster_id}", "gjon@dajc.al")
    page.click(f"#me-too-{report.cluster_id}")
    expect(page.locator("#report-voices")).to_have_text("2", use_inner_text=True)
    accessible(page)

    # The priority list explains its ranking.
    page.goto("/shkoder/reports/priorities/")
    row = page.locator(f"#cluster-{report.cluster_id}")
    assert "Kanal vaditës i bllokuar, Dajç" in row.inner_text()
    assert "I hapur" in row.inner_text()
    accessible(page)

    # A manager records the council's decision.
    manager = make_staff(reports_catalogue, Role.MANAGER)
    browser_staff_login(page, manager)
    page.goto(f"/shkoder/staff/reports/clusters/{report.cluster_id}/")
    accessible(page)
    page.fill("#id_amount", "1850000")
    page.fill("#id_budget_line", "06.2.1 Ujitje dhe kullim")
    page.fill("#id_decision_number", "112")
    page.fill("#id_decision_date", "2026-03-10")
    page.click("#fund-form button")
    expect(page.locator("#funding")).to_contain_text("112", use_inner_text=True)
    page.goto("/shkoder/reports/priorities/")
    assert "Financuar" in page.locator(f"#cluster-{report.cluster_id}").inner_text()
    page.context.clear_cookies()

    # A specialist marks the whole group fixed with an after-photo.
    specialist = make_staff(reports_catalogue, Role.SPECIALIST)
    browser_staff_login(page, specialist)
    page.goto(f"/shkoder/staff/reports/clusters/{report.cluster_id}/")
    page.fill("#fix-form textarea", "Kanali u pastrua nga ekipi i kullimit.")
    page.set_input_files("#fix-form input[type=file]", str(jpeg(tmp_path, "pas.jpg")))
    page.click("#fix-form button")
    accessible(page)
    report.refresh_from_db()
    assert report.status == workflow.FIXED and report.photos.filter(after=True).exists()
    assert not Cluster.objects.get(pk=report.cluster_id).is_open
    page.context.clear_cookies()
    page.goto("/shkoder/reports/priorities/")
    assert "U rregullua" in page.locator(f"#cluster-{report.cluster_id}").inner_text()
    # Every reporter was told (the reporter and the neighbour who added their voice).
    recipients = set(Notification.objects.values_list("recipient", flat=True))
    assert {"arta@dajc.al", "gjon@dajc.al"} <= recipients

    # The reporter confirms the fix from their link.
    page.goto(reporter_url)
    accessible(page)
    page.click("#confirm-fix")
    assert report.events.filter(action="confirm_fix").exists()


@pytest.mark.parametrize("language", ["sq", "en"])
def test_public_report_pages_at_phone_width(page, reports_catalogue, accessible, language):
    from decimal import Decimal

    from sportel.reports import services
    from sportel.reports.models import Category

    category = Category.objects.get(municipality=reports_catalogue, code="irrigation-channel")
    filed = services.file_report(
        reports_catalogue,
        category=category,
        place=services.Place(lat=Decimal("41.982600"), long=Decimal("19.423300")),
        description="Bllokuar",
        answers={"channel_type": "primary"},
        email="a@x.al",
        confirmed=True,
    )
    prefix = "/en" if language == "en" else ""
    page.set_viewport_size({"width": 320, "height": 800})
    for path in (
        "/shkoder/reports/",
        "/shkoder/reports/new/irrigation-channel/",
        "/shkoder/reports/new/irrigation-channel/?step=place&lat=41.9827&long=19.4233",
        f"/shkoder/reports/r/{filed.report.pk}/",
        "/shkoder/reports/priorities/",
        "/shkoder/reports/priorities/screen/",
    ):
        response = page.goto(prefix + path)
        assert response.status == 200, path
        accessible(page)
        # Nothing wider than the phone: no sideways scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, path


def test_administrator_sets_reports_up_and_a_ban_holds(
    page, reports_catalogue, make_staff, accessible
):
    """An administrator adds a category, routes it, weighs an area and bans a sender; the
    banned resident gets a clear error; the ban is lifted."""
    from sportel.reports.models import AreaWeight, BannedReporter, Category, RoutingRule

    AreaWeight.objects.all().delete()
    admin = make_staff(reports_catalogue, Role.ADMINISTRATOR)
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_staff_login(page, admin)
    page.goto("/shkoder/staff/")
    page.get_by_role("link", name="Cilësimet e raporteve").click()
    accessible(page)
    page.click("#new-category")
    page.fill("#id_code", "blocked-culvert")
    page.select_option("#id_parent", label="Ujitje dhe kullim")
    page.fill("#id_name_sq", "Tombino e bllokuar")
    page.fill("#id_name_en", "Blocked culvert")
    page.fill("#id_duplicate_radius_m", "abc")
    page.click("#category-form button")
    # The mistake is explained next to the field; nothing stored yet.
    expect(page.locator("#id_duplicate_radius_m_error")).to_be_visible()
    assert not Category.objects.filter(code="blocked-culvert").exists()
    accessible(page)
    page.fill("#id_duplicate_radius_m", "150")
    page.click("#category-form button")
    expect(page.locator("#category-blocked-culvert")).to_be_visible()
    culvert = Category.objects.get(code="blocked-culvert")
    assert culvert.duplicate_radius_m == 150

    page.get_by_role("link", name="Drejtimi").click()
    page.select_option("#id_category", str(culvert.pk))
    page.select_option("#id_unit", label="Dajç")
    page.fill("#id_team", "Skuadra e Dajçit")
    page.click("#route-form button")
    expect(page.locator("#routes")).to_contain_text("Skuadra e Dajçit", use_inner_text=True)
    assert RoutingRule.objects.filter(category=culvert, team="Skuadra e Dajçit").exists()
    accessible(page)

    page.get_by_role("link", name="Peshat e zonave").click()
    page.select_option("#id_unit", label="Dajç")
    page.fill("#id_weight", "1.4")
    page.fill("#id_reason", "Zonë bujqësore që përmbytet")
    page.click("#weight-form button")
    # the Albanian decimal comma
    expect(page.locator("#weight-dajc")).to_contain_text("1,40", use_inner_text=True)
    accessible(page)

    page.get_by_role("link", name="Lista e ndalimeve").click()
    page.check("input[name=kind][value=email]")
    page.fill("#id_value", "spam@dajc.al")
    page.fill("#id_reason", "Qindra raporte të rreme")
    page.click("#ban-form button")
    expect(page.locator("#bans")).to_contain_text("s***@dajc.al", use_inner_text=True)
    accessible(page)
    ban = BannedReporter.objects.get()

    # The banned resident (a browser of their own) is told plainly, and nothing is filed.
    resident_context = page.context.browser.new_context(base_url=page.base_url, locale="sq-AL")
    resident_context.set_default_timeout(10_000)
    resident = resident_context.new_page()
    resident.goto("/en/shkoder/reports/new/blocked-culvert/?step=place&unit=dajc&address=Ura")
    resident.fill("#id_description", "Tombino e bllokuar")
    resident.fill("#id_email", "spam@dajc.al")
    resident.click("#send-report")
    expect(resident.locator("body")).to_contain_text("Reports from this sender are not accepted.")
    assert not Report.objects.exists()
    accessible(resident)
    resident_context.close()

    page.goto("/en/shkoder/staff/reports/configure/bans/")
    page.click(f"#lift-{ban.pk}")
    expect(page.locator("#bans")).to_contain_text("Nobody is banned.", use_inner_text=True)
    assert "spam@dajc.al" not in page.content()
    accessible(page)


@pytest.mark.parametrize("language", ["sq", "en"])
def test_staff_and_settings_pages_at_phone_width(
    page, reports_catalogue, make_staff, accessible, language
):
    """Every staff page of reports at 320 px, with data, in both languages: no sideways scroll."""
    from decimal import Decimal

    from sportel.core.models import AdministrativeUnit
    from sportel.reports import configuration, services
    from sportel.reports.models import Category

    category = Category.objects.get(municipality=reports_catalogue, code="irrigation-channel")
    filed = services.file_report(
        reports_catalogue,
        category=category,
        place=services.Place(lat=Decimal("41.982600"), long=Decimal("19.423300")),
        description="Bllokuar",
        answers={"channel_type": "primary"},
        email="a@x.al",
        confirmed=True,
    ).report
    admin = make_staff(reports_catalogue, Role.ADMINISTRATOR)
    dajc = AdministrativeUnit.objects.get(municipality=reports_catalogue, slug="dajc")
    configuration.add_route(
        reports_catalogue, actor=admin, category=category, unit=dajc.pk, team="Skuadra e Dajçit"
    )
    configuration.ban(
        reports_catalogue,
        actor=admin,
        kind="reporter",
        value=str(filed.pk),
        reason="Raporte të rreme të përsëritura",
    )
    prefix = "/en" if language == "en" else ""
    page.set_viewport_size({"width": 320, "height": 800})
    specialist = make_staff(reports_catalogue, Role.SPECIALIST)
    clerk = make_staff(reports_catalogue, Role.CLERK)
    for user, paths in (
        (
            specialist,
            (
                "/shkoder/staff/reports/",
                f"/shkoder/staff/reports/{filed.pk}/",
                f"/shkoder/staff/reports/clusters/{filed.cluster_id}/",
            ),
        ),
        (clerk, ("/shkoder/staff/reports/counter/?category=irrigation-channel",)),
        (
            admin,
            (
                "/shkoder/staff/reports/configure/",
                f"/shkoder/staff/reports/configure/categories/{category.pk}/",
                "/shkoder/staff/reports/configure/categories/new/",
                "/shkoder/staff/reports/configure/routing/",
                "/shkoder/staff/reports/configure/weights/",
                "/shkoder/staff/reports/configure/bans/",
                "/shkoder/staff/reports/keys/",
            ),
        ),
    ):
        page.context.clear_cookies()
        page.set_viewport_size({"width": 1280, "height": 900})
        browser_staff_login(page, user)
        page.set_viewport_size({"width": 320, "height": 800})
        for path in paths:
            response = page.goto(prefix + path)
            assert response.status == 200, path
            accessible(page)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320, f"{prefix}{path} is {width}px wide"
            if os.environ.get("SPORTEL_SCREENSHOTS"):
                name = path.strip("/").split("?")[0].replace("/", "-")
                page.screenshot(
                    path=f"{os.environ['SPORTEL_SCREENSHOTS']}/{name}-{language}-320.png",
                    full_page=True,
                )
