"""Reads on accounts: where a staff user works, and who accessed a citizen's data."""

from django.db.models import QuerySet

from sportel.core.audit import accesses_to
from sportel.core.models import AuditEntry, Municipality

from .models import User
from .roles import Role


def staff_municipalities(user: User) -> QuerySet[Municipality]:
    """The municipalities where the user holds a role, by name (the first is the landing page)."""
    return Municipality.objects.filter(staff_roles__user=user, is_active=True).distinct()


def role_labels(roles: set[str]) -> list[str]:
    return [str(Role(role).label) for role in Role if role.value in roles]


def data_accesses(user: User, *, limit: int = 200) -> list[AuditEntry]:
    """Who read or changed this citizen's data: staff entries only, newest first."""
    # select_related: the page shows the actor's name next to every entry.
    entries = list(accesses_to(user).select_related("actor")[:limit])
    labels = dict(Role.choices)
    for entry in entries:
        entry.role_label = labels.get(entry.actor_role, entry.actor_role)
    return entries
