"""The staff home: municipality, roles, links; another municipality's staff home is 403."""

import pytest

from sportel.accounts import services
from sportel.accounts.staff import STAFF_LINKS, register_staff_link
from sportel.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_staff_home_shows_the_municipality_and_the_roles(shkoder, make_staff, verified_client):
    clerk = make_staff(shkoder, "clerk")
    services.grant_role(clerk, shkoder, "manager")
    text = verified_client(clerk).get("/en/shkoder/staff/").content.decode()
    assert "Shkodër" in text
    assert "Front-office clerk, Manager" in text


def test_lezhe_staff_get_403_on_the_shkoder_staff_home(shkoder, lezhe, make_staff, verified_client):
    client = verified_client(make_staff(lezhe, "administrator"))
    assert client.get("/lezhe/staff/").status_code == 200
    assert client.get("/shkoder/staff/").status_code == 403


def test_citizens_get_403_on_a_staff_home(shkoder, client):
    from .factories import UserFactory

    client.force_login(UserFactory())
    assert client.get("/shkoder/staff/").status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(shkoder, client):
    response = client.get("/shkoder/staff/")
    assert response.status_code == 302 and "/account/login/" in response.url


@pytest.fixture
def staff_links():
    """The registry as the installed modules filled it, put back as it was after the test."""
    saved = list(STAFF_LINKS)
    yield STAFF_LINKS
    STAFF_LINKS[:] = saved


def test_modules_add_links_shown_only_to_roles_that_may_use_them(
    shkoder, make_staff, verified_client, staff_links
):
    registered_by_modules = list(staff_links)
    register_staff_link("Audit log", "staff:home", "audit.read")
    manager = verified_client(make_staff(shkoder, "manager"))
    assert "Audit log" in manager.get("/shkoder/staff/").content.decode()
    manager.logout()
    clerk = verified_client(make_staff(shkoder, "clerk"))
    assert "Audit log" not in clerk.get("/shkoder/staff/").content.decode()
    assert staff_links[: len(registered_by_modules)] == registered_by_modules


def test_after_a_test_adds_a_link_the_modules_links_are_still_on_the_staff_home(
    shkoder, make_staff, verified_client
):
    # Runs after the test above (file order): what it registered is gone, and the links the
    # installed modules registered at start-up are all still shown.
    text = verified_client(make_staff(shkoder, "manager")).get("/en/shkoder/staff/").content
    text = text.decode()
    assert "Audit log" not in text
    assert "Cases" in text and "Issued documents" in text


def test_role_grants_are_audited_in_the_municipality_chain(shkoder, make_staff):
    admin = make_staff(shkoder, "administrator")
    clerk = make_staff(shkoder, "clerk")
    services.grant_role(clerk, shkoder, "specialist", actor=admin)
    services.grant_role(clerk, shkoder, "specialist", actor=admin)  # idempotent
    entries = AuditEntry.objects.filter(action="staff.role_grant", chain="shkoder")
    assert entries.count() == 1 and entries.get().actor == admin
    assert services.revoke_role(clerk, shkoder, "specialist", actor=admin)
    assert clerk.roles_in(shkoder) == {"clerk"}


def test_operator_grants_a_role_in_the_admin_and_it_is_audited(shkoder, client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .factories import UserFactory

    operator = UserFactory(is_platform_operator=True, is_staff=True, is_superuser=True)
    device = TOTPDevice.objects.create(user=operator, name="op", confirmed=True)
    clerk = UserFactory()
    client.force_login(operator)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    response = client.post(
        "/admin/accounts/staffrole/add/",
        {"user": clerk.pk, "municipality": shkoder.pk, "role": "clerk"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert clerk.roles_in(shkoder) == {"clerk"}
    entry = AuditEntry.objects.get(action="staff.role_grant")
    assert entry.actor == operator and entry.chain == "shkoder"
