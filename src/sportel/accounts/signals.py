"""Audit staff logins and lockouts, tell staff of failed attempts, keep unlock grants honest
(connected in AccountsConfig.ready)."""

from axes.helpers import get_client_username
from axes.signals import user_locked_out
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import ngettext

from . import services, throttle


@receiver(user_logged_in, dispatch_uid="accounts.audit_staff_login")
def audit_staff_login(sender, request, user, **kwargs):
    if getattr(user, "needs_second_factor", False):
        backend = getattr(user, "backend", "") or ""
        method = "eid" if backend.endswith("EIDBackend") else "password"
        services.record_staff_login(user, method=method)


@receiver(user_logged_in, dispatch_uid="accounts.failed_attempts_notice")
def failed_attempts_notice(sender, request, user, **kwargs):
    """After a login: "N failed attempts since your last login, from …" (then forget the grant)."""
    if request is None:
        return
    throttle.end_grant(request)
    now = getattr(request, "axes_attempt_time", None) or timezone.now()
    failed = services.failed_logins_since_last_login(user.get_username(), now=now)
    if failed.count and hasattr(request, "_messages"):
        messages.warning(
            request,
            ngettext(
                "%(count)d failed login attempt since your last login, from %(addresses)s. "
                "If it was not you, change your password.",
                "%(count)d failed login attempts since your last login, from %(addresses)s. "
                "If it was not you, change your password.",
                failed.count,
            )
            % {"count": failed.count, "addresses": ", ".join(failed.addresses[:5])},
        )


@receiver(user_login_failed, dispatch_uid="accounts.failed_login")
def failed_login(sender, credentials, request=None, **kwargs):
    if request is None:
        return
    login = get_client_username(request, credentials) or ""
    throttle.count_failure_against_grant(request, login)
    services.notify_failed_login(login, ip_address=getattr(request, "axes_ip_address", ""))


@receiver(user_locked_out, dispatch_uid="accounts.audit_lockout")
def audit_lockout(sender, request, username=None, ip_address=None, **kwargs):
    services.record_lockout(username or "")
