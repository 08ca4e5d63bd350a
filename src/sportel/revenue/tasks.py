"""Revenue's background work: the year's assessment runs in the worker, batch by batch.

Each batch commits together with the run's progress (``AssessmentRun.done``), so the page's
progress bar moves while the run goes on, and a worker killed half-way leaves a run that the
re-queued task (core.tasks.requeue_stale_tasks) continues from where it stopped, posting nothing
twice.
"""

from django.conf import settings
from django.db import transaction
from django_tasks import task

from sportel.accounts.permissions import require

from . import assessment
from .models import AssessmentRun


def _failed(run_id: int, exc: Exception) -> None:
    AssessmentRun.objects.filter(pk=run_id).update(
        status=AssessmentRun.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
    )


@task(queue_name="revenue")
def run_assessment(run_id: int) -> str:
    run = AssessmentRun.objects.get(pk=run_id)
    if run.shards > 1:
        # Decision 0029: one task per shard, so as many workers as are free assess the run
        # side by side; the last shard to finish marks the run done.
        for number in range(run.shards):
            run_assessment_shard.enqueue(run_id, number)
        return f"{run.shards} shards queued"
    try:
        run = assessment.run_to_end(run_id)
    except Exception as exc:
        _failed(run_id, exc)
        raise
    return f"{run.done}/{run.total}"


@task(queue_name="revenue")
def run_assessment_shard(run_id: int, number: int) -> str:
    try:
        assessment.run_shard_to_end(run_id, number)
    except Exception as exc:
        _failed(run_id, exc)
        raise
    return f"shard {number} done"


def start_assessment(package, *, actor) -> AssessmentRun:
    """Queue a run of ``package``'s year; the worker picks it up after the commit. A run of
    the same package still going on is returned instead of starting a second one."""
    require(actor, package.municipality, "revenue.assess")
    going = AssessmentRun.objects.filter(
        package=package, status__in=[AssessmentRun.Status.QUEUED, AssessmentRun.Status.RUNNING]
    ).first()
    if going is not None:
        return going
    run = assessment.start_run(
        package, actor=actor, shards=getattr(settings, "SPORTEL_ASSESSMENT_SHARDS", 1)
    )
    transaction.on_commit(lambda: run_assessment.enqueue(run.pk))
    return run
