"""A worker loads what issuing needs when it starts: after the warm-up, the first issuance finds
its seal loaded (the same object, no PKCS#12 read), the fonts parsed and the CMS template learnt."""

import pytest

pytestmark = pytest.mark.django_db


def test_warm_up_loads_fonts_and_every_active_seal_before_the_first_issuance(issue, shkoder):
    from sportel.core import warmup
    from sportel.documents import sealing

    sealing.forget_signers()
    took = warmup.run()
    assert {"core.urls_and_catalogues", "documents.fonts", "documents.seals"} <= set(took)
    assert "documents.sample_seal" in took
    loaded = {seal.slug: seal for seal in sealing.loaded_seals()}
    assert {"shkoder", "lezhe"} <= set(loaded)
    assert loaded["shkoder"].pdf_signer.signer._template  # the CMS template is learnt
    document = issue()
    assert sealing.load_seal(shkoder) is loaded["shkoder"]  # not read again
    assert document.seal_certificate.fingerprint == loaded["shkoder"].fingerprint


def test_warm_up_never_creates_a_log_key(seal_keys, settings):
    from sportel.core import warmup
    from sportel.documents.keys import log_key_path

    warmup.run()
    assert not log_key_path().exists()


def test_gunicorn_workers_run_the_warm_up_before_taking_requests():
    from sportel.core import gunicorn_conf

    assert callable(gunicorn_conf.post_worker_init)
