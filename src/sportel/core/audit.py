"""The append-only, hash-chained audit log.

Every write and every staff read of personal data calls :func:`record` inside the same
transaction as the work it describes, so an entry exists exactly when the work committed.
Chains are per municipality (``platform`` for platform-wide actions) so municipalities do not
queue behind each other; inside one chain the head row is locked while appending.
"""

import hashlib
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, connections, models, transaction
from django.utils import timezone

from . import prepared
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
    entry = AuditEntry(
        chain=chain,
        at=timezone.now(),
        actor=actor if actor is not None and not isinstance(actor, str) else None,
        actor_label=_actor_label(actor),
        actor_role=role,
        municipality=municipality,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        subject=subject,
        # A user or only its id (saves loading the user row to name it).
        subject_user_id=getattr(subject_user, "pk", subject_user),
        reason=reason,
        # Round-trip the JSON so the hash is computed over exactly what the database returns.
        data=json.loads(json.dumps(data or {}, default=str)),
    )
    batch = getattr(_deferred, "batch", None)
    if batch is not None and batch.depth == _savepoints():
        batch.entries.append(entry)
        return entry
    # savepoint=False: inside the caller's transaction an audit failure must abort the caller's
    # work anyway, so a savepoint would only cost two statements per write.
    with transaction.atomic(savepoint=False):
        _append(chain, [entry])
    return entry


def _append(chain: str, entries: list[AuditEntry]) -> None:
    """Chain and write entries of one chain under its head's lock (the caller's transaction)."""
    claimed = _claim_head(chain, len(entries))
    if claimed is None:  # no UPDATE ... RETURNING here: lock, then write the head apart
        seq, previous = _locked_head(chain)
    else:
        seq, previous = claimed[0] - len(entries), claimed[1]
    for entry in entries:
        seq += 1
        entry.seq, entry.prev_hash = seq, previous
        entry.hash = previous = compute_hash(entry)
    if connection.vendor == "postgresql":
        _insert_with_head(chain, entries, seq, previous)
        return
    if len(entries) == 1:
        entries[0].save(force_insert=True)
    else:
        AuditEntry.objects.bulk_create(entries)
    # The head's statements are written out: every write of the platform runs them, and the
    # ORM spends ~0.3 ms of CPU building each one (docs/benchmarks.md, instant certificates).
    with connection.cursor() as cursor:
        cursor.execute(_head_sql(_HEAD_UPDATE), [seq, previous, chain])


def _claim_head(chain: str, count: int) -> tuple[int, str] | None:
    """Lock the chain's head and move its sequence on by ``count`` in one statement: (the new
    last seq, the hash before these entries). The UPDATE takes the row lock that ``SELECT ...
    FOR UPDATE`` would, and a writer that waited for it re-reads the row it then updates, so
    two writers never get the same numbers. The head row is created on a chain's first
    entry. None where the database cannot return from an UPDATE."""
    if not connection.features.can_return_columns_from_insert:
        return None
    with prepared.cursor() as cursor:
        cursor.execute(_head_sql(_HEAD_CLAIM), [count, chain])
        row = cursor.fetchone()
        if row is None:
            try:
                with transaction.atomic():
                    AuditHead.objects.create(chain=chain, seq=0, hash=GENESIS)
            except IntegrityError:
                pass  # another transaction started this chain first: wait for theirs
            cursor.execute(_head_sql(_HEAD_CLAIM), [count, chain])
            row = cursor.fetchone()
    return row[0], row[1]


def _insert_with_head(chain: str, entries: list[AuditEntry], seq: int, last_hash: str) -> None:
    """PostgreSQL: the entries and the head's new hash in one statement (a data-modifying
    ``WITH``). The columns are the model's own, prepared by its fields, as ``save()`` would."""
    db = connections[connection.alias]  # the wrapper itself: fields read it many times
    fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
    columns = ",".join(db.ops.quote_name(f.column) for f in fields)
    row = "(" + ",".join(["%s"] * len(fields)) + ")"
    params: list = []
    for entry in entries:
        params += [f.get_db_prep_save(f.pre_save(entry, add=True), db) for f in fields]
    table = db.ops.quote_name(AuditEntry._meta.db_table)
    sql = (
        f"WITH e AS (INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 -- our own names
        + ", ".join([row] * len(entries))
        + " RETURNING id), h AS ("
        + _head_sql(_HEAD_UPDATE)
        + ") SELECT id FROM e"
    )
    with prepared.cursor() as cursor:
        cursor.execute(sql, [*params, seq, last_hash, chain])
        ids = [r[0] for r in cursor.fetchall()]
    for entry, pk in zip(entries, ids, strict=True):  # RETURNING keeps the VALUES order
        entry.pk = pk
        entry._state.adding, entry._state.db = False, connection.alias


def _savepoints() -> int:
    """How many savepoints are open (an ``atomic(savepoint=False)`` block opens none: it rolls
    back with its outer block)."""
    return sum(1 for sid in connection.savepoint_ids if sid is not None)


class _Batch:
    def __init__(self, depth: int):
        self.depth = depth
        self.entries: list[AuditEntry] = []


_deferred = threading.local()


@contextmanager
def deferred():
    """Append the entries recorded inside the block together when it ends, in the same
    transaction: the chain's head (one row per municipality, which every write of that
    municipality must lock) is then locked for the last few statements of the transaction
    only, not from the first entry on, and N entries cost three statements instead of 3 N.

    Use it directly inside ``transaction.atomic()``; nothing is written if the block raises.
    An entry recorded inside a savepoint opened within the block is written at once, with the
    work of that savepoint (it may roll back alone), so it can precede earlier entries of the
    block in the chain; each entry keeps its own time.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit.deferred() must run inside the transaction it audits")
    if getattr(_deferred, "batch", None) is not None:
        yield  # already deferring: the outer block writes
        return
    batch = _deferred.batch = _Batch(_savepoints())
    try:
        yield
        chains: dict[str, list[AuditEntry]] = {}
        for entry in batch.entries:
            chains.setdefault(entry.chain, []).append(entry)
        for chain in sorted(chains):  # one order for every writer: no deadlock between chains
            _append(chain, chains[chain])
    finally:
        _deferred.batch = None


def _head_sql(template: str) -> str:
    table = connection.ops.quote_name(AuditHead._meta.db_table)
    return template.format(table=table)


_HEAD_SELECT = 'SELECT "seq", "hash" FROM {table} WHERE "chain" = %s'
_HEAD_UPDATE = 'UPDATE {table} SET "seq" = %s, "hash" = %s WHERE "chain" = %s'
_HEAD_CLAIM = 'UPDATE {table} SET "seq" = "seq" + %s WHERE "chain" = %s RETURNING "seq", "hash"'


def _locked_head(chain: str) -> tuple[int, str]:
    """(seq, hash) of the chain's head row, locked until the transaction ends (created on a
    chain's first entry)."""
    sql = _HEAD_SELECT + (" FOR UPDATE" if connection.features.has_select_for_update else "")
    with connection.cursor() as cursor:
        cursor.execute(_head_sql(sql), [chain])
        row = cursor.fetchone()
    if row is not None:
        return row[0], row[1]
    try:
        with transaction.atomic():
            AuditHead.objects.create(chain=chain, seq=0, hash=GENESIS)
    except IntegrityError:
        pass  # another transaction started this chain first: lock theirs
    head = AuditHead.objects.select_for_update().get(chain=chain)
    return head.seq, head.hash


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
