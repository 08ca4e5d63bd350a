"""The session, the signed-in account and the applicant's register entry are read through
prepared statements on PostgreSQL (decision 0035): each must give what the ORM gives, and the
same answer for an expired session, an unknown or inactive account and an unknown number."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.utils import timezone

from sportel.accounts.backends import LoginBackend
from sportel.accounts.models import User
from sportel.accounts.sessions import SessionStore
from sportel.core import prepared
from sportel.core.models import AdministrativeUnit, Person
from sportel.services.identity import _registered_person

from .factories import UserFactory


def _values(obj) -> dict:
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_prepared_reads_are_on_with_postgresql():
    assert prepared.enabled() == (connection.vendor == "postgresql")


@pytest.mark.django_db
def test_a_session_reads_back_and_an_expired_one_is_empty():
    store = SessionStore()
    store["_auth_user_id"] = "42"
    store["purpose"] = "Për bankën"
    store.save()
    again = SessionStore(store.session_key)
    assert again["_auth_user_id"] == "42" and again["purpose"] == "Për bankën"

    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    expired = SessionStore(store.session_key)
    assert dict(expired.items()) == {}
    assert expired.session_key is None
    assert dict(SessionStore("x" * 32).items()) == {}


@pytest.mark.django_db
def test_the_signed_in_account_is_the_one_the_orm_reads():
    user = UserFactory(nid="J00101001A", nid_verified=True, language="en")
    user.nid_verified_at = timezone.now()
    user.save()
    read = LoginBackend().get_user(str(user.pk))
    assert type(read) is User and not read._state.adding
    assert _values(read) == _values(User.objects.get(pk=user.pk))
    assert LoginBackend().get_user(str(user.pk + 1000)) is None
    with pytest.raises(ValueError):  # as Django's own backend: the session holds our ids only
        LoginBackend().get_user("not a number")
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert LoginBackend().get_user(str(user.pk)) is None


@pytest.mark.django_db
def test_the_register_entry_comes_with_its_unit(shkoder):
    unit = AdministrativeUnit.objects.create(municipality=shkoder, slug="rrethina", name="Rrethina")
    with_unit = Person.objects.create(
        municipality=shkoder, nid="J00101001A", first_name="Ana", last_name="Kola", unit=unit
    )
    without = Person.objects.create(
        municipality=shkoder, nid="J00101002B", first_name="Ben", last_name="Kola"
    )
    read = _registered_person(shkoder, "J00101001A")
    assert _values(read) == _values(with_unit)
    assert Person.unit.field.is_cached(read) and _values(read.unit) == _values(unit)
    read = _registered_person(shkoder, "J00101002B")
    assert _values(read) == _values(Person.objects.get(pk=without.pk))
    assert Person.unit.field.is_cached(read) and read.unit is None
    assert _registered_person(shkoder, "J00101003C") is None
