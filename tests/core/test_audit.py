import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sportel.core import audit
from sportel.core.models import AuditEntry
from sportel.core.services import register_person


def _verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def test_every_write_lands_in_a_chain_that_verifies(shkoder):
    register_person(shkoder, nid="J00101001C", first_name="Arta", last_name="Krasniqi")
    register_person(
        shkoder, nid="K31231001W"[:9] + "W", first_name="Ben", last_name="Leka", override_check=True
    )
    entries = list(AuditEntry.objects.filter(chain="shkoder"))
    assert [e.action for e in entries] == ["person.create", "person.create"]
    assert entries[1].prev_hash == entries[0].hash
    assert "audit log intact" in _verify()


def test_a_forged_entry_is_named_by_audit_verify(shkoder):
    for n in range(3):
        audit.record("test.write", municipality=shkoder, data={"n": n})
    AuditEntry.objects.filter(chain="shkoder", seq=2).update(data={"n": 99})
    with pytest.raises(CommandError):
        out = io.StringIO()
        call_command("audit", "verify", stdout=out)
    assert "first broken entry #2" in out.getvalue()
    assert "edited" in out.getvalue()


def test_a_deleted_entry_is_detected(shkoder):
    for n in range(3):
        audit.record("test.write", municipality=shkoder, data={"n": n})
    AuditEntry.objects.filter(chain="shkoder", seq=3).delete()
    report = audit.verify_chain("shkoder")
    assert report.broken_at == 3


def test_a_rewritten_chain_still_fails_against_its_head(shkoder):
    audit.record("test.write", municipality=shkoder, data={"n": 1})
    entry = AuditEntry.objects.get(chain="shkoder", seq=1)
    entry.data = {"n": 2}
    entry.hash = audit.compute_hash(entry)
    entry.save()
    assert audit.verify_chain("shkoder").broken_at is not None


def test_chains_are_per_municipality(shkoder, lezhe):
    audit.record("test.write", municipality=shkoder)
    audit.record("test.write", municipality=lezhe)
    assert AuditEntry.objects.get(chain="lezhe").seq == 1
    assert AuditEntry.objects.get(chain="shkoder").seq == 1


def test_deferred_entries_are_written_together_at_the_end_and_the_chain_verifies(shkoder, lezhe):
    from django.db import transaction

    from sportel.core import audit
    from sportel.core.models import AuditEntry

    before = AuditEntry.objects.filter(chain="shkoder").count()
    with transaction.atomic(), audit.deferred():
        for n in range(4):
            audit.record("test.write", municipality=shkoder, data={"n": n})
        audit.record("test.write", municipality=lezhe, data={"n": 9})
        # Nothing is written (nor the head locked) until the block ends.
        assert AuditEntry.objects.filter(chain="shkoder").count() == before
    entries = list(AuditEntry.objects.filter(chain="shkoder").order_by("seq"))[before:]
    assert [e.data["n"] for e in entries] == [0, 1, 2, 3]
    assert all(report.broken_at is None for report in audit.verify_all())


def test_deferred_entries_vanish_with_a_block_that_raises(shkoder):
    from django.db import transaction

    from sportel.core import audit
    from sportel.core.models import AuditEntry

    before = AuditEntry.objects.count()
    with pytest.raises(ValueError), transaction.atomic(), audit.deferred():
        audit.record("test.write", municipality=shkoder)
        raise ValueError("the work failed")
    assert AuditEntry.objects.count() == before


def test_an_entry_in_a_savepoint_that_rolls_back_goes_with_it_and_the_rest_stays(shkoder):
    """An entry recorded inside a savepoint is written with that savepoint's work, so a
    rolled-back savepoint takes its entry along while the block's other entries are kept."""
    from django.db import transaction

    from sportel.core import audit
    from sportel.core.models import AuditEntry

    with transaction.atomic(), audit.deferred():
        audit.record("test.kept", municipality=shkoder)
        try:
            with transaction.atomic():
                audit.record("test.undone", municipality=shkoder)
                raise ValueError
        except ValueError:
            pass
        audit.record("test.kept", municipality=shkoder)
    actions = list(AuditEntry.objects.filter(chain="shkoder").values_list("action", flat=True))
    assert actions.count("test.kept") == 2 and "test.undone" not in actions
    assert audit.verify_chain("shkoder").broken_at is None


@pytest.mark.django_db(transaction=True)
def test_deferred_refuses_to_run_outside_a_transaction():
    from sportel.core import audit

    with pytest.raises(RuntimeError, match="inside the transaction"), audit.deferred():
        pass
