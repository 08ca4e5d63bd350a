"""Voting at a kiosk: the resident signs in with the floor's kiosk sign-in (personal number and
an SMS code), casts or changes the one ballot they have (online, kiosk or counter alike), and
the kiosk session ends when left idle or finished."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from sportel.accounts.roles import Role
from sportel.core.models import Notification
from sportel.floor import services as floor
from sportel.floor.models import Device
from sportel.participation import services
from sportel.participation.models import Ballot, Phase
from tests.floor.factories import make_office

PHONE = "+355691234000"


def en(name, municipality, **kwargs):
    with translation.override("en"):
        return reverse(name, kwargs={"municipality_slug": municipality.slug, **kwargs})


@pytest.fixture
def kiosk(shkoder, make_staff):
    office = make_office(shkoder)
    admin = make_staff(shkoder, Role.ADMINISTRATOR)
    device, token = floor.register_device(office, kind="kiosk", name="K", actor=admin)
    return device, token


@pytest.fixture
def voter(shkoder, make_resident):
    user = make_resident(shkoder)
    user.phone, user.nid_verified_at, user.language = PHONE, timezone.now(), "en"
    user.save()
    return user


def sign_in(client, municipality, token, nid, phone=PHONE):
    client.cookies["django_language"] = "en"
    client.post(en("floor:kiosk-sign-in", municipality, token=token), {"nid": nid})
    body = Notification.objects.filter(recipient=phone, channel="sms").latest("pk").body
    code = re.search(r"\b(\d{6})\b", body).group(1)
    done = client.post(en("floor:kiosk-sign-in-code", municipality, token=token), {"code": code})
    assert done.status_code == 302
    return client


def test_a_resident_signs_in_at_the_kiosk_and_changes_the_ballot_cast_online(
    shkoder, kiosk, voter, make_budget, client
):
    _device, token = kiosk
    budget = make_budget(phase=Phase.VOTING, projects=[3_000_000, 2_000_000], max_projects=1)
    first, second = budget.projects.order_by("number")
    services.cast_ballot(budget, voter=voter, projects=[first.pk])  # online, from home

    start = client.get(en("floor:kiosk", shkoder, token=token)).content.decode()
    votes_url = en("participation:kiosk-votes", shkoder, token=token)
    assert votes_url.removeprefix("/en") in start or votes_url in start
    # Not signed in: the kiosk's own sign-in (personal number + SMS code).
    away = client.get(votes_url)
    assert away["Location"] == en("floor:kiosk-sign-in", shkoder, token=token)

    sign_in(client, shkoder, token, voter.nid)
    listed = client.get(votes_url)
    assert listed["Cache-Control"].startswith("no-store") or "no-store" in listed["Cache-Control"]
    assert f"Change my ballot: {budget.title}" in listed.content.decode()
    page = en("participation:kiosk-vote", shkoder, token=token, slug=budget.slug)
    shown = client.get(page).content.decode()
    assert f'value="{first.pk}" checked' in shown
    assert 'data-floor-idle="60"' in shown  # back to the start screen when left alone

    over = client.post(page, {"projects": [first.pk, second.pk]})
    assert over.status_code == 400
    assert "You chose 2 projects; at most 1 are allowed." in over.content.decode()
    done = client.post(page, {"projects": [second.pk]})
    assert done["Location"] == en(
        "participation:kiosk-voted", shkoder, token=token, slug=budget.slug
    )
    assert "Your ballot is recorded" in client.get(done["Location"]).content.decode()
    ballot = Ballot.objects.get(budget=budget)  # one ballot per person, across channels
    assert (ballot.channel, ballot.changes) == ("kiosk", 1)
    assert list(ballot.projects.all()) == [second]

    finished = client.post(en("participation:kiosk-finish", shkoder, token=token))
    assert finished["Location"] == en("floor:kiosk", shkoder, token=token)
    assert "_auth_user_id" not in client.session
    assert client.get(page)["Location"] == en("floor:kiosk-sign-in", shkoder, token=token)


def test_the_kiosk_session_ends_when_left_idle_and_nothing_is_counted(
    shkoder, kiosk, voter, make_budget, client, settings
):
    settings.SPORTEL_KIOSK_IDLE_SECONDS = 120
    _device, token = kiosk
    budget = make_budget(phase=Phase.VOTING, projects=[3_000_000])
    project = budget.projects.get()
    sign_in(client, shkoder, token, voter.nid)
    page = en("participation:kiosk-vote", shkoder, token=token, slug=budget.slug)
    assert client.get(page).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=121), tick=False):
        left = client.post(page, {"projects": [project.pk]})
    assert left["Location"] == en("floor:kiosk-sign-in", shkoder, token=token)
    assert not Ballot.objects.exists()


def test_a_web_session_another_unit_a_closed_vote_and_bad_kiosks_are_refused(
    shkoder, lezhe, kiosk, voter, make_budget, make_resident, make_staff, client
):
    device, token = kiosk
    unit_b = shkoder.units.order_by("pk")[1]
    budget = make_budget(phase=Phase.VOTING, projects=[3_000_000])
    project = budget.projects.get()
    page = en("participation:kiosk-vote", shkoder, token=token, slug=budget.slug)

    # Signed in on the web (not on this kiosk): sent to the kiosk's sign-in, nothing counted.
    client.force_login(voter)
    assert client.post(page, {"projects": [project.pk]}).status_code == 302
    assert not Ballot.objects.exists()
    client.logout()

    sign_in(client, shkoder, token, voter.nid)
    other_unit = make_budget(phase=Phase.VOTING, projects=[1_000_000], unit=unit_b)
    refused = client.get(
        en("participation:kiosk-vote", shkoder, token=token, slug=other_unit.slug)
    ).content.decode()
    assert f"Only residents of {unit_b.name} can vote in this budget." in refused
    forced = client.post(
        en("participation:kiosk-vote", shkoder, token=token, slug=other_unit.slug),
        {"projects": [other_unit.projects.get().pk]},
    )
    assert forced.status_code == 400
    closed = make_budget(phase=Phase.RESULTS, projects=[1_000_000])
    said = client.post(
        en("participation:kiosk-vote", shkoder, token=token, slug=closed.slug),
        {"projects": [closed.projects.get().pk]},
    )
    assert said.status_code == 400 and "The vote closed on" in said.content.decode()
    draft = make_budget(phase=Phase.DRAFT, projects=[1_000_000])
    assert (
        client.get(
            en("participation:kiosk-vote", shkoder, token=token, slug=draft.slug)
        ).status_code
        == 404
    )
    assert not Ballot.objects.exists()
    # The list offers only what this resident may vote in.
    listed = client.get(en("participation:kiosk-votes", shkoder, token=token)).content.decode()
    assert f"Vote: {budget.title}" in listed and f"Vote: {other_unit.title}" not in listed

    # Another municipality's path, a kiosk without sign-in, a revoked kiosk.
    assert client.get(en("participation:kiosk-votes", lezhe, token=token)).status_code == 404
    Device.objects.filter(pk=device.pk).update(functions=["ticket"])
    assert client.get(page).status_code == 404
    Device.objects.filter(pk=device.pk).update(functions=["ticket", "apply"])
    floor.revoke_device(device, actor=make_staff(shkoder, Role.ADMINISTRATOR))
    assert client.post(page, {"projects": [project.pk]}).status_code == 403
    assert not Ballot.objects.exists()
