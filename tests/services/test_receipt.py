"""The printed receipt always says when to expect an answer (issue 8 §3)."""

from .factories import submit


def test_the_receipt_says_when_to_expect_an_answer_even_without_a_legal_deadline(
    catalogue, citizen, client
):
    case = submit(catalogue, citizen, "kindergarten-enrolment")
    assert case.legal_end is None  # the sources give this service no legal deadline
    client.force_login(citizen)
    html = client.get(f"/en/shkoder/services/cases/{case.number}/receipt/").content.decode()
    expected = html.split('id="expected-date">')[1].split("</dd>")[0]
    assert "No date is set by law for this service" in expected
    html = client.get(f"/shkoder/services/cases/{case.number}/receipt/").content.decode()
    assert "Ligji nuk cakton një datë për këtë shërbim" in html


def test_the_receipt_prints_the_expected_date_when_there_is_one(catalogue, citizen, client):
    case = submit(catalogue, citizen, "public-information-request")
    client.force_login(citizen)
    html = client.get(f"/en/shkoder/services/cases/{case.number}/receipt/").content.decode()
    expected = html.split('id="expected-date">')[1].split("</dd>")[0]
    assert str(case.planned_end.year) in expected


def test_the_printed_receipt_has_a_title_and_names_the_case_number_once(catalogue, citizen, client):
    """What prints (the receipt block) says what it is, and the case number is not repeated
    under a second name; the tracking code is a different value."""
    case = submit(catalogue, citizen, "public-information-request")
    client.force_login(citizen)
    html = client.get(f"/en/shkoder/services/cases/{case.number}/receipt/").content.decode()
    receipt = html.split('id="receipt">')[1].split('<p class="govuk-body-s')[0]
    title = receipt.split('id="receipt-title">')[1].split("</h2>")[0]
    assert title == "Receipt: Request for public information"
    assert receipt.count(case.number) == 1
    assert case.tracking_code_display in receipt and case.number not in case.tracking_code_display
