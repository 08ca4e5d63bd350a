"""Checking a document in a real browser: by code and by upload, in both languages, accessible."""

# ruff: noqa: F811 -- the documents fixtures are imported by name and used as arguments

import re

import pytest
from playwright.sync_api import expect

from tests.documents.conftest import citizen, issue  # noqa: F401 -- fixtures


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_verify_by_code_and_by_upload(page, accessible, issue, tmp_path, prefix):
    document = issue()
    page.goto(f"{prefix}/verify/")
    accessible(page)
    page.locator("#id_code").fill(document.display_code.lower())
    page.locator("#check-code").click()
    page.wait_for_url(re.compile(re.escape(f"{prefix}/verify/{document.code}") + "$"))
    expect(page.locator("#outcome")).to_have_attribute("data-outcome", "authentic")
    expect(page.locator("#document-code")).to_contain_text(
        document.display_code, use_inner_text=True
    )
    accessible(page)

    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(document.pdf.read())
    page.locator("#id_document").set_input_files(str(pdf))
    page.locator("#check-file").click()
    # The file is checked at /verify/ itself (a POST): the code's page above also says
    # "authentic", so wait for the new address before reading.
    page.wait_for_url(re.compile(re.escape(f"{prefix}/verify/") + "$"))
    expect(page.locator("#outcome")).to_have_attribute("data-outcome", "authentic")
    expected = "Authentic and valid" if prefix else "I vërtetë dhe i vlefshëm"
    expect(page.locator("#outcome")).to_contain_text(expected, use_inner_text=True)
    accessible(page)


def test_a_forged_upload_and_an_unknown_code_say_not_issued_by_us(
    page,
    accessible,
    seal_keys,
    tmp_path,
):
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(
        b"%PDF-1.7\n%forged\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF"
    )
    page.goto("/en/verify/")
    page.locator("#id_document").set_input_files(str(fake))
    page.locator("#check-file").click()
    assert page.locator("#outcome").get_attribute("data-outcome") in ("unknown", "malformed")
    accessible(page)
    page.goto("/en/verify/7K3MQ9TX2HBDR4ZC")
    assert page.locator("#outcome").get_attribute("data-outcome") == "unknown"
    accessible(page)


def test_transparency_page_is_accessible(page, accessible, issue):
    from sportel.documents.translog import publish_sth

    issue()
    publish_sth()
    for prefix in ("", "/en"):
        page.goto(f"{prefix}/transparency/")
        assert page.locator("#log-size").inner_text() == "1"
        accessible(page)


def test_specialist_monitors_and_revokes_in_the_browser(
    page, accessible, issue, shkoder, make_staff
):
    from tests.accounts.helpers import browser_staff_login

    document = issue()
    specialist = make_staff(shkoder, "specialist")
    browser_staff_login(page, specialist)
    page.wait_for_url("**/shkoder/staff/")
    page.goto("/en/shkoder/staff/documents/")
    assert page.locator("#total-issued").inner_text() == "1"
    accessible(page)
    page.get_by_role("link", name=document.display_code).click()
    accessible(page)
    page.locator("#id_reason").fill("Issued by mistake")
    page.locator("#revoke").click()
    expect(page.locator("#document-status")).to_contain_text("Revoked", use_inner_text=True)
    accessible(page)
    page.goto(f"/en/verify/{document.code}")
    assert page.locator("#outcome").get_attribute("data-outcome") == "revoked"
