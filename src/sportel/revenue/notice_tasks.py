"""Batches of sealed letters, run by the worker (each letter is sealed outside any transaction;
a re-run, or a retry after a worker was killed, sends nothing twice: notices.TaxNotice)."""

from django.db import transaction
from django_tasks import task

from sportel.core.models import Municipality

from . import notices


@task(queue_name="revenue")
def issue_notices_task(municipality_id: int, year: int, actor_label: str) -> str:
    municipality = Municipality.objects.get(pk=municipality_id)
    result = notices.issue_notices(municipality, year, actor=actor_label)
    return f"issued {result.issued}, already {result.already}, failed {len(result.failed)}"


@task(queue_name="revenue")
def send_reminders_task(municipality_id: int, actor_label: str) -> str:
    municipality = Municipality.objects.get(pk=municipality_id)
    result = notices.send_reminders(municipality, actor=actor_label)
    return f"issued {result.issued}, already {result.already}, failed {len(result.failed)}"


def queue_notices(municipality, year: int, *, actor) -> None:
    label = actor.get_username()
    transaction.on_commit(lambda: issue_notices_task.enqueue(municipality.pk, year, label))


def queue_reminders(municipality, *, actor) -> None:
    label = actor.get_username()
    transaction.on_commit(lambda: send_reminders_task.enqueue(municipality.pk, label))
