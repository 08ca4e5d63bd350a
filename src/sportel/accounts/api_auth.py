"""django-ninja's side of "may this person do this here?" (``permissions``).

``session`` is a logged-in account (citizens' endpoints); ``StaffAuth(permission)`` is the
API's twin of ``decorators.staff_required``: a logged-in session, the second factor passed, and
``permission`` in the path's municipality. Both check the CSRF token on unsafe methods. The
order of the answers is the HTML guard's: no session 401, then a missing CSRF token, a missing
second factor or a missing role 403, each with its own ``code``; an unknown municipality 404.

The path's municipality is ``request.municipality``, which ``TenantMiddleware`` resolves for
pages and API alike; on success ``request.staff_role`` is the role that grants the permission.
"""

from django.utils.translation import gettext as _
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.utils import check_csrf

from sportel.core.api_errors import Refused
from sportel.core.tenancy import request_municipality

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
        municipality = request_municipality(request)  # resolved by TenantMiddleware
        request.staff_role = permissions.require(user, municipality, self.permission)
        return user


session = SessionAuth()
