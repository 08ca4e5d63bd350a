"""A service requested only on e-Albania cannot be filed here, by the page or by the API."""

from sportel.services.models import Case


def test_the_api_refuses_a_service_requested_only_elsewhere(catalogue, citizen, client):
    client.force_login(citizen)
    response = client.post(
        "/api/v1/municipalities/shkoder/applications?lang=en",
        {"service": "building-permit-review", "data": {}},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "only at" in body["detail"] or "only at" in str(body.get("errors"))
    assert "e-albania" in response.content.decode().lower()
    assert not Case.objects.exists()
