"""ISO 11649 creditor references: made, validated, found in text, round-tripped."""

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sportel.revenue import rf

bodies = st.text(alphabet=string.digits + string.ascii_uppercase, min_size=1, max_size=21)


def test_the_standards_example_is_valid():
    assert rf.is_valid("RF18 5390 0754 7034")
    assert rf.is_valid("RF18539007547034")
    assert not rf.is_valid("RF19539007547034")
    assert rf.make("539007547034") == "RF18539007547034"


@given(bodies)
def test_a_made_reference_round_trips(body):
    reference = rf.make(body)
    assert rf.is_valid(reference)
    assert rf.body_of(rf.grouped(reference)) == body
    assert rf.validate(rf.grouped(reference).lower()) == reference
    assert len(reference) <= 25


@given(bodies, st.data())
def test_any_single_character_changed_is_caught(body, data):
    # MOD 97-10 catches every change of a digit into another digit or of a letter into another
    # letter (a letter is two digits; 97 divides no difference they can make).
    reference = rf.make(body)
    position = data.draw(st.integers(min_value=2, max_value=len(reference) - 1))
    same_kind = string.digits if reference[position].isdigit() else string.ascii_uppercase
    replacement = data.draw(st.sampled_from(same_kind).filter(lambda c: c != reference[position]))
    changed = reference[:position] + replacement + reference[position + 1 :]
    assert not rf.is_valid(changed)


@pytest.mark.parametrize(
    "value", ["", "RF", "RF1", "RF18", "XX18539007547034", "RF18-5390", "RF18" + "1" * 22]
)
def test_malformed_references_are_refused(value):
    assert not rf.is_valid(value)
    with pytest.raises(rf.InvalidReference):
        rf.validate(value)


def test_a_reference_is_found_in_free_text():
    reference = rf.make("SHK26P0000000042")
    text = f"Pagese taksa vendore {rf.grouped(reference)} Arta Kola"
    assert rf.find_in_text(text) == reference
    assert rf.find_in_text("Pagese per RF00 1234 taksa") is None


@pytest.mark.postgres_only
@pytest.mark.django_db
def test_the_databases_reference_is_rf_make():
    """``revenue_rf`` (migration 0014), with which an assessment batch makes its invoices'
    references in SQL (decision 0033), gives what ``rf.make`` gives."""
    import random

    from django.db import connection

    rng = random.Random(11649)
    alphabet = string.digits + string.ascii_uppercase
    bodies = ["539007547034", "SHK26P0000000042", "0", "Z" * 21, "TIR26B1234567890"]
    bodies += ["".join(rng.choices(alphabet, k=rng.randint(1, 21))) for _ in range(2000)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT b, revenue_rf(b) FROM unnest(%s::text[]) b", [bodies])
        made = cursor.fetchall()
    assert made == [(body, rf.make(body)) for body in bodies]
