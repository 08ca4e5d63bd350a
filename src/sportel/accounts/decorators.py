"""Guards for staff views: a role in the request's municipality, and a passed second factor.

The rules themselves live in ``permissions``; this only turns them into HTTP answers.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from . import permissions
from .roles import roles_with


def login_required_here(view):
    """``login_required`` that sends a visitor in the kiosk flow (the ``kiosk`` URL namespace)
    to the kiosk's own login, which offers no sign-up, and everyone else to the usual one."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        match = request.resolver_match
        login_url = None
        if match is not None and "kiosk" in match.namespaces and "municipality_slug" in kwargs:
            login_url = reverse(
                "kiosk-accounts:login", kwargs={"municipality_slug": kwargs["municipality_slug"]}
            )
        return redirect_to_login(request.get_full_path(), login_url)

    return wrapped


def staff_required(permission: str):
    """The view needs ``permission`` in ``request.municipality`` and a verified TOTP login.

    Anonymous users go to the login page; staff who have not passed 2FA go to the 2FA page;
    anyone without the role gets 403 — including staff of another municipality.
    """
    roles_with(permission)  # an unknown permission fails when the module loads, not per request

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if permissions.needs_second_factor(user):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('accounts:otp')}?{query}")
            municipality = request.municipality
            if not permissions.has_permission(user, municipality, permission):
                raise PermissionDenied
            request.staff_roles = permissions.roles_of(user, municipality)
            return view(request, *args, **kwargs)

        wrapped.staff_permission = permission
        return wrapped

    return decorator
