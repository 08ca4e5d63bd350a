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

        from . import demo, signals  # noqa: F401 -- registers demo accounts, audit receivers
        from .staff import register_staff_link

        register_staff_link(
            _("Verify a resident's identity"),
            "staff:verify-identity",
            "people.verify",
            _("with their identity document and the code on their account page"),
        )
        register_staff_link(
            _("Record a parent's or guardian's relationship"),
            "staff:record-kin",
            "people.verify",
            _("from the birth certificate or the court decision, for a minor"),
        )

        register_action_words(
            {
                "staff.role_grant": _("Gave you a staff role"),
                "staff.role_revoke": _("Took away one of your staff roles"),
                "account.identity_code": _("Gave you a code to verify your identity"),
                "account.identity_verified": _("Verified your identity"),
                "person.account_linked": _("Linked your account to your record"),
                "account.kin_verified": _("Recorded that you act for a child"),
                "account.kin_revoked": _("Revoked a relationship to a child"),
                "account.identity_corrected": _("Corrected the personal number of your account"),
                "person.account_unlinked": _("Unlinked an account wrongly linked to your record"),
                "person.number_removed": _("Removed a wrong personal number from your record"),
            }
        )

        from sportel.core import warmup

        warmup.register_hot_models("accounts.User")  # every signed-in request reads its row

        # The admin is for platform operators, who must pass TOTP like staff.
        admin.site.__class__ = OTPAdminSite
