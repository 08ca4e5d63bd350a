"""Problem reports in a real browser, axe-core on every page visited:

- the Dajç irrigation journey: residents report a blocked channel (web, with a photo; a second
  one adds their voice), the group rises on the priority list with every factor shown, a manager
  records the council's funding, a specialist marks the group fixed with an after-photo, and the
  reporter confirms the fix from the link they were sent;
- the public pages in both languages at phone width (320 px).
"""

import io
import re

import pytest
from PIL import Image

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
    assert page.locator("#report-voices").inner_text() == "2"
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
    assert "112" in page.locator("#funding").inner_text()
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
