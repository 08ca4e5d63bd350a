"""Documents fixtures: a development seal for Shkodër and Lezhë in a per-test key directory."""

import pytest


@pytest.fixture
def seal_keys(settings, tmp_path, shkoder, lezhe):
    """Development CA and seals under a fresh SPORTEL_DATA_DIR/keys (and signer caches cleared)."""
    from sportel.documents import keys, sealing

    settings.DATA_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    sealing.forget_signers()
    keys.init_development_seal(shkoder.slug, shkoder.name)
    keys.init_development_seal(lezhe.slug, lezhe.name)
    yield tmp_path / "keys"
    sealing.forget_signers()


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
