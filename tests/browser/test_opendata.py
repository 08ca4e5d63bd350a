"""Open data in a real browser, axe-core on every page, Albanian and English, 1280 and 320 px:
a resident searches and downloads a dataset; a manager uploads a file, fixes the validation error
the report shows and publishes it. Every open data page with a table is also checked for reflow
the way tests/browser/test_tables.py checks the others."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_tables import SHOTS, SPLIT_WORDS_JS, log_in

VIEWS = [("", 1280), ("/en", 320)]
WORDS = {
    "": {
        "search": "Kërko",
        "download": "Shkarko",
        "create": "Krijo grupin e të dhënave",
        "upload": "Ngarko dhe kontrollo",
        "save": "Ruaj skemën dhe kontrollo përsëri",
        "publish": "Publiko",
    },
    "/en": {
        "search": "Search",
        "download": "Download",
        "create": "Create the dataset",
        "upload": "Upload and check",
        "save": "Save the schema and check again",
        "publish": "Publish",
    },
}


def _fits(page):
    scroll, viewport = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll <= viewport, f"{page.url} is {scroll}px wide in a {viewport}px window"
    assert not page.evaluate(SPLIT_WORDS_JS), page.url


@pytest.fixture
def portal(transactional_db, shkoder, lezhe, settings, tmp_path):
    from sportel.core import feeds
    from sportel.opendata import services
    from tests.opendata.conftest import TEST_FEED

    settings.MEDIA_ROOT = tmp_path / "media"
    feeds.register_feed(TEST_FEED)
    services.publish_feed(shkoder, TEST_FEED)
    yield
    feeds._FEEDS.pop(TEST_FEED.name, None)


@pytest.mark.parametrize(("prefix", "width"), VIEWS)
def test_search_and_download_a_dataset(page, accessible, portal, prefix, width):
    words = WORDS[prefix]
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{prefix}/dataset/")
    accessible(page)
    _fits(page)
    page.locator("#id_q").fill("raportime")
    page.get_by_label("Shkodër (1)").check()
    page.get_by_role("button", name=words["search"], exact=True).click()
    page.wait_for_url(re.compile(r"organization=shkoder"))
    results = page.locator("#results")
    expect(results).to_contain_text("Raportime sipas kategorisë dhe muajit", use_inner_text=True)
    accessible(page)
    results.get_by_role("link").first.click()
    page.wait_for_url(f"**{prefix}/dataset/shkoder-test-reports-per-category-month/")
    assert page.locator("#preview-1 tbody tr").count() == 6
    assert page.locator("svg.opendata-chart rect").count() == 3
    assert (
        "package_show?id=shkoder-test-reports-per-category-month"
        in page.locator("#api-example").inner_text()
    )
    accessible(page)
    _fits(page)
    with page.expect_download() as download:
        page.get_by_role("link", name=words["download"]).click()
    path = download.value.path()
    with open(path, encoding="utf-8") as handle:
        assert handle.readline().strip() == "month,category,reports,median_days"
    page.goto(f"{prefix}/shkoder/opendata/")
    accessible(page)


BAD = "viti,njesia,familje\n" + "".join(f"{2000 + n},Shkodër,{100 + n}\n" for n in range(20))
BAD += "2020,Rrethinat,s'dihet\n"


@pytest.mark.parametrize(("prefix", "width"), VIEWS)
def test_staff_upload_fix_a_validation_error_and_publish(
    page, accessible, portal, shkoder, make_staff, tmp_path, prefix, width
):
    words = WORDS[prefix]
    manager = make_staff(shkoder, "manager")
    log_in(page, manager, second_factor=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{prefix}/shkoder/staff/opendata/")
    accessible(page)
    _fits(page)
    page.get_by_role("button", name=words["create"]).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()  # no title: the form says so
    accessible(page)
    page.locator("#id_title").fill("Familje me ndihmë ekonomike")
    page.get_by_role("button", name=words["create"]).click()
    page.wait_for_url("**/shkoder/staff/opendata/shkoder-familje-me-ndihme-ekonomike/")
    accessible(page)
    csv = tmp_path / "familje.csv"
    csv.write_text(BAD, encoding="utf-8")
    page.locator("#id_file").set_input_files(str(csv))
    page.get_by_role("button", name=words["upload"]).click()
    page.wait_for_url("**/upload/*/")
    report = page.locator("#errors")
    assert "s'dihet" in report.inner_text() and "22" in report.inner_text()
    if SHOTS:
        page.screenshot(
            path=f"{SHOTS}/opendata-validation-{prefix[1:] or 'sq'}-{width}.png", full_page=True
        )
    assert page.locator("#publish").count() == 0
    accessible(page)
    _fits(page)
    # The column holds a note as well as numbers: the manager makes it text, and it validates.
    page.locator("#type-2").select_option("string")
    page.get_by_role("button", name=words["save"]).click()
    expect(page.locator("#valid")).to_be_visible()
    accessible(page)
    _fits(page)
    page.get_by_role("button", name=words["publish"], exact=True).click()
    page.wait_for_url("**/shkoder/staff/opendata/shkoder-familje-me-ndihme-ekonomike/")
    accessible(page)
    page.goto(f"{prefix}/dataset/shkoder-familje-me-ndihme-ekonomike/")
    assert page.locator("#preview-1 tbody tr").count() == 20  # the first 20 of 21 rows
    assert "Shkodër" in page.locator("#preview-1").inner_text()
    accessible(page)
