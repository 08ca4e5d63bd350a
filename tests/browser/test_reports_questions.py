"""A category's questions in a real browser, axe-core on every page visited: an administrator
adds a list question to the blocked-channel category (a mistake first, explained next to the
field), moves it to the top, and a resident answers it on the report form; the answer is on the
report's public page and in the Open311 service definition. In Albanian and English, on a
desktop (1280 px) and a phone (320 px, nothing scrolls sideways)."""

import json
import os
import re

import pytest
from playwright.sync_api import expect

from sportel.accounts.roles import Role
from sportel.core.models import Notification
from sportel.reports.models import CategoryAttribute, Report
from tests.accounts.helpers import browser_staff_login

TEXTS = {
    "sq": {
        "add": "Shtoni një pyetje",
        "error": "Shkruani pyetjen në shqip.",
        "saved": "Pyetja water_depth u ruajt.",
        "question": "Sa i thellë është uji?",
        "answer": "Deri te gjuri",
        "send": "Dërgoni raportin",
    },
    "en": {
        "add": "Add a question",
        "error": "Write the question in Albanian.",
        "saved": "The question water_depth is saved.",
        "question": "How deep is the water?",
        "answer": "Up to the knee",
        "send": "Send the report",
    },
}


@pytest.fixture
def reports_catalogue(transactional_db, shkoder):
    from sportel.reports.catalogue import load_categories

    load_categories(shkoder)
    return shkoder


def _narrow_enough(page, width):
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll}px wide at {width}px"


def _shot(page, name):
    folder = os.environ.get("SPORTEL_SCREENSHOTS")
    if folder:
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


@pytest.mark.parametrize("width", [1280, 320])
@pytest.mark.parametrize("language", ["sq", "en"])
def test_administrator_adds_a_list_question_and_a_resident_answers_it(
    page, reports_catalogue, make_staff, accessible, language, width
):
    texts = TEXTS[language]
    prefix = "/en" if language == "en" else ""
    admin = make_staff(reports_catalogue, Role.ADMINISTRATOR)
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_staff_login(page, admin)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{prefix}/shkoder/staff/reports/configure/")
    page.locator("#category-irrigation-channel a").first.click()
    page.wait_for_url("**/configure/categories/*/")
    accessible(page)
    _narrow_enough(page, width)
    page.get_by_role("link", name=texts["add"]).click()
    accessible(page)

    # A mistake first: no question in Albanian. Explained next to the field; nothing stored.
    page.fill("#id_code", "water_depth")
    page.check("input[name=datatype][value=singlevaluelist]")
    page.check("#id_required")
    page.fill("#id_description_en", "How deep is the water?")
    page.fill("#new-1-key", "ankle")
    page.fill("#new-1-name_sq", "Deri te kyçi")
    page.fill("#new-1-name_en", "Up to the ankle")
    page.fill("#new-2-key", "knee")
    page.fill("#new-2-name_sq", "Deri te gjuri")
    page.fill("#new-2-name_en", "Up to the knee")
    page.click("#save-question")
    expect(page.locator("#id_description_sq_error")).to_contain_text(
        texts["error"], use_inner_text=True
    )
    expect(page.locator("#new-2-key")).to_have_value("knee")  # nothing typed is lost
    assert not CategoryAttribute.objects.filter(code="water_depth").exists()
    accessible(page)
    _narrow_enough(page, width)
    _shot(page, f"reports-question-error-{language}-{width}")

    page.fill("#id_description_sq", "Sa i thellë është uji?")
    page.click("#save-question")
    # A list question opens its own page again, to check its answers.
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        texts["saved"], use_inner_text=True
    )
    expect(page.locator("#value-knee")).to_be_visible()
    accessible(page)
    _narrow_enough(page, width)
    _shot(page, f"reports-question-{language}-{width}")
    question = CategoryAttribute.objects.get(code="water_depth")
    assert question.required and [v["key"] for v in question.values] == ["ankle", "knee"]

    # To the top of the list: asked first.
    page.goto(f"{prefix}/shkoder/staff/reports/configure/categories/{question.category_id}/")
    for _ in range(4):
        page.click("#up-water_depth")
    assert page.locator("#questions tbody tr").first.get_attribute("id") == "question-water_depth"
    accessible(page)
    _narrow_enough(page, width)
    _shot(page, f"reports-category-questions-{language}-{width}")

    # Open311 applications see it at once, first.
    definition = json.loads(
        page.request.get(
            "/open311/v2/services/irrigation-channel.json?jurisdiction_id=shkoder"
        ).text()
    )
    first = definition["attributes"][0]
    assert (first["code"], first["order"], first["required"]) == ("water_depth", 1, True)
    assert [v["key"] for v in first["values"]] == ["ankle", "knee"]

    # A resident (a browser of their own) answers it.
    context = page.context.browser.new_context(base_url=page.base_url, locale="sq-AL")
    context.set_default_timeout(10_000)
    resident = context.new_page()
    resident.set_viewport_size({"width": width, "height": 900})
    resident.goto(
        f"{prefix}/shkoder/reports/new/irrigation-channel/?step=place&unit=dajc&address=Ura"
    )
    label = resident.locator("label[for=id_water_depth]").inner_text()
    assert texts["question"] in label
    accessible(resident)
    _narrow_enough(resident, width)
    resident.select_option("#id_channel_type", "secondary")
    resident.fill("#id_description", "Uji ka dalë nga kanali.")
    resident.fill("#id_email", "arta@dajc.al")
    resident.click("#send-report")
    # Required: the form says so and files nothing.
    expect(resident.locator("#id_water_depth_error")).to_contain_text(
        texts["question"], use_inner_text=True
    )
    assert not Report.objects.exists()
    accessible(resident)
    resident.select_option("#id_water_depth", label=texts["answer"])
    resident.click("#send-report")
    # Anonymous: the code sent by email confirms it.
    resident.wait_for_selector("#id_code")
    report = Report.objects.get()
    assert report.attributes["water_depth"] == "knee"
    body = Notification.objects.get(template="reports_confirm").body
    resident.fill("#id_code", re.search(r"\b(\d{6})\b", body)[1])
    resident.click("#confirm-report")
    resident.wait_for_url(f"**/r/{report.pk}/reporter/**")
    assert texts["answer"] in resident.locator("main").inner_text()
    resident.goto(f"{prefix}/shkoder/reports/r/{report.pk}/")
    assert texts["answer"] in resident.locator("main").inner_text()
    accessible(resident)
    _narrow_enough(resident, width)
    _shot(resident, f"reports-question-answered-{language}-{width}")
    context.close()
