"""The one way to ask "may this person do this here?".

Every check — the HTML decorator (``decorators.staff_required``), the API's staff guard, and the
services' own checks — goes through these functions, so a role table change (``roles.py``) and
the second-factor rule apply everywhere at once.
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from .roles import roles_with


def roles_of(user, municipality) -> set[str]:
    """The roles ``user`` holds in ``municipality`` (none for anonymous users or no municipality)."""
    if user is None or municipality is None or not getattr(user, "is_authenticated", False):
        return set()
    return user.roles_in(municipality)


def needs_second_factor(user) -> bool:
    """Staff and operators who have not passed TOTP in this session."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "needs_second_factor", False)) and not user.is_verified()


def granting_roles(user, municipality, permission: str) -> set[str]:
    """The roles of ``user`` in ``municipality`` that grant ``permission``."""
    allowed = {role.value for role in roles_with(permission)}
    return roles_of(user, municipality) & allowed


def has_permission(user, municipality, permission: str) -> bool:
    """Does ``user`` hold ``permission`` (accounts/roles.py) in ``municipality``?"""
    return bool(granting_roles(user, municipality, permission))


def require(user, municipality, permission: str) -> str:
    """The role of ``user`` that grants ``permission`` here (the first, sorted), or
    ``PermissionDenied`` with a message for the person."""
    held = granting_roles(user, municipality, permission)
    if not held:
        raise PermissionDenied(_("You do not have permission to do this in this municipality."))
    return sorted(held)[0]
