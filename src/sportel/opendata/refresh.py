"""Scheduled refreshes: a resource republished by the worker from a URL or a registered feed.

A URL is fetched outside any transaction, with a timeout and the upload size limit (the body is
read in chunks and dropped past the limit), checked as an upload is (type, encoding) and validated
with frictionless against the resource's current Table Schema. A new version is published only
when the file validates and differs from the current one; a failure is recorded as a run (shown to
staff on the dataset page) and the current version stays. A feed is published through the
registry's disclosure control, as the automatic publications are.
"""

import hashlib
import ipaddress
import os
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sportel.core import audit, feeds

from . import datastore, problems, search_index, services, staging
from .models import Refresh, RefreshRun, Resource
from .problems import problem

CHUNK = 64 * 1024


def timeout() -> float:
    return float(getattr(settings, "SPORTEL_OPEN_DATA_REFRESH_TIMEOUT", 20))


def schedule(resource: Resource, actor, *, url: str = "", feed: str = "", every_hours: int = 24):
    """Set (or replace) the refresh of a resource: from an http(s) URL or a registered feed."""
    if bool(url) == bool(feed):
        raise ValidationError(_("Give either a URL or a statistics feed."))
    if url and urlsplit(url).scheme not in {"http", "https"}:
        raise ValidationError(_("The URL must start with http:// or https://."))
    if feed and feed not in {f.name for f in feeds.feeds()}:
        raise problem("no_feed")
    if not 1 <= every_hours <= 24 * 366:
        raise ValidationError(_("Refresh between every hour and once a year."))
    with transaction.atomic():
        refresh, _created = Refresh.objects.update_or_create(
            resource=resource,
            defaults={
                "municipality_id": resource.municipality_id,
                "source": Refresh.Source.URL if url else Refresh.Source.FEED,
                "url": url,
                "feed": feed,
                "every_hours": every_hours,
                "next_run_at": timezone.now(),
                "created_by": actor if isinstance(actor, str) else actor.get_username(),
            },
        )
        audit.record(
            "opendata.refresh_scheduled",
            actor=None if isinstance(actor, str) else actor,
            municipality=resource.municipality,
            obj=resource,
            data={"source": refresh.source, "url": url, "feed": feed, "every_hours": every_hours},
        )
    return refresh


def allowed_hosts() -> set[str]:
    """Hosts whose internal addresses may be fetched all the same (an intranet statistics server):
    ``SPORTEL_OPEN_DATA_REFRESH_ALLOWED_HOSTS``, comma-separated."""
    raw = getattr(settings, "SPORTEL_OPEN_DATA_REFRESH_ALLOWED_HOSTS", "")
    if isinstance(raw, str):
        raw = raw.split(",")
    return {h.strip().lower() for h in raw if h.strip()}


def check_public_address(url: str) -> None:
    """Refuse a URL whose host resolves to a loopback, private, link-local or otherwise
    non-public address (the worker must not become a way to read the data centre's own services,
    such as a cloud metadata endpoint), unless the operator allowed that host.

    The name is resolved here and again by the HTTP client: a host that changes its answer in
    between (DNS rebinding) is the residual risk, which is why redirects are not followed either.
    """
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        raise problem("no_host")
    if host in allowed_hosts():
        return
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise problem("unreachable") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global:
            raise problem("internal")


def fetch(url: str) -> bytes:
    """The body at ``url``, or a ValidationError: never more than the upload limit is read, and
    never from an internal address (``check_public_address``)."""
    check_public_address(url)
    limit = staging.max_bytes()
    too_big = problem("too_big", mb=settings.SPORTEL_OPEN_DATA_MAX_UPLOAD_MB)
    try:
        with requests.get(url, timeout=timeout(), stream=True, allow_redirects=False) as response:
            if response.status_code != 200:
                raise problem("http_status", code=response.status_code)
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise too_big
            body = bytearray()
            for chunk in response.iter_content(CHUNK):
                body += chunk
                if len(body) > limit:
                    raise too_big
            return bytes(body)
    except requests.Timeout:
        raise problem("timeout") from None
    except requests.RequestException:
        raise problem("unreachable") from None


def _filename(refresh: Refresh) -> str:
    name = os.path.basename(urlsplit(refresh.url).path) or "data.csv"
    return name if name.lower().endswith((".csv", ".xlsx", ".txt")) else name + ".csv"


def _url_content(refresh: Refresh, resource: Resource):
    content = fetch(refresh.url)
    filename = _filename(refresh)
    fmt, stored, _encoding = staging.sniff(filename, content)
    with staging.local_copy(fmt, stored) as path:
        schema = resource.current.schema if resource.current and resource.current.schema else None
        try:
            schema = schema or staging.infer_schema(path)
            report = staging.check(path, schema)
        except ValidationError:
            raise
        except Exception:  # frictionless raises its own errors on unreadable files
            raise problem("unreadable") from None
        if not report["valid"]:
            first = report["errors"][0] if report["errors"] else {}
            raise problem(
                "invalid",
                count=len(report["errors"]),
                row=first.get("row") or "-",
                msg=first.get("message", ""),
            )
        rows = staging.read_rows(path, schema)
    if fmt == "CSV" and not filename.lower().endswith(".csv"):
        filename = filename.rsplit(".", 1)[0] + ".csv"
    return filename, fmt, stored, schema, rows


def _feed_content(refresh: Refresh, resource: Resource):
    feed = feeds.get_feed(refresh.feed)
    schema = feed.table_schema()
    rows = feeds.suppressed_rows(feed, resource.municipality)
    content, _count = services.csv_bytes(schema, rows)
    return f"{feed.name}.csv", "CSV", content, schema, rows


def run(refresh: Refresh) -> RefreshRun:
    """One attempt: fetch or compute, validate, publish when changed; the outcome is recorded."""
    resource = Resource.objects.select_related("current", "municipality").get(
        pk=refresh.resource_id
    )
    outcome, found, version = RefreshRun.Outcome.UNCHANGED, [], None
    try:
        if refresh.source == Refresh.Source.URL:
            filename, fmt, content, schema, rows = _url_content(refresh, resource)
        else:
            filename, fmt, content, schema, rows = _feed_content(refresh, resource)
    except (ValidationError, KeyError) as exc:
        outcome = RefreshRun.Outcome.FAILED
        # Codes and parameters, rendered in the reader's language when shown.
        found = problems.codes_of(exc if isinstance(exc, ValidationError) else problem("no_feed"))
    else:
        digest = hashlib.sha256(content).hexdigest()
        if not (resource.current and resource.current.sha256 == digest):
            version = _publish(resource, filename, fmt, content, schema, rows, digest)
            outcome = RefreshRun.Outcome.PUBLISHED
    with transaction.atomic():
        locked = Refresh.objects.select_for_update().get(pk=refresh.pk)
        locked.next_run_at = timezone.now() + timedelta(hours=locked.every_hours)
        locked.save(update_fields=["next_run_at"])
        attempt = RefreshRun.objects.create(
            municipality_id=refresh.municipality_id,
            refresh=locked,
            outcome=outcome,
            problems=found,
            version=version,
        )
        if outcome == RefreshRun.Outcome.FAILED:
            audit.record(
                "opendata.refresh_failed",
                municipality=resource.municipality,
                obj=resource,
                data={"source": refresh.source, "problems": found},
            )
    return attempt


def _publish(resource, filename, fmt, content, schema, rows, digest):
    stored = services._store(
        f"opendata/{resource.municipality_id}/{resource.pk}/refresh-{digest[:16]}-{filename}",
        content,
    )
    now = timezone.now()
    with transaction.atomic():
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        version = services._new_version(
            locked,
            stored,
            filename,
            fmt,
            content,
            schema,
            len(rows),
            actor_label="sportel",
            note="scheduled refresh",
        )
        datastore.load(locked.pk, schema, rows)
        locked.datastore_active = True
        locked.format = fmt
        locked.modified_at = now
        locked.save(update_fields=["current", "datastore_active", "format", "modified_at"])
        dataset = locked.dataset
        dataset.modified_at = now
        dataset.save(update_fields=["modified_at"])
        search_index.reindex([dataset.pk])
        audit.record(
            "opendata.resource_published",
            municipality=resource.municipality,
            obj=locked,
            data={
                "dataset": dataset.name,
                "version": version.number,
                "rows": len(rows),
                "sha256": version.sha256,
                "refresh": True,
            },
        )
    return version


def run_due(now=None) -> list[RefreshRun]:
    """Every refresh whose time has come (each claimed by moving its next run, so two workers
    never fetch the same one twice)."""
    now = now or timezone.now()
    attempts = []
    for pk in Refresh.objects.filter(next_run_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            claimed = (
                Refresh.objects.select_for_update().filter(pk=pk, next_run_at__lte=now).first()
            )
            if claimed is None:
                continue
            claimed.next_run_at = now + timedelta(hours=claimed.every_hours)
            claimed.save(update_fields=["next_run_at"])
        attempts.append(run(claimed))
    return attempts
