"""Guards for staff views: a role in the request's municipality, and a passed second factor."""

from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from .roles import roles_with


def staff_required(permission: str):
    """The view needs ``permission`` in ``request.municipality`` and a verified TOTP login.

    Anonymous users go to the login page; staff who have not passed 2FA go to the 2FA page;
    anyone without the role gets 403 — including staff of another municipality.
    """
    allowed = {role.value for role in roles_with(permission)}

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if user.needs_second_factor and not user.is_verified():
                return redirect(f"{_otp_url()}?{urlencode({'next': request.get_full_path()})}")
            municipality = request.municipality
            if municipality is None:
                raise PermissionDenied
            roles = user.roles_in(municipality)
            if not roles & allowed:
                raise PermissionDenied
            request.staff_roles = roles
            return view(request, *args, **kwargs)

        wrapped.staff_permission = permission
        return wrapped

    return decorator


def _otp_url() -> str:
    from django.urls import reverse

    return reverse("accounts:otp")
