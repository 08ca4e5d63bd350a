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
