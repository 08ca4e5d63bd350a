"""The administrator's settings pages: categories (Open311 services), routing, area weights and
the ban list; who may use them; and what each setting changes for residents and applications."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from sportel.accounts.roles import Role
from sportel.core.models import AuditEntry
from sportel.reports import configuration, selectors, services
from sportel.reports.models import AreaWeight, BannedReporter, Category, Report, RoutingRule

from .conftest import file_one

BASE = "/shkoder/staff/reports/configure/"
CATEGORY = {
    "code": "blocked-culvert",
    "parent": "",
    "name_sq": "Tombino e bllokuar",
    "name_en": "Blocked culvert",
    "team": "Drejtoria e Ujitjes dhe Kullimit",
    "deadline_working_days": "7",
    "severity": "4",
    "duplicate_radius_m": "150",
    "cluster_window_days": "60",
    "order": "5",
}


@pytest.fixture
def admin(shkoder, make_staff):
    return make_staff(shkoder, Role.ADMINISTRATOR)


@pytest.fixture
def group(shkoder, categories):
    return Category.objects.get(municipality=shkoder, code="irrigation")


def _open311_codes(client, slug="shkoder"):
    body = client.get("/open311/v2/services.json", {"jurisdiction_id": slug}).json()
    return {row["service_code"] for row in body}


# --- who may use the pages ----------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CLERK, Role.SPECIALIST, Role.MANAGER])
def test_staff_without_the_settings_role_are_refused_and_nothing_changes(
    shkoder, group, make_staff, verified_client, role
):
    client = verified_client(make_staff(shkoder, role))
    for path in ("", "routing/", "weights/", "bans/", "categories/new/"):
        assert client.get(BASE + path).status_code == 403, path
    response = client.post(BASE + "categories/new/", {**CATEGORY, "parent": group.pk})
    assert response.status_code == 403
    ban = client.post(BASE + "bans/", {"kind": "email", "value": "a@x.al", "reason": "spam"})
    assert ban.status_code == 403
    assert not Category.objects.filter(code="blocked-culvert").exists()
    assert not BannedReporter.objects.exists()


def test_a_resident_and_another_municipalitys_administrator_are_refused(
    shkoder, lezhe, group, make_staff, verified_client, client
):
    from sportel.accounts.models import User

    resident = User.objects.create_user(
        "banor@test.al", "x-long-password-1", confirmed_at="2026-01-01T00:00Z"
    )
    client.force_login(resident)
    assert client.get(BASE).status_code in (302, 403)
    refused = client.post(BASE + "categories/new/", {**CATEGORY, "parent": group.pk})
    assert refused.status_code in (302, 403)
    other = verified_client(make_staff(lezhe, Role.ADMINISTRATOR))
    assert other.get(BASE).status_code == 403
    refused = other.post(f"{BASE}categories/{group.pk}/active/", {"active": "0"})
    assert refused.status_code == 403
    # Lezhë's own settings page does not list Shkodër's categories.
    # (A marker with a space: it cannot turn up inside a random CSRF token.)
    Category.objects.filter(pk=group.pk).update(name_sq="Grupi i Shkodrës vetëm")
    page = other.get("/lezhe/staff/reports/configure/").content.decode()
    assert "Shkodrës vetëm" not in page
    assert Category.objects.get(pk=group.pk).is_active
    assert not Category.objects.filter(code="blocked-culvert").exists()


def test_the_staff_home_links_the_settings_for_administrators_only(
    shkoder, make_staff, verified_client
):
    admin_home = verified_client(make_staff(shkoder, Role.ADMINISTRATOR)).get("/en/shkoder/staff/")
    assert "/shkoder/staff/reports/configure/" in admin_home.content.decode()
    clerk_home = verified_client(make_staff(shkoder, Role.CLERK)).get("/en/shkoder/staff/")
    assert "/reports/configure/" not in clerk_home.content.decode()


# --- categories ---------------------------------------------------------------------------------


def test_administrator_adds_a_category_that_residents_and_open311_see(
    client, shkoder, group, admin, verified_client
):
    staff = verified_client(admin)
    response = staff.post(BASE + "categories/new/", {**CATEGORY, "parent": group.pk})
    assert response.status_code == 302, response.content.decode()[:3000]
    made = Category.objects.get(municipality=shkoder, code="blocked-culvert")
    assert (made.parent, made.severity, made.duplicate_radius_m) == (group, 4, 150)
    assert made.deadline_working_days == 7 and made.name_en == "Blocked culvert"
    entry = AuditEntry.objects.filter(action="reports.category_create").get()
    assert entry.actor == admin and entry.data["code"] == "blocked-culvert"
    listing = staff.get("/en" + BASE).content.decode()
    assert 'id="category-blocked-culvert"' in listing and "Blocked culvert" in listing
    client.logout()
    assert "blocked-culvert" in _open311_codes(client)
    assert "Tombino e bllokuar" in client.get("/shkoder/reports/").content.decode()


def test_the_code_stays_when_a_category_is_changed(
    shkoder, channel_category, verified_client, admin
):
    staff = verified_client(admin)
    page = staff.get(f"/en{BASE}categories/{channel_category.pk}/").content.decode()
    assert 'name="code"' not in page and "irrigation-channel" in page
    data = {
        **CATEGORY,
        "code": "renamed-code",
        "parent": channel_category.parent_id,
        "name_sq": "Kanal vaditës i zënë",
    }
    assert staff.post(f"{BASE}categories/{channel_category.pk}/", data).status_code == 302
    changed = Category.objects.get(pk=channel_category.pk)
    assert changed.code == "irrigation-channel" and changed.name_sq == "Kanal vaditës i zënë"
    entry = AuditEntry.objects.filter(action="reports.category_change").get()
    assert "name_sq" in entry.data["changed"] and "code" not in entry.data["changed"]


@pytest.mark.parametrize(
    ("change", "field", "english"),
    [
        ({"code": "Bad Code!"}, "code", "lower-case letters, digits and dashes"),
        ({"code": "irrigation-channel"}, "code", "Another category of this municipality"),
        ({"name_sq": " "}, "name_sq", "Give the name in Albanian."),
        ({"severity": "9"}, "severity", "Select a valid choice"),
        ({"duplicate_radius_m": "0"}, "duplicate_radius_m", "from 5 to 5000"),
        ({"deadline_working_days": "ten"}, "deadline_working_days", "from 1 to 250"),
    ],
)
def test_bad_category_input_is_explained_next_to_the_field_and_nothing_is_stored(
    shkoder, group, admin, verified_client, change, field, english
):
    staff = verified_client(admin)
    before = Category.objects.count()
    response = staff.post(f"/en{BASE}categories/new/", {**CATEGORY, "parent": group.pk, **change})
    assert response.status_code == 400
    html = response.content.decode()
    assert "govuk-error-summary" in html and f"id_{field}_error" in html and english in html
    assert Category.objects.count() == before


def test_errors_are_in_albanian_on_the_albanian_page(shkoder, group, admin, verified_client):
    response = verified_client(admin).post(
        BASE + "categories/new/", {**CATEGORY, "parent": group.pk, "code": "Bad Code!"}
    )
    assert response.status_code == 400
    assert "Kodi ka vetëm shkronja të vogla" in response.content.decode()


def test_a_category_of_another_municipality_cannot_be_the_group(shkoder, lezhe, categories, admin):
    lezhe_group = Category.objects.get(municipality=lezhe, code="irrigation")
    with pytest.raises(Exception) as refused:
        configuration.save_category(
            shkoder, actor=admin, data={**CATEGORY, "parent": lezhe_group.pk}
        )
    assert "parent" in refused.value.message_dict
    assert not Category.objects.filter(code="blocked-culvert").exists()


def test_a_retired_category_is_hidden_and_refused_then_used_again(
    client, shkoder, channel_category, admin, verified_client
):
    key = services.add_api_key(shkoder, "App")
    existing = file_one(shkoder, channel_category)
    staff = verified_client(admin)
    url = f"{BASE}categories/{channel_category.pk}/active/"
    assert staff.post(url, {"active": "0"}).status_code == 302
    assert not Category.objects.get(pk=channel_category.pk).is_active
    assert AuditEntry.objects.filter(action="reports.category_retire").count() == 1
    client.logout()
    assert "irrigation-channel" not in _open311_codes(client)
    assert "Kanal vaditës i bllokuar" not in client.get("/shkoder/reports/").content.decode()
    post = client.post(
        "/open311/v2/requests.json",
        {
            "jurisdiction_id": "shkoder",
            "api_key": key,
            "service_code": "irrigation-channel",
            "lat": "41.9826",
            "long": "19.4233",
            "description": "x",
        },
    )
    assert post.status_code == 404
    assert post.json() == [
        {"code": 404, "description": "service_code not found: irrigation-channel"}
    ]
    # What was filed before stays, public.
    assert client.get(f"/shkoder/reports/r/{existing.pk}/").status_code == 200
    assert verified_client(admin).post(url, {"active": "1"}).status_code == 302
    client.logout()
    assert "irrigation-channel" in _open311_codes(client)


# --- routing ------------------------------------------------------------------------------------


def test_a_routing_rule_sends_a_units_reports_to_its_team(
    shkoder, lezhe, channel_category, admin, verified_client
):
    from sportel.core.models import AdministrativeUnit

    dajc = AdministrativeUnit.objects.get(municipality=shkoder, slug="dajc")
    staff = verified_client(admin)
    response = staff.post(
        BASE + "routing/",
        {"category": channel_category.pk, "unit": dajc.pk, "team": "Skuadra e Dajçit"},
    )
    assert response.status_code == 302
    page = staff.get("/en" + BASE + "routing/").content.decode()
    assert "Skuadra e Dajçit" in page and dajc.name in page
    routed = services.file_report(
        shkoder,
        category=channel_category,
        place=services.Place(address="Kanali", unit=dajc),
        description="Bllokuar",
        email="a@x.al",
        confirmed=True,
    ).report
    assert routed.team == "Skuadra e Dajçit"
    # The same category and unit again changes the team: still one rule.
    staff.post(
        BASE + "routing/",
        {"category": channel_category.pk, "unit": dajc.pk, "team": "Skuadra 2"},
    )
    assert RoutingRule.objects.filter(category=channel_category, unit=dajc).get().team == (
        "Skuadra 2"
    )
    rule = RoutingRule.objects.get(category=channel_category, unit=dajc)
    assert staff.post(f"{BASE}routing/{rule.pk}/remove/").status_code == 302
    assert not RoutingRule.objects.filter(pk=rule.pk).exists()
    actions = set(
        AuditEntry.objects.filter(action__startswith="reports.route").values_list(
            "action", flat=True
        )
    )
    assert actions == {"reports.route_set", "reports.route_remove"}
    # A unit of Lezhë is refused (the form offers only Shkodër's; the service checks too).
    lezhe_unit = lezhe.units.first()
    with pytest.raises(Exception) as refused:
        configuration.add_route(
            shkoder, actor=admin, category=channel_category, unit=lezhe_unit.pk, team="X"
        )
    assert "unit" in refused.value.message_dict


def test_routing_without_a_team_is_explained(shkoder, channel_category, admin, verified_client):
    response = verified_client(admin).post(
        "/en" + BASE + "routing/", {"category": channel_category.pk, "unit": "", "team": " "}
    )
    assert response.status_code == 400
    assert "Name the team or department." in response.content.decode()
    assert not RoutingRule.objects.filter(category=channel_category, unit=None).exists()


# --- area weights -------------------------------------------------------------------------------


def test_an_area_weight_changes_the_priority_score_with_its_reason_shown(
    client, shkoder, channel_category, admin, verified_client
):
    from sportel.core.models import AdministrativeUnit

    dajc = AdministrativeUnit.objects.get(municipality=shkoder, slug="dajc")
    AreaWeight.objects.filter(unit=dajc).delete()
    services.file_report(
        shkoder,
        category=channel_category,
        place=services.Place(address="Kanali", unit=dajc),
        description="Bllokuar",
        email="a@x.al",
        confirmed=True,
    )
    (before,) = selectors.priority_list(shkoder)
    assert before.area_weight == Decimal("1.00")
    staff = verified_client(admin)
    response = staff.post(
        BASE + "weights/", {"unit": dajc.pk, "weight": "1,5", "reason": "Zonë që përmbytet"}
    )
    assert response.status_code == 302
    (after,) = selectors.priority_list(shkoder)
    assert after.area_weight == Decimal("1.50") and after.score == before.score * Decimal("1.5")
    assert "Zonë që përmbytet" in staff.get(BASE + "weights/").content.decode()
    from django.test import Client

    public = Client().get("/shkoder/reports/priorities/").content.decode()
    assert "Zonë që përmbytet" in public and "1,50" in public
    row = AreaWeight.objects.get(unit=dajc)
    assert staff.post(f"{BASE}weights/{row.pk}/remove/").status_code == 302
    (back,) = selectors.priority_list(shkoder)
    assert back.area_weight == Decimal("1.00")
    assert AuditEntry.objects.filter(action="reports.area_weight_set").count() == 1
    assert AuditEntry.objects.filter(action="reports.area_weight_remove").count() == 1


@pytest.mark.parametrize(
    ("weight", "reason", "english"),
    [
        ("7", "x", "from 0.50 to 5.00"),
        ("0", "x", "from 0.50 to 5.00"),
        ("heavy", "x", "from 0.50 to 5.00"),
        ("1.2", "", "it is shown publicly"),
    ],
)
def test_bad_area_weights_are_explained(
    shkoder, categories, admin, verified_client, weight, reason, english
):
    unit = shkoder.units.first()
    AreaWeight.objects.filter(unit=unit).delete()
    response = verified_client(admin).post(
        "/en" + BASE + "weights/", {"unit": unit.pk, "weight": weight, "reason": reason}
    )
    assert response.status_code == 400 and english in response.content.decode()
    assert not AreaWeight.objects.filter(unit=unit).exists()


# --- the ban list -------------------------------------------------------------------------------


def _web_report(client, email="spam@x.al"):
    return client.post(
        "/en/shkoder/reports/new/irrigation-channel/",
        {
            "lat": "41.9826",
            "long": "19.4233",
            "channel_type": "secondary",
            "description": "Bllokuar",
            "email": email,
        },
    )


def _open311_post(client, key, fmt="json", **extra):
    return client.post(
        f"/open311/v2/requests.{fmt}",
        {
            "jurisdiction_id": "shkoder",
            "api_key": key,
            "service_code": "irrigation-channel",
            "lat": "41.9826",
            "long": "19.4233",
            "attribute[channel_type]": "secondary",
            "description": "Bllokuar",
            **extra,
        },
    )


def test_a_banned_reporter_is_refused_on_the_web_in_open311_and_for_me_too(
    client, shkoder, channel_category, admin, verified_client
):
    from lxml import etree

    key = services.add_api_key(shkoder, "App")
    first = file_one(shkoder, channel_category, email="spam@x.al")
    staff = verified_client(admin)
    response = staff.post(
        BASE + "bans/",
        {"kind": "reporter", "value": str(first.pk), "reason": "Raporte të rreme", "until": ""},
    )
    assert response.status_code == 302
    ban = BannedReporter.objects.get()
    assert ban.label == f"the reporter of report {first.pk}" or str(first.pk) in ban.label
    assert ban.banned_by == admin and ban.expires_at is None
    page = staff.get("/en" + BASE + "bans/").content.decode()
    assert "Raporte të rreme" in page and "Until lifted" in page
    assert "spam@x.al" not in page
    client.logout()
    before = Report.objects.count()
    web = _web_report(client)
    assert web.status_code == 400
    assert "Reports from this sender are not accepted." in web.content.decode()
    for fmt in ("json", "xml"):
        refused = _open311_post(client, key, fmt, email="spam@x.al")
        assert refused.status_code == 403
        if fmt == "json":
            assert (
                refused.json()
                == [{"code": 403, "description": "Reports from this sender are not accepted."}]
                or refused.json()[0]["code"] == 403
            )
        else:
            root = etree.fromstring(refused.content)
            assert root.tag == "errors" and root.findtext("error/code") == "403"
            assert root.findtext("error/description")
    voice = client.post(
        f"/en/shkoder/reports/clusters/{first.cluster_id}/voice/", {"email": "spam@x.al"}
    )
    assert voice.status_code == 400
    assert "Reports from this sender are not accepted." in voice.content.decode()
    assert Report.objects.count() == before
    # Another resident is not touched by the ban.
    assert _open311_post(client, key, email="other@x.al").status_code == 200


def test_device_and_address_bans_hold_in_open311(client, shkoder, channel_category, admin):
    key = services.add_api_key(shkoder, "App")
    configuration.ban(shkoder, actor=admin, kind="device", value="dev-77", reason="flood")
    refused = _open311_post(client, key, device_id="dev-77", email="new@x.al")
    assert refused.status_code == 403
    configuration.ban(shkoder, actor=admin, kind="ip", value="127.0.0.1", reason="flood")
    assert _open311_post(client, key, email="third@x.al").status_code == 403
    assert Report.objects.count() == 0


def test_a_ban_ends_at_its_date_and_when_lifted(shkoder, channel_category, admin, verified_client):
    from django.test import Client

    client = Client()  # the public's, apart from the administrator's session
    key = services.add_api_key(shkoder, "App")
    staff = verified_client(admin)
    until = timezone.localdate() + timedelta(days=3)
    response = staff.post(
        BASE + "bans/",
        {"kind": "email", "value": "loud@x.al", "reason": "abuse", "until": until.isoformat()},
    )
    assert response.status_code == 302
    ban = BannedReporter.objects.get()
    assert ban.label == "l***@x.al"
    assert _open311_post(client, key, email="loud@x.al").status_code == 403
    with time_machine.travel(timezone.now() + timedelta(days=5)):
        assert _open311_post(client, key, email="loud@x.al").status_code == 200
        # Banned again after it ended: a new row; the old one keeps its own end.
        configuration.ban(shkoder, actor=admin, kind="email", value="loud@x.al", reason="again")
        assert _open311_post(client, key, email="loud@x.al").status_code == 403
    assert BannedReporter.objects.count() == 2
    current = BannedReporter.objects.get(lifted_at__isnull=True)
    assert staff.post(f"{BASE}bans/{current.pk}/lift/").status_code == 302
    current.refresh_from_db()
    assert current.lifted_by == admin and current.lifted_at is not None
    assert _open311_post(client, key, email="loud@x.al").status_code == 200
    assert AuditEntry.objects.filter(action="reports.ban").count() == 2
    assert AuditEntry.objects.filter(action="reports.ban_lift").count() == 1


@pytest.mark.parametrize(
    ("data", "english"),
    [
        ({"kind": "reporter", "value": "999999"}, "Give the number of a report"),
        ({"kind": "email", "value": "nope"}, "Give a valid email address."),
        ({"kind": "ip", "value": "300.1.1.1"}, "Give an IP address"),
        ({"kind": "phone", "value": "12"}, "Give the phone number"),
        ({"kind": "", "value": "x"}, "Choose what to ban."),
        ({"kind": "email", "value": "a@x.al", "reason": ""}, "Give the reason"),
        ({"kind": "email", "value": "a@x.al", "until": "2020-01-01"}, "must end after today"),
        ({"kind": "email", "value": "a@x.al", "until": "soon"}, "Give a date"),
    ],
)
def test_bad_bans_are_explained_and_nothing_is_banned(
    shkoder, categories, admin, verified_client, data, english
):
    response = verified_client(admin).post(
        "/en" + BASE + "bans/", {"reason": "spam", "until": "", **data}
    )
    assert response.status_code == 400
    assert english in response.content.decode()
    assert not BannedReporter.objects.exists()


def test_a_report_of_another_municipality_cannot_be_banned_from_here(
    shkoder, lezhe, categories, admin
):
    lezhe_channel = Category.objects.get(municipality=lezhe, code="irrigation-channel")
    from sportel.reports import geo

    lat, long = geo.centre("lezhe")
    theirs = services.file_report(
        lezhe,
        category=lezhe_channel,
        place=services.Place(lat=Decimal(f"{lat:.6f}"), long=Decimal(f"{long:.6f}")),
        description="x",
        email="l@x.al",
        confirmed=True,
    ).report
    with pytest.raises(Exception) as refused:
        configuration.ban(shkoder, actor=admin, kind="reporter", value=str(theirs.pk), reason="x")
    assert "value" in refused.value.message_dict
    assert not BannedReporter.objects.exists()


def test_banning_twice_is_refused_while_the_first_holds(shkoder, categories, admin):
    configuration.ban(shkoder, actor=admin, kind="email", value="a@x.al", reason="spam")
    with pytest.raises(Exception) as refused:
        configuration.ban(shkoder, actor=admin, kind="email", value="A@x.al ", reason="spam")
    assert "tashmë i ndaluar" in str(refused.value.message_dict["value"])
    assert BannedReporter.objects.count() == 1


def test_until_is_a_date_in_the_municipalitys_calendar(shkoder, categories, admin):
    tomorrow = timezone.localdate() + timedelta(days=1)
    row = configuration.ban(
        shkoder, actor=admin, kind="email", value="a@x.al", reason="x", until=tomorrow
    )
    local = timezone.localtime(row.expires_at)
    assert local.date() == tomorrow and (local.hour, local.minute) == (23, 59)
    assert isinstance(tomorrow, date)
