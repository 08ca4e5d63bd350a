"""Audit staff logins and lockouts (connected in AccountsConfig.ready)."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import services


@receiver(user_logged_in, dispatch_uid="accounts.audit_staff_login")
def audit_staff_login(sender, request, user, **kwargs):
    if getattr(user, "needs_second_factor", False):
        backend = getattr(user, "backend", "") or ""
        method = "eid" if backend.endswith("EIDBackend") else "password"
        services.record_staff_login(user, method=method)


@receiver(user_locked_out, dispatch_uid="accounts.audit_lockout")
def audit_lockout(sender, request, username=None, ip_address=None, **kwargs):
    services.record_lockout(username or "")
