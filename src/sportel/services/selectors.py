"""Reads on the services domain. Every query is scoped by the municipality it is given.

Staff reads of one case with its personal data go through ``services.read_case`` (audited);
the queue below returns cases for listing — show the number, service, status, unit, assignee
and dates there, not the applicant's personal data.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, Prefetch, Q, QuerySet

from sportel.core.calendar import local_today
from sportel.core.models import AdministrativeUnit, AuditEntry, Municipality

from . import deadlines, search, workflow
from .models import Application, Bundle, Case, CaseEvent, LifeEvent, ServiceType
from .numbering import normalize_tracking_code

# --- catalogue ----------------------------------------------------------------------------------


def active_services(municipality: Municipality) -> QuerySet[ServiceType]:
    """The services the municipality offers, with their version in force and life events."""
    return (
        ServiceType.objects.filter(
            municipality=municipality, is_active=True, current_version__isnull=False
        )
        .select_related("current_version")
        .prefetch_related(Prefetch("life_events", queryset=LifeEvent.objects.order_by("order")))
        .order_by("order", "code")
    )


def life_events_with_services(municipality: Municipality) -> list[LifeEvent]:
    """Life events in order, each with ``.services`` (active, version in force) — the catalogue
    page in one query per table (Prefetch to_attr avoids a query per life event)."""
    services = (
        ServiceType.objects.filter(is_active=True, current_version__isnull=False)
        .select_related("current_version")
        .order_by("order", "code")
    )
    return list(
        LifeEvent.objects.filter(municipality=municipality)
        .order_by("order", "code")
        .prefetch_related(Prefetch("service_types", queryset=services, to_attr="services"))
    )


def service_by_code(municipality: Municipality, code: str) -> ServiceType | None:
    return active_services(municipality).filter(code=code).first() if code else None


def search_services(municipality: Municipality, text: str) -> QuerySet[ServiceType]:
    """Services whose name or description (either language) has every word of ``text``.

    Accent- and case-insensitive, by stem (``search.py``): "vertetim", "certifikate",
    "femije" and "takse" find "Vërtetim banimi", "Certifikatë familjare", "fëmijës" and
    "taksat". Each query stem must begin a word of the version's folded ``search_text``;
    the text is framed by spaces, so ``contains(" " + stem)`` is that test on both databases.
    """
    terms = search.query_terms(text)
    query = active_services(municipality)
    if not terms:
        return query.none() if (text or "").strip() else query
    for term in terms:
        query = query.filter(current_version__search_text__contains=" " + term)
    return query


def names_first(services: list[ServiceType], text: str) -> list[ServiceType]:
    """Search results with the services whose *name* has every word first, otherwise in the
    catalogue's order (a description's passing mention comes after)."""
    terms = search.query_terms(text)

    def in_name(service: ServiceType) -> bool:
        version = service.current_version
        name = search.document(version.name_sq, version.name_en)
        return all(" " + term in name for term in terms)

    return sorted(services, key=lambda service: not in_name(service))


# --- the applicant's side ----------------------------------------------------------------------


def drafts_of(user, municipality: Municipality | None = None) -> QuerySet[Application]:
    query = Application.objects.filter(created_by=user, status=Application.Status.DRAFT)
    if municipality is not None:
        query = query.filter(municipality=municipality)
    return query.select_related("service_version", "municipality").order_by("-updated_at")


def draft_of(user, municipality: Municipality, pk: int) -> Application | None:
    return drafts_of(user, municipality).filter(pk=pk).first()


def cases_of(user, municipality: Municipality | None = None) -> QuerySet[Case]:
    """'My applications': cases the user filed or that were filed for them, newest first."""
    query = Case.objects.filter(Q(applicant_user=user) | Q(applicant_person__user=user)).distinct()
    if municipality is not None:
        query = query.filter(municipality=municipality)
    return query.select_related("service_version", "municipality").order_by("-submitted_at")


def case_of(user, municipality: Municipality, number: str) -> Case | None:
    """One of the user's own cases by number, or None (never someone else's)."""
    return (
        cases_of(user, municipality)
        .select_related("application", "applicant_person", "applicant_business")
        .filter(number=number)
        .first()
    )


def case_by_tracking_code(code: str) -> Case | None:
    """Public tracking: the case for a tracking code (show status and dates only)."""
    code = normalize_tracking_code(code)
    if not code:
        return None
    return (
        Case.objects.filter(tracking_code=code)
        .select_related("service_version", "municipality")
        .first()
    )


def timeline(case: Case, *, public_only: bool = True) -> QuerySet[CaseEvent]:
    """The case's history, oldest first; the applicant sees public events only."""
    query = CaseEvent.objects.filter(case=case).select_related("actor")
    if public_only:
        query = query.filter(visibility=CaseEvent.Visibility.PUBLIC)
    return query.order_by("seq")


@dataclass
class StatusStep:
    code: str
    text: str
    reached: bool
    current: bool


def _reachable(state: str) -> set[str]:
    """Every state the workflow table can still lead to from ``state``."""
    found: set[str] = set()
    todo = [state]
    while todo:
        source = todo.pop()
        for (from_state, _action), target in workflow.TRANSITIONS.items():
            if from_state == source and target not in found:
                found.add(target)
                todo.append(target)
    return found


def status_steps(case: Case, language: str | None = None) -> list[StatusStep]:
    """The service's ordered statuses, marking those the case has reached (for a timeline).

    A step the case has neither reached nor can still reach was skipped (an instant approval
    skips the specialist's steps; a closed case has nothing left): it is not listed. Rejected
    and withdrawn show only when they happened."""
    reached = set(
        CaseEvent.objects.filter(case=case)
        .exclude(to_status="")
        .values_list("to_status", flat=True)
    )
    ahead = _reachable(case.status)
    version = case.service_version
    codes = [s["code"] for s in version.statuses] or list(workflow.STATES)
    return [
        StatusStep(
            code,
            version.status_text(code, language),
            code in reached,
            code == case.status,
        )
        for code in codes
        if code in reached
        or (
            code not in (workflow.REJECTED, workflow.WITHDRAWN)
            and (code in ahead or code not in workflow.STATES)
        )
    ]


def case_accesses(case: Case) -> QuerySet[AuditEntry]:
    """'Who accessed my case': staff reads and changes of this case, newest first."""
    query = Q(object_type="services.case", object_id=str(case.pk))
    if case.applicant_person_id:
        query |= Q(
            action="person.read",
            subject_id=case.applicant_person_id,
            reason__startswith=f"case {case.number}",
        )
    entries = AuditEntry.objects.filter(query)
    if case.applicant_user_id:
        entries = entries.exclude(actor_id=case.applicant_user_id)
    return entries.exclude(actor__isnull=True).order_by("-at")


def bundle_overview(bundle: Bundle) -> list[Case]:
    """The cases one life-event bundle opened, in the order they were opened."""
    return list(
        Case.objects.filter(bundle=bundle, municipality_id=bundle.municipality_id)
        .select_related("service_version")
        .order_by("seq")
    )


def bundles_of(user, municipality: Municipality | None = None) -> QuerySet[Bundle]:
    query = Bundle.objects.filter(user=user)
    if municipality is not None:
        query = query.filter(municipality=municipality)
    return query.order_by("-created_at")


# --- staff --------------------------------------------------------------------------------------


def staff_queue(
    municipality: Municipality,
    *,
    service: str | None = None,
    status: str | None = None,
    unit: str | None = None,
    assignee: int | str | None = None,
    open_only: bool = True,
) -> QuerySet[Case]:
    """The back-office queue: the municipality's cases by legal end (earliest first).

    Filters: ``service`` (code), ``status`` (workflow state), ``unit`` (slug), ``assignee``
    (user id, or ``"none"`` for unassigned). Cases without a legal end come last. The
    (municipality, status, legal_end) index serves the default open-cases view; slice it.
    """
    query = Case.objects.filter(municipality=municipality)
    if status:
        query = query.filter(status=status)
    elif open_only:
        query = query.filter(status__in=workflow.OPEN_STATE_LIST)  # matches the partial indexes
    # Codes and slugs become ids first, so the planner can walk the matching partial index
    # instead of filtering the whole open queue through a join (130 ms → 1 ms at 1 M cases).
    if service:
        service_id = (
            ServiceType.objects.filter(municipality=municipality, code=service)
            .values_list("pk", flat=True)
            .first()
        )
        query = query.filter(service_type_id=service_id) if service_id else query.none()
    if unit:
        unit_id = (
            AdministrativeUnit.objects.filter(municipality=municipality, slug=unit)
            .values_list("pk", flat=True)
            .first()
        )
        query = query.filter(unit_id=unit_id) if unit_id else query.none()
    if assignee == "none":
        query = query.filter(assignee__isnull=True)
    elif assignee:
        query = query.filter(assignee_id=assignee)
    return query.select_related("service_version", "unit", "assignee").order_by(
        F("legal_end").asc(nulls_last=True), "id"
    )


def decided_unfinished(
    municipality: Municipality,
    *,
    service: str | None = None,
    unit: str | None = None,
    assignee: int | str | None = None,
) -> QuerySet[Case]:
    """Decided cases with a step still to come (the fee, the document, the closing), longest
    waiting first: the staff queue lists them beside the open ones so they never vanish.

    Few at any time (they are closed once the step is done); the (municipality, status,
    legal_end) index finds them."""
    query = Case.objects.filter(municipality=municipality, status__in=workflow.DECIDED_STATE_LIST)
    if service:
        query = query.filter(service_type__code=service)
    if unit:
        query = query.filter(unit__slug=unit)
    if assignee == "none":
        query = query.filter(assignee__isnull=True)
    elif assignee:
        query = query.filter(assignee_id=assignee)
    return query.select_related("service_version", "unit", "assignee").order_by(
        "status_changed_at", "id"
    )


def count_by_deadline_state(municipality: Municipality, today: dt.date | None = None) -> dict:
    """{on_time, due_soon, overdue, no_deadline} over open cases (staff home and monitoring)."""
    today = today or local_today()
    counts = {
        deadlines.ON_TIME: 0,
        deadlines.DUE_SOON: 0,
        deadlines.OVERDUE: 0,
        deadlines.NO_DEADLINE: 0,
    }
    for case in (
        staff_queue(municipality)
        .select_related(None)
        .only("status", "legal_end", "planned_end", "suspended_since")
    ):
        counts[deadlines.deadline_state(case, today)] += 1
    return counts
