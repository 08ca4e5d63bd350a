from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "sportel.documents"
    label = "documents"
    verbose_name = _("Documents: sealed certificates, registry, transparency log")

    def ready(self) -> None:
        from sportel.accounts.staff import register_staff_link
        from sportel.core import warmup as core_warmup
        from sportel.core.audit_words import register_action_words
        from sportel.web.links import register_municipal_link

        from . import demo, metrics, warmup  # noqa: F401 -- registers the demo seeder and the collectors
        from .feeds import register as register_feeds

        register_feeds()  # the open data portal's statistics (core/feeds.py)
        core_warmup.register("documents.fonts", warmup.load_fonts)
        core_warmup.register("documents.seals", warmup.load_seals)
        core_warmup.register("documents.sample_seal", warmup.seal_a_sample)
        core_warmup.register("documents.log_key", warmup.load_log_key)
        # What issuing a document writes (core.warmup.warm_connection).
        core_warmup.register_hot_models(
            "documents.IssuedDocument",
            "documents.DocumentEvent",
            "documents.SealCertificate",
            "documents.LogHead",
            "documents.LogLeaf",
            "documents.LogNode",
            "django_tasks_database.DBTaskResult",
        )

        # "Who accessed my data": a document naming the resident, in words.
        register_action_words(
            {
                "document.issued": _("Issued a sealed document about you"),
                "document.revoked": _("Revoked a document about you"),
                "document.replaced": _("Replaced a document about you"),
            }
        )
        register_municipal_link(
            "documents:verify",
            _("Check a document"),
            _("Is a certificate authentic and still valid? Enter its code or upload the PDF."),
            order=50,
        )
        register_staff_link(
            _("Issued documents"),
            "documents-staff:monitor",
            "documents.monitor",
            _("Sealed certificates, sealing failures and latency; revoke or re-issue."),
        )
