"""Background work: a task killed mid-way is retried and does its work once.

These tests start the real ``sportel worker`` in a subprocess against the test database, kill it
with SIGKILL while a task is blocked in the middle of its transaction, start a new worker, and
check the work exists exactly once.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus

from sportel.core import audit, sms
from sportel.core.models import AuditEntry, Notification
from sportel.core.notifications import send_notification
from sportel.core.tasks import MAX_TASK_ATTEMPTS, WorkerLiveness, requeue_stale_tasks

REPO = Path(__file__).resolve().parents[2]
GATE_ENV = "SPORTEL_TEST_GATE"
TRACE_ENV = "SPORTEL_TEST_TRACE"


def _wait_for_gate(trace: str, gate: str) -> None:
    with open(trace, "a") as f:
        f.write(f"{os.getpid()}\n")
    deadline = time.monotonic() + 60
    while not os.path.exists(gate):
        if time.monotonic() > deadline:
            raise TimeoutError("the test never opened the gate")
        time.sleep(0.05)


@task()
def blocking_work(key: str, gate: str, trace: str) -> str:
    """Record the work, then wait for the gate file before committing."""
    with transaction.atomic():
        if AuditEntry.objects.filter(action="test.work", data__key=key).exists():
            return "already done"
        audit.record("test.work", data={"key": key})
        _wait_for_gate(trace, gate)
    return "done"


class BlockingGateway(sms.SmsProvider):
    """An SMS gateway that waits for the gate before handing the message to the file provider."""

    def send(self, *, to: str, body: str, reference: str, timeout: float) -> str:
        _wait_for_gate(os.environ[TRACE_ENV], os.environ[GATE_ENV])
        return sms.FileProvider().send(to=to, body=body, reference=reference, timeout=timeout)


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Workers:
    def __init__(self, data_dir: Path, gate: Path, trace: Path):
        self.env = {
            **os.environ,
            "SPORTEL_DATABASE_URL": database_url(),
            "SPORTEL_DATA_DIR": str(data_dir),
            # PostgreSQL must notice the dead worker by its released lock, not by waiting.
            "SPORTEL_TASK_STALE_SECONDS": "1" if connection.vendor == "sqlite" else "3600",
            "SPORTEL_SMS_PROVIDER": "tests.core.test_tasks.BlockingGateway",
            # A killed worker's notification lease runs out quickly here (two minutes by default).
            "SPORTEL_NOTIFICATION_LEASE_SECONDS": "2",
            "SPORTEL_EMAIL_TIMEOUT": "0.5",
            "SPORTEL_SMS_TIMEOUT": "0.5",
            "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")]),
            GATE_ENV: str(gate),
            TRACE_ENV: str(trace),
        }
        self.processes: list[subprocess.Popen] = []
        self.log = data_dir / "worker.log"

    def start(self) -> subprocess.Popen:
        sportel = Path(sys.executable).parent / "sportel"
        with open(self.log, "ab") as log:
            process = subprocess.Popen(
                [sportel, "worker", "--interval", "0.1", "--no-startup-delay"],
                env=self.env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(10)


@pytest.fixture
def workers(transactional_db, tmp_path):
    pool = Workers(tmp_path, tmp_path / "gate", tmp_path / "trace")
    yield pool
    pool.stop_all()


def wait_until(predicate, what: str, workers: Workers, seconds: float = 90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    log = workers.log.read_text() if workers.log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n--- worker log ---\n{log[-4000:]}")


def trace_lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_a_task_killed_midway_is_retried_and_does_its_work_once(workers, tmp_path):
    from django_tasks_db.models import DBTaskResult

    gate, trace = tmp_path / "gate", tmp_path / "trace"
    result = blocking_work.enqueue("order-42", str(gate), str(trace))

    first = workers.start()
    wait_until(lambda: len(trace_lines(trace)) == 1, "the task to start", workers)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)

    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.RUNNING  # what django_tasks_db leaves behind
    assert not AuditEntry.objects.filter(action="test.work").exists()  # rolled back

    gate.touch()
    workers.start()
    wait_until(
        lambda: DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL,
        "the retried task to finish",
        workers,
    )
    time.sleep(2.5)  # a few recovery periods: a finished task is never run again

    row = DBTaskResult.objects.get(pk=result.id)
    assert row.return_value == "done"
    assert len(row.worker_ids) == 2 and len(trace_lines(trace)) == 2
    assert AuditEntry.objects.filter(action="test.work", data__key="order-42").count() == 1


def test_a_notification_whose_worker_was_killed_midsend_is_delivered_once(workers, tmp_path):
    gate, trace = tmp_path / "gate", tmp_path / "trace"
    notification = send_notification(
        template="test", context={"name": "Arta"}, language="sq", to_phone="+355697654321"
    )

    first = workers.start()
    wait_until(lambda: len(trace_lines(trace)) == 1, "the delivery to start", workers)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    notification.refresh_from_db()
    # Claimed under a lease that nobody will release: the next worker waits for it to run out.
    assert (notification.status, notification.attempts) == ("sending", 1)
    assert notification.leased_until is not None

    gate.touch()
    workers.start()
    wait_until(
        lambda: Notification.objects.get(pk=notification.pk).status == "sent",
        "the notification to be sent",
        workers,
    )
    time.sleep(2.5)

    notification.refresh_from_db()
    # The killed attempt is on record as failed with an unknown outcome; the second one sent it.
    assert notification.attempts == 2 and notification.lease is None
    log = list(notification.attempt_log.values_list("number", "ok", "error"))
    assert [(n, ok) for n, ok, _ in log] == [(1, False), (2, True)]
    assert "lease ran out" in log[0][2]
    (message,) = (tmp_path / "outbox" / "sms").glob("*.sms")
    assert "To: +355697654321" in message.read_text()
    assert f"Reference: {notification.reference}" in message.read_text()


def test_a_task_whose_worker_keeps_dying_is_failed_not_retried_for_ever(db):
    from django_tasks_db.models import DBTaskResult

    result = blocking_work.enqueue("poison", "/nonexistent", "/dev/null")
    long_ago = timezone.now() - timedelta(hours=1)
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=long_ago,
        worker_ids=[f"w{n}" for n in range(MAX_TASK_ATTEMPTS)],
    )
    assert requeue_stale_tasks(stale_seconds=60) == {"requeued": 0, "failed": 1}
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == TaskResultStatus.FAILED
    assert "WorkerLost" in row.exception_class_path and "died 5 times" in row.traceback


def test_a_task_still_within_its_stale_period_is_left_alone(db):
    from django_tasks_db.models import DBTaskResult

    result = blocking_work.enqueue("busy", "/nonexistent", "/dev/null")
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now(), worker_ids=["alive"]
    )
    assert requeue_stale_tasks(stale_seconds=60) == {"requeued": 0, "failed": 0}
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.RUNNING


@pytest.mark.postgres_only
def test_on_postgresql_a_live_workers_long_task_stays_and_a_dead_ones_is_requeued_at_once(db):
    from django_tasks_db.models import DBTaskResult

    result = blocking_work.enqueue("long", "/nonexistent", "/dev/null")
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timedelta(hours=2),
        worker_ids=["worker-a"],
    )
    alive = WorkerLiveness("worker-a")
    alive.ensure()
    try:
        # Two hours is far past the stale period, but worker-a still holds its lock.
        assert requeue_stale_tasks(stale_seconds=60) == {"requeued": 0, "failed": 0}
        assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.RUNNING
    finally:
        alive.release()  # what the database does when the process dies

    assert requeue_stale_tasks(stale_seconds=24 * 3600) == {"requeued": 1, "failed": 0}
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.READY
