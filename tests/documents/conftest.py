"""Documents fixtures: seal_keys (tests/conftest.py) and a citizen to issue to."""

import pytest


@pytest.fixture
def citizen(shkoder):
    from sportel.core.services import register_person

    return register_person(shkoder, nid="J00101001C", first_name="Arta", last_name="Krasniqi").obj


@pytest.fixture
def issue(seal_keys, shkoder, citizen):
    """issue(**overrides) → an IssuedDocument for Arta Krasniqi in Shkodër."""
    from sportel.documents.services import issue_document

    def make(municipality=None, **overrides):
        kwargs = {
            "document_type": "residence-certificate",
            "title": {"sq": "Vërtetim banimi", "en": "Certificate of residence"},
            "fields": [
                ("Adresa", "Rruga Çajupi 5, Shkodër"),
                ("Njësia administrative", "Shkodër"),
            ],
            "holder": citizen,
            "body": "Vërtetohet se shtetasja banon në adresën e mësipërme.",
            "case_reference": "SHK-2026-000123",
        }
        kwargs.update(overrides)
        return issue_document(municipality or shkoder, **kwargs)

    return make
