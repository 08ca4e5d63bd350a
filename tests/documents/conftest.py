"""Documents fixtures: seal_keys (tests/conftest.py) and a citizen to issue to."""

import pytest


@pytest.fixture
def citizen(shkoder):
    from sportel.core.services import register_person

    return register_person(shkoder, nid="J00101001C", first_name="Arta", last_name="Krasniqi").obj


@pytest.fixture
def issue(seal_keys, shkoder, citizen):
    """issue(**overrides) → an IssuedDocument for Arta Krasniqi in Shkodër, sealed as a warm
    worker seals it: the seals loaded and their CMS template learnt at start (core.warmup), so
    the signature's update is written directly (documents/pdf/signature.py), not by pyHanko;
    ``pyhanko_issue`` is the other way."""
    from sportel.documents import warmup
    from sportel.documents.services import issue_document

    warmup.load_seals()
    warmup.seal_a_sample()

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


@pytest.fixture
def pyhanko_issue(seal_keys, shkoder, citizen):
    """issue() on a cold seal: the first document a seal signs goes through pyHanko's sign_pdf
    (and teaches the seal its CMS template)."""
    from sportel.documents import sealing
    from sportel.documents.services import issue_document

    def make(**overrides):
        sealing.forget_signers()
        kwargs = {
            "document_type": "residence-certificate",
            "title": {"sq": "Vërtetim banimi", "en": "Certificate of residence"},
            "fields": [("Adresa", "Rruga Çajupi 5, Shkodër")],
            "holder": citizen,
            "body": "Vërtetohet se shtetasja banon në adresën e mësipërme.",
            "case_reference": "SHK-2026-000123",
        }
        kwargs.update(overrides)
        return issue_document(shkoder, **kwargs)

    return make
