from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "sportel.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self):
        from django.contrib import admin
        from django_otp.admin import OTPAdminSite

        from sportel.core.audit_words import register_action_words

        from . import signals  # noqa: F401 -- connects the audit receivers

        register_action_words(
            {
                "staff.role_grant": _("Gave you a staff role"),
                "staff.role_revoke": _("Took away one of your staff roles"),
            }
        )

        # The admin is for platform operators, who must pass TOTP like staff.
        admin.site.__class__ = OTPAdminSite
