"""Periodic work: publish a signed tree head (schedule it, e.g. every 5 minutes, or run
``sportel documents publish-sth`` from cron)."""

from django_tasks import task


@task(queue_name="documents")
def publish_tree_head() -> int:
    from .translog import publish_sth

    return publish_sth().tree_size
