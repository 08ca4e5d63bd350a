"""The web pages, as a resident, a clerk, a specialist and a manager see them."""

import re

import pytest

from sportel.core.models import Notification
from sportel.reports import workflow
from sportel.reports.models import Cluster, FundingDecision, Report

from .conftest import file_one, photo_upload, run_area_notices

FORM = "/shkoder/reports/new/irrigation-channel/"


def test_start_page_lists_categories_in_both_languages(client, categories):
    sq = client.get("/shkoder/reports/").content.decode()
    assert "Raporto një problem" in sq or "Report a problem" in sq
    assert "Kanal vaditës i bllokuar" in sq and "Qen endacakë" in sq
    en = client.get("/en/shkoder/reports/").content.decode()
    assert "Blocked irrigation channel" in en and "Stray dogs" in en


def test_place_step_works_without_javascript_and_explains_errors(client, categories):
    page = client.get(FORM)
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-map" in html and 'id="id_lat"' in html and 'id="id_unit"' in html
    missing = client.get(FORM, {"step": "place"}).content.decode()
    assert "govuk-error-summary" in missing and "id_lat_error" in missing
    outside = client.get(FORM, {"step": "place", "lat": "40.1", "long": "19.9"})
    assert "outside" in outside.content.decode() or "jashtë" in outside.content.decode()
    by_unit = client.get(FORM, {"step": "place", "unit": "dajc", "address": "Kanali"})
    assert by_unit.status_code == 200 and 'id="send-report"' in by_unit.content.decode()


def test_nearby_reports_offer_me_too(client, shkoder, channel_category):
    existing = file_one(shkoder, channel_category, email="a@x.al")
    page = client.get(FORM, {"step": "place", "lat": "41.9830", "long": "19.4233"})
    html = page.content.decode()
    assert 'id="nearby"' in html and f'id="me-too-{existing.cluster_id}"' in html
    response = client.post(
        f"/shkoder/reports/clusters/{existing.cluster_id}/voice/", {"email": "b@x.al"}
    )
    assert response.status_code == 302
    assert Cluster.objects.get(pk=existing.cluster_id).voices == 2
    detail = client.get(response["Location"]).content.decode()
    assert 'id="report-voices">2<' in detail
    bad = client.post(f"/shkoder/reports/clusters/{existing.cluster_id}/voice/", {})
    assert bad.status_code == 400
    assert Cluster.objects.get(pk=existing.cluster_id).voices == 2


def test_anonymous_report_with_photo_then_confirmation(client, channel_category):
    data = {
        "lat": "41.9826",
        "long": "19.4233",
        "address": "Kanali",
        "unit": "dajc",
        "channel_type": "secondary",
        "cause": ["waste"],
        "description": "Bllokuar",
        "email": "banor@x.al",
        "photo": photo_upload(),
    }
    response = client.post(FORM, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get()
    assert report.status == workflow.UNCONFIRMED and report.photos.count() == 1
    code = re.search(r"\b(\d{6})\b", Notification.objects.get(template="reports_confirm").body)[1]
    confirm_url = response["Location"]
    wrong = client.post(confirm_url, {"code": "999999" if code != "999999" else "111111"})
    assert wrong.status_code == 400
    done = client.post(confirm_url, {"code": code})
    assert done.status_code == 302
    report.refresh_from_db()
    assert report.status == workflow.OPEN
    page = client.get(f"/shkoder/reports/r/{report.pk}/").content.decode()
    assert "/open311/v2/media/" in page and 'data-points="map-points"' in page


def test_bad_answers_redisplay_with_what_was_typed(client, channel_category):
    data = {
        "lat": "41.9826",
        "long": "19.4233",
        "channel_type": "",
        "length_m": "long",
        "description": "Kanali i bllokuar pranë urës",
        "email": "b@x.al",
    }
    response = client.post(FORM, data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html and "Kanali i bllokuar pranë urës" in html
    assert Report.objects.count() == 0


def test_fake_photo_is_refused_on_the_page(client, channel_category):
    data = {
        "lat": "41.9826",
        "long": "19.4233",
        "channel_type": "primary",
        "description": "x",
        "email": "b@x.al",
        "photo": photo_upload(name="x.jpg", content=b"not really a jpeg"),
    }
    response = client.post(FORM, data)
    assert response.status_code == 400 and "id_photo_error" in response.content.decode()
    assert Report.objects.count() == 0


def test_another_municipalitys_report_is_not_found_under_its_path(
    client, shkoder, lezhe, channel_category
):
    report = file_one(shkoder, channel_category)
    assert client.get(f"/shkoder/reports/r/{report.pk}/").status_code == 200
    assert client.get(f"/lezhe/reports/r/{report.pk}/").status_code == 404
    assert (
        client.post(
            f"/lezhe/reports/clusters/{report.cluster_id}/voice/", {"email": "x@x.al"}
        ).status_code
        == 404
    )
    assert client.get("/lezhe/reports/new/irrigation-channel/").status_code == 200  # Lezhë's own
    assert client.get(f"/shkoder/reports/r/{report.pk}/reporter/?s=wrong").status_code == 404


def test_reporter_page_confirms_or_reopens(client, shkoder, channel_category, specialist):
    from sportel.reports import actions

    report = file_one(shkoder, channel_category)
    actions.perform(report, "fix", actor=specialist, text="Done")
    url = f"/shkoder/reports/r/{report.pk}/reporter/?s={report.reporter_secret}"
    page = client.get(url).content.decode()
    assert 'id="confirm-fix"' in page and 'id="reopen"' in page
    empty = client.post(url, {"do": "reopen", "text": "", "s": report.reporter_secret})
    assert empty.status_code == 400
    client.post(url, {"do": "reopen", "text": "Still blocked", "s": report.reporter_secret})
    report.refresh_from_db()
    assert report.status == workflow.OPEN


def test_priority_list_shows_every_factor_and_funding(client, shkoder, channel_category, manager):
    from datetime import date

    from sportel.reports import services

    report = file_one(shkoder, channel_category)
    services.record_funding(
        report.cluster,
        actor=manager,
        amount="1500000",
        budget_line="06.2",
        decision_number="112",
        decision_date=date(2026, 3, 10),
    )
    html = client.get("/shkoder/reports/priorities/").content.decode()
    assert f'id="cluster-{report.cluster_id}"' in html
    for text in ("112", "06.2", "1,00"):
        assert text in html
    en = client.get("/en/shkoder/reports/priorities/").content.decode()
    assert "Score = (residents + reopenings) × severity × age factor × area weight" in en
    assert "Funded" in en and "council decision 112" in en
    screen = client.get("/shkoder/reports/priorities/screen/").content.decode()
    assert "sportel-screen" in screen and f'id="cluster-{report.cluster_id}"' in screen


def test_staff_page_shows_only_available_actions(
    shkoder, channel_category, specialist, verified_client
):
    report = file_one(shkoder, channel_category)
    client = verified_client(specialist)
    html = client.get(f"/en/shkoder/staff/reports/{report.pk}/").content.decode()
    assert 'id="action-start"' in html and 'id="action-fix"' in html
    assert 'id="action-reopen"' not in html
    illegal = client.post(f"/en/shkoder/staff/reports/{report.pk}/reopen/", {"text": "x"})
    assert illegal.status_code == 400 and "You cannot reopen a report" in illegal.content.decode()
    no_note = client.post(f"/en/shkoder/staff/reports/{report.pk}/fix/", {"text": ""})
    assert no_note.status_code == 400
    report.refresh_from_db()
    assert report.status == workflow.OPEN
    done = client.post(
        f"/en/shkoder/staff/reports/{report.pk}/fix/", {"text": "Cleared", "photo": photo_upload()}
    )
    assert done.status_code == 302
    report.refresh_from_db()
    assert report.status == workflow.FIXED and report.photos.filter(after=True).count() == 1
    queue = client.get("/en/shkoder/staff/reports/?status=fixed").content.decode()
    assert f">{report.pk}<" in queue


def test_counter_files_for_a_caller(shkoder, channel_category, clerk, verified_client):
    client = verified_client(clerk)
    page = client.get(
        "/en/shkoder/staff/reports/counter/", {"category": "irrigation-channel", "channel": "phone"}
    )
    assert page.status_code == 200 and 'id="file-report"' in page.content.decode()
    bad = client.post(
        "/en/shkoder/staff/reports/counter/",
        {
            "category": "irrigation-channel",
            "channel": "phone",
            "unit": "",
            "lat": "",
            "long": "",
            "address": "",
            "channel_type": "primary",
            "description": "x",
        },
    )
    assert bad.status_code == 400 and Report.objects.count() == 0
    response = client.post(
        "/en/shkoder/staff/reports/counter/",
        {
            "category": "irrigation-channel",
            "channel": "phone",
            "unit": "dajc",
            "address": "Te ura",
            "channel_type": "primary",
            "description": "Called in",
            "first_name": "Gjon",
            "last_name": "Marku",
            "phone": "0692223334",
        },
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.channel == "phone" and report.filed_by == clerk
    assert report.status == workflow.OPEN and report.unit.slug == "dajc"


def test_manager_funds_and_specialist_fixes_a_cluster(
    shkoder, channel_category, manager, specialist, verified_client
):
    report = file_one(shkoder, channel_category)
    url = f"/en/shkoder/staff/reports/clusters/{report.cluster_id}/"
    client = verified_client(manager)
    bad = client.post(
        url + "fund/", {"amount": "", "budget_line": "", "decision_number": "", "decision_date": ""}
    )
    assert bad.status_code == 400 and FundingDecision.objects.count() == 0
    ok = client.post(
        url + "fund/",
        {
            "amount": "2000000",
            "budget_line": "06.2",
            "decision_number": "7",
            "decision_date": "2026-02-01",
        },
    )
    assert ok.status_code == 302 and FundingDecision.objects.count() == 1
    client = verified_client(specialist)
    assert client.post(url + "fund/", {"amount": "1"}).status_code == 403
    fixed = client.post(url + "fix/", {"text": "Cleared", "photo": photo_upload()})
    assert fixed.status_code == 302
    report.refresh_from_db()
    assert report.status == workflow.FIXED


def test_keys_page_shows_a_new_key_once(shkoder, make_staff, verified_client):
    from sportel.accounts.roles import Role

    client = verified_client(make_staff(shkoder, Role.ADMINISTRATOR))
    html = client.post("/en/shkoder/staff/reports/keys/", {"app_name": "FMS"}).content.decode()
    key = re.search(r'id="new-key">(o311_[\w-]+)<', html)[1]
    listing = client.get("/en/shkoder/staff/reports/keys/").content.decode()
    assert key not in listing and key[:12] in listing
    assert client.post("/en/shkoder/staff/reports/keys/", {"app_name": ""}).status_code == 400


@pytest.mark.parametrize("path", ["/shkoder/reports/", "/shkoder/reports/priorities/"])
def test_public_pages_need_no_login(client, categories, path):
    assert client.get(path).status_code == 200


def test_area_alerts_are_confirmed_then_sent_then_stopped(
    client, shkoder, channel_category, django_capture_on_commit_callbacks
):
    bad = client.post("/shkoder/reports/alerts/", {"email": "nope", "unit": "dajc"})
    assert bad.status_code == 400 and "id_email_error" in bad.content.decode()
    client.post("/shkoder/reports/alerts/", {"email": "fqinj@x.al", "unit": "dajc"})
    mail = Notification.objects.get(template="reports_subscribe")
    link = re.search(r"(/shkoder/reports/alerts/manage/\?s=[\w-]+&do=confirm)", mail.body)[1]
    from sportel.reports import services

    place = services.parse_place(shkoder, unit="dajc")
    with django_capture_on_commit_callbacks(execute=True):
        services.file_report(
            shkoder,
            category=channel_category,
            place=place,
            description="x",
            answers={"channel_type": "primary"},
            email="a@x.al",
            confirmed=True,
        )
    run_area_notices()
    assert not Notification.objects.filter(template="reports_new_in_area").exists()  # unconfirmed
    assert client.get(link).status_code == 200  # a page with a button: a GET changes nothing
    client.post(link.split("?")[0], {"s": link.split("s=")[1].split("&")[0], "do": "confirm"})
    with django_capture_on_commit_callbacks(execute=True):
        services.file_report(
            shkoder,
            category=channel_category,
            place=place,
            description="y",
            answers={"channel_type": "primary"},
            email="b@x.al",
            confirmed=True,
        )
    run_area_notices()
    alert = Notification.objects.get(template="reports_new_in_area")
    assert alert.recipient == "fqinj@x.al" and "Dajç" in alert.subject
    stop = re.search(r"\?s=([\w-]+)&do=stop", alert.body)[1]
    client.post("/shkoder/reports/alerts/manage/", {"s": stop, "do": "stop"})
    elsewhere = services.parse_place(shkoder, unit="velipoje")
    with django_capture_on_commit_callbacks(execute=True):
        services.file_report(
            shkoder,
            category=channel_category,
            place=place,
            description="z",
            answers={"channel_type": "primary"},
            email="c@x.al",
            confirmed=True,
        )
    run_area_notices()
    with django_capture_on_commit_callbacks(execute=True):
        services.file_report(
            shkoder,
            category=channel_category,
            place=elsewhere,
            description="w",
            answers={"channel_type": "primary"},
            email="d@x.al",
            confirmed=True,
        )
    run_area_notices()
    assert Notification.objects.filter(template="reports_new_in_area").count() == 1
    assert client.get("/lezhe/reports/alerts/manage/", {"s": stop, "do": "stop"}).status_code == 404
