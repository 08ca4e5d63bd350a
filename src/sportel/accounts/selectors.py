"""Reads on accounts: where a staff user works, and who accessed a citizen's data."""

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sportel.core.audit import accesses_to
from sportel.core.audit_words import action_words
from sportel.core.models import AuditEntry, Municipality

from .models import StaffRole, User
from .roles import Role


def staff_municipalities(user: User) -> QuerySet[Municipality]:
    """The municipalities where the user holds a role, by name (the first is the landing page)."""
    return Municipality.objects.filter(staff_roles__user=user, is_active=True).distinct()


def role_labels(roles: set[str]) -> list[str]:
    return [str(Role(role).label) for role in Role if role.value in roles]


@dataclass(frozen=True)
class Access:
    """One line of "who accessed my data", in words: never an internal code or id."""

    at: dt.datetime
    who: str
    role: str
    municipality: str
    what: str
    case_number: str = ""
    case_url: str = ""


# read_case writes its person.read with the reason "case <number>".
_CASE_REASON = re.compile(r"^case (\S+)$")
# The case's "issued the document" and the registry's "document.issued" are one act.
_SAME_ACT = dt.timedelta(minutes=2)


def data_accesses(user: User, *, limit: int = 200) -> list[Access]:
    """Who read or changed this citizen's data, newest first: staff by name and role, the
    municipality, what they did in words, and the case it was about (linked)."""
    # select_related: every line names the actor and the municipality.
    entries = list(accesses_to(user).select_related("actor", "municipality")[:limit])
    entries = _one_line_per_act(entries)
    held = _roles_held(entries)
    labels = dict(Role.choices)
    rows = []
    for entry in entries:
        number = _case_number(entry)
        action = "case.read" if entry.action == "person.read" and number else entry.action
        if entry.actor_id is None:
            who = _("Automatic") if entry.actor_label == "system" else _("A member of staff")
            role = ""
        else:
            who = (entry.actor.full_name if entry.actor else "") or _("A member of staff")
            codes = (
                [entry.actor_role]
                if entry.actor_role
                else held.get((entry.actor_id, entry.municipality_id), [])
            )
            role = ", ".join(str(labels.get(code, _("Staff"))) for code in codes)
        rows.append(
            Access(
                at=entry.at,
                who=str(who),
                role=role,
                municipality=entry.municipality.name if entry.municipality else "",
                what=action_words(action),
                case_number=number,
                case_url=_case_url(entry.municipality, number),
            )
        )
    return rows


def _case_number(entry: AuditEntry) -> str:
    data = entry.data if isinstance(entry.data, dict) else {}
    number = data.get("number") or (
        data.get("case") if entry.action.startswith("document.") else ""
    )
    if not number and entry.action == "person.read":
        match = _CASE_REASON.match(entry.reason or "")
        number = match.group(1) if match else ""
    return str(number or "")


def _case_url(municipality, number: str) -> str:
    if not (municipality and number):
        return ""
    try:
        return reverse(
            "services:case", kwargs={"municipality_slug": municipality.slug, "number": number}
        )
    except NoReverseMatch:  # an installation without the services module
        return ""


def _one_line_per_act(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Drop what repeats an act already listed: the registry's entry for a document the case
    issued, and a second read of the same case by the same person on the same day (logs
    written before read_case recorded one read a day)."""
    issued = [(_case_number(e), e.at) for e in entries if e.action == "case.issue_document"]
    seen_reads = set()
    kept = []
    for entry in entries:
        number = _case_number(entry)
        if entry.action == "document.issued" and any(
            n == number and abs(at - entry.at) <= _SAME_ACT for n, at in issued
        ):
            continue
        if entry.action in ("person.read", "case.read") and number:
            key = (entry.actor_id, number, timezone.localdate(entry.at))
            if key in seen_reads:
                continue
            seen_reads.add(key)
        kept.append(entry)
    return kept


def _roles_held(entries: list[AuditEntry]) -> dict[tuple[int, int], list[str]]:
    """The roles staff hold where they acted, for entries written without the actor's role."""
    wanted = {(e.actor_id, e.municipality_id) for e in entries if e.actor_id and not e.actor_role}
    if not wanted:
        return {}
    held: dict[tuple[int, int], list[str]] = {}
    for user_id, municipality_id, role in StaffRole.objects.filter(
        user_id__in={u for u, _m in wanted}, municipality_id__in={m for _u, m in wanted}
    ).values_list("user_id", "municipality_id", "role"):
        held.setdefault((user_id, municipality_id), []).append(role)
    return held
