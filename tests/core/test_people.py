import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from sportel.core.models import Person
from sportel.core.services import register_business, register_person


def test_the_same_nid_registers_once_per_municipality(shkoder, lezhe):
    first = register_person(shkoder, nid="J00101001C", first_name="Arta", last_name="Krasniqi")
    again = register_person(
        shkoder, nid="j0010 1001c", first_name="Arta", last_name="Krasniqi", phone="+355691234567"
    )
    assert first.created and not again.created
    assert again.obj.pk == first.obj.pk
    assert Person.objects.get(pk=first.obj.pk).phone == "+355691234567"
    elsewhere = register_person(lezhe, nid="J00101001C", first_name="Arta", last_name="Krasniqi")
    assert elsewhere.created


def test_malformed_nid_is_refused_with_a_reason_in_both_languages(shkoder):
    with pytest.raises(ValidationError) as err:
        register_person(shkoder, nid="12345", first_name="A", last_name="B")
    assert "10 karaktere" in str(err.value)
    with translation.override("en"), pytest.raises(ValidationError) as err:
        register_person(shkoder, nid="12345", first_name="A", last_name="B")
    assert "10 characters" in str(err.value)
    assert not Person.objects.exists()


def test_wrong_check_letter_needs_the_clerks_override(shkoder):
    with pytest.raises(ValidationError) as err:
        register_person(shkoder, nid="J00101001D", first_name="A", last_name="B")
    assert err.value.error_dict["nid"][0].code == "check_letter"
    done = register_person(
        shkoder, nid="J00101001D", first_name="A", last_name="B", override_check=True
    )
    assert done.warning and done.obj.nid_check_overridden


def test_malformed_nipt_is_refused(shkoder):
    with pytest.raises(ValidationError):
        register_business(shkoder, nipt="K12", name="Bar Rozafa")


def test_the_same_nipt_registers_once_per_municipality(shkoder, lezhe):
    from sportel.core.identifiers import check_letter
    from sportel.core.models import Business

    nipt = "L21721001" + check_letter("L21721001")
    first = register_business(shkoder, nipt=nipt, name="Bar Rozafa")
    again = register_business(
        shkoder, nipt=f" {nipt.lower()[:5]} {nipt.lower()[5:]}", name="Rozafa"
    )
    assert first.created and not again.created and again.warning is None
    assert again.obj.pk == first.obj.pk and again.obj.name == "Bar Rozafa"
    assert register_business(lezhe, nipt=nipt, name="Bar Rozafa").created
    assert Business.objects.filter(nipt=nipt).count() == 2
