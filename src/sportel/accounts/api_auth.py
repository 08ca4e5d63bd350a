"""django-ninja's side of "may this person do this here?" (``permissions``).

``session`` is a logged-in account (citizens' endpoints); ``StaffAuth(permission)`` is the
API's twin of ``decorators.staff_required``: a logged-in session, the second factor passed, and
``permission`` in the path's municipality. Both check the CSRF token on unsafe methods. The
order of the answers is the HTML guard's: no session 401, then a missing CSRF token, a missing
second factor or a missing role 403, each with its own ``code``; an unknown municipality 404.

On success ``request.municipality`` is the path's municipality (as ``TenantMiddleware`` sets it
for pages) and ``request.staff_role`` the role that grants the permission, for the audit log.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.utils import check_csrf

from sportel.core.api_errors import Refused
from sportel.core.selectors import municipality_by_slug

from . import permissions
from .roles import roles_with


class SessionAuth(NinjaSessionAuth):
    """A logged-in session; on POST, PUT, PATCH and DELETE also the CSRF token."""

    def __call__(self, request):
        user = request.user
        if not user.is_authenticated:
            return None  # 401
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise Refused(
                _(
                    "The CSRF token is missing or wrong: send the csrftoken cookie's value "
                    "in the X-CSRFToken header."
                ),
                code="csrf_failed",
            )
        return self.authenticate(request, request.COOKIES.get(self.param_name))

    def authenticate(self, request, key):
        return request.user


class StaffAuth(SessionAuth):
    """Staff with ``permission`` in the path's municipality (``/municipalities/{slug}/...``)."""

    def __init__(self, permission: str):
        roles_with(permission)  # an unknown permission fails at import, not at the first request
        self.permission = permission
        super().__init__()

    def authenticate(self, request, key):
        user = request.user
        if permissions.needs_second_factor(user):
            raise Refused(_("Complete two-step verification first."), code="second_factor_required")
        municipality = path_municipality(request)
        request.staff_role = permissions.require(user, municipality, self.permission)
        return user


def path_municipality(request):
    """The municipality named by the path's ``slug``; Http404 (404) when there is none."""
    match = request.resolver_match
    slug = match.kwargs.get("slug") if match is not None else None
    municipality = municipality_by_slug(slug) if slug else None
    if municipality is None:
        raise Http404
    request.municipality = municipality
    return municipality


session = SessionAuth()
