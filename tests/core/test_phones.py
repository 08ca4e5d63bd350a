"""One phone-number rule: the application forms, the counter's walk-in form, sign-up and the
account page all accept the same numbers and store them the same way (E.164)."""

import pytest

from sportel.accounts.normalize import is_phone, login_identifier
from sportel.core import phones
from sportel.services.forms import WalkInForm
from sportel.web.jsonforms import PhoneField

# (typed, stored) for numbers that are valid.
VALID = [
    ("069 123 4567", "+355691234567"),
    ("(069) 123-4567", "+355691234567"),
    ("00355 69 123 45 67", "+355691234567"),
    ("+355 69 123 4567", "+355691234567"),
    # Before: sign-up stored "+691234567" (a number in no country); the form refused it.
    ("69 123 4567", "+355691234567"),
    ("04 223 4567", "+35542234567"),  # a Tirana landline
    ("+44 7911 123456", "+447911123456"),  # diaspora: UK mobile
    ("0039 333 123 4567", "+393331234567"),  # Italy, with 00
    ("+1 202 555 0143", "+12025550143"),
]
INVALID = [
    "+355 69 123 456",  # a mobile number one digit short: both old rules accepted it
    "12345678",  # before: a valid login ("+12345678") at sign-up, refused by the form
    "+3556911",
    "069 123 4567 ext",  # letters
    "+355691234567ab",
]


@pytest.mark.parametrize(("typed", "stored"), VALID)
def test_a_valid_number_is_stored_in_e164_by_every_door(typed, stored):
    assert phones.to_e164(typed) == stored
    assert is_phone(typed) and login_identifier(typed) == stored
    assert PhoneField(required=False).clean(typed) == stored
    form = WalkInForm(
        data={"nid": "J00101001C", "phone": typed, "language": "sq", "identity_document": "id_card"}
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == stored


@pytest.mark.parametrize("typed", INVALID)
def test_an_invalid_number_is_refused_by_every_door(typed):
    from django.core.exceptions import ValidationError

    assert phones.to_e164(typed) is None
    assert not is_phone(typed)
    with pytest.raises(ValidationError) as refused:
        PhoneField(required=False).clean(typed)
    assert refused.value.messages == [
        "Shkruani një numër telefoni, si 069 123 4567 ose +355 69 123 4567."
    ]
    form = WalkInForm(
        data={"nid": "J00101001C", "phone": typed, "language": "sq", "identity_document": "id_card"}
    )
    assert not form.is_valid() and "phone" in form.errors


def test_the_api_accepts_only_numbers_already_in_e164():
    assert phones.is_e164("+355691234567")
    assert not phones.is_e164("069 123 4567")  # the API's documented format is E.164
    assert not phones.is_e164("+35569123456")


@pytest.mark.django_db
def test_a_profile_phone_is_checked_by_the_same_rule(client):
    from django.core.exceptions import ValidationError

    from sportel.accounts.models import User
    from sportel.accounts.services import update_profile

    user = User.objects.create_user("arta@example.al", password="x" * 12, full_name="Arta")
    update_profile(user, full_name="Arta", language="sq", email="", phone="69 123 4567")
    user.refresh_from_db()
    assert user.phone == "+355691234567"
    with pytest.raises(ValidationError):
        update_profile(user, full_name="Arta", language="sq", email="", phone="+355 69 123 456")
