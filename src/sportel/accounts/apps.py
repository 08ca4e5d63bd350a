from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "sportel.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from django.contrib import admin
        from django_otp.admin import OTPAdminSite

        from . import signals  # noqa: F401 -- connects the audit receivers
        from .staff import register_staff_link

        register_staff_link(
            _("Verify a resident's identity"),
            "staff:verify-identity",
            "people.verify",
            _("with their identity document and the code on their account page"),
        )

        # The admin is for platform operators, who must pass TOTP like staff.
        admin.site.__class__ = OTPAdminSite
