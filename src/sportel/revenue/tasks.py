"""Revenue's background work: the year's assessment runs in the worker, batch by batch.

Each batch commits together with the run's progress (``AssessmentRun.done``), so the page's
progress bar moves while the run goes on, and a worker killed half-way leaves a run that the
re-queued task (core.tasks.requeue_stale_tasks) continues from where it stopped, posting nothing
twice.
"""

from django.db import transaction
from django_tasks import task

from sportel.accounts.permissions import require

from . import assessment
from .models import AssessmentRun


@task(queue_name="revenue")
def run_assessment(run_id: int) -> str:
    try:
        run = assessment.run_to_end(run_id)
    except Exception as exc:
        AssessmentRun.objects.filter(pk=run_id).update(
            status=AssessmentRun.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
    return f"{run.done}/{run.total}"


def start_assessment(package, *, actor) -> AssessmentRun:
    """Queue a run of ``package``'s year; the worker picks it up after the commit. A run of
    the same package still going on is returned instead of starting a second one."""
    require(actor, package.municipality, "revenue.assess")
    going = AssessmentRun.objects.filter(
        package=package, status__in=[AssessmentRun.Status.QUEUED, AssessmentRun.Status.RUNNING]
    ).first()
    if going is not None:
        return going
    run = assessment.start_run(package, actor=actor)
    transaction.on_commit(lambda: run_assessment.enqueue(run.pk))
    return run
