"""GET /healthz: 200 with its checks when the database answers, 503 (and no crash) when not."""

import socket

import pytest
from django.db import connections


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


@pytest.mark.django_db
def test_healthz_answers_200_with_the_database_check(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["database"]["ms"] >= 0
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_is_down_and_recovers(
    client, django_db_blocker, tmp_path
):
    conn = connections["default"]
    saved = dict(conn.settings_dict)
    with django_db_blocker.unblock():
        conn.close()
        if conn.vendor == "sqlite":
            conn.settings_dict["NAME"] = str(tmp_path / "no-such-dir" / "db.sqlite3")
        else:
            conn.settings_dict.update(HOST="127.0.0.1", PORT=str(closed_port()))
        try:
            down = client.get("/healthz")
            down_again = client.get("/healthz")
        finally:
            conn.close()
            conn.settings_dict.clear()
            conn.settings_dict.update(saved)
        up = client.get("/healthz")
        conn.close()

    assert down.status_code == 503 and down_again.status_code == 503
    assert down.json() == {
        "status": "error",
        "checks": {"database": {"status": "error", "error": "OperationalError"}},
    }
    assert up.status_code == 200
