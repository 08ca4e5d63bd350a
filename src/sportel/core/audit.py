"""The append-only, hash-chained audit log.

Every write and every staff read of personal data calls :func:`record` inside the same
transaction as the work it describes, so an entry exists exactly when the work committed.
Chains are per municipality (``platform`` for platform-wide actions) so municipalities do not
queue behind each other; inside one chain the head row is locked while appending.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from .models import AuditEntry, AuditHead, Municipality, Person

GENESIS = "0" * 64
PLATFORM_CHAIN = "platform"


def _canonical(entry: AuditEntry) -> bytes:
    content = {
        "chain": entry.chain,
        "seq": entry.seq,
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "actor_role": entry.actor_role,
        "municipality": entry.municipality_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "subject": entry.subject_id,
        "subject_user": entry.subject_user_id,
        "reason": entry.reason,
        "data": entry.data,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode()


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(entry.prev_hash.encode() + _canonical(entry)).hexdigest()


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    return actor.get_username()


def record(
    action: str,
    *,
    actor=None,
    municipality: Municipality | None = None,
    obj: models.Model | None = None,
    subject: Person | None = None,
    subject_user=None,
    role: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the municipality's chain (or the platform chain).

    ``actor`` is a user, a label such as ``"kiosk:SHK-1"`` or None for the system. ``data`` must
    not hold personal data beyond identifiers: it is for what changed, not who the person is.
    """
    chain = municipality.slug if municipality else PLATFORM_CHAIN
    # savepoint=False: inside the caller's transaction an audit failure must abort the caller's
    # work anyway, so a savepoint would only cost two statements per write.
    with transaction.atomic(savepoint=False):
        head = _locked_head(chain)
        entry = AuditEntry(
            chain=chain,
            seq=head.seq + 1,
            at=timezone.now(),
            actor=actor if actor is not None and not isinstance(actor, str) else None,
            actor_label=_actor_label(actor),
            actor_role=role,
            municipality=municipality,
            action=action,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
            subject=subject,
            subject_user=subject_user,
            reason=reason,
            data=data or {},
            prev_hash=head.hash,
        )
        # Round-trip the JSON so the hash is computed over exactly what the database returns.
        entry.data = json.loads(json.dumps(entry.data, default=str))
        entry.hash = compute_hash(entry)
        entry.save(force_insert=True)
        AuditHead.objects.filter(chain=chain).update(seq=entry.seq, hash=entry.hash)
    return entry


def _locked_head(chain: str) -> AuditHead:
    """The chain's head row, locked until the transaction ends (created on a chain's first entry)."""
    head = AuditHead.objects.select_for_update().filter(chain=chain).first()
    if head is not None:
        return head
    try:
        with transaction.atomic():
            AuditHead.objects.create(chain=chain, seq=0, hash=GENESIS)
    except IntegrityError:
        pass  # another transaction started this chain first: lock theirs
    return AuditHead.objects.select_for_update().get(chain=chain)


def record_read(actor, person: Person, *, reason: str, role: str = "") -> AuditEntry:
    """A staff member looked at a person's data: shown to that person as 'who accessed my data'."""
    return record(
        "person.read",
        actor=actor,
        municipality=person.municipality,
        obj=person,
        subject=person,
        subject_user=person.user,
        role=role,
        reason=reason,
    )


@dataclass
class ChainReport:
    chain: str
    entries: int
    broken_at: int | None = None
    problem: str = ""


def verify_chain(chain: str) -> ChainReport:
    """Recompute one chain from its first entry; stop at the first entry that does not fit."""
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    for entry in AuditEntry.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
        count += 1
        if entry.seq != expected_seq:
            return ChainReport(
                chain,
                count,
                entry.seq,
                f"expected entry {expected_seq}, found {entry.seq} (an entry is missing)",
            )
        if entry.prev_hash != expected_prev:
            return ChainReport(
                chain, count, entry.seq, "prev_hash does not match the previous entry's hash"
            )
        if compute_hash(entry) != entry.hash:
            return ChainReport(
                chain, count, entry.seq, "content does not match its hash (the entry was edited)"
            )
        expected_prev = entry.hash
        expected_seq += 1
    head = AuditHead.objects.filter(chain=chain).first()
    if head is not None and (head.seq != expected_seq - 1 or head.hash != expected_prev):
        return ChainReport(
            chain,
            count,
            expected_seq,
            "the chain ends before its recorded head (entries were removed)",
        )
    return ChainReport(chain, count)


def verify_all() -> list[ChainReport]:
    chains = set(AuditHead.objects.values_list("chain", flat=True)) | set(
        AuditEntry.objects.values_list("chain", flat=True).distinct()
    )
    return [verify_chain(chain) for chain in sorted(chains)]


def accesses_to(user) -> models.QuerySet[AuditEntry]:
    """Entries where staff read or changed data about this citizen, newest first."""
    return (
        AuditEntry.objects.filter(models.Q(subject_user=user) | models.Q(subject__user=user))
        .exclude(actor=user)
        .select_related("municipality")
        .order_by("-at")
    )
