"""The registry of issued documents and the transparency log over it.

Every sealed document gets one :class:`IssuedDocument` row; what happens to it later (revoked,
replaced) is appended as :class:`DocumentEvent` rows, each of which is also a leaf of the
append-only Merkle log (:class:`LogLeaf`, :class:`LogNode`, one :class:`LogHead` locked while
appending). Signed tree heads (:class:`SignedTreeHead`) are published at ``/transparency/``.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from sportel.core.models import TenantScoped


class DocumentStatus(models.TextChoices):
    VALID = "valid", _("Valid")
    REVOKED = "revoked", _("Revoked")
    REPLACED = "replaced", _("Replaced")


class SealCertificate(TenantScoped):
    """A seal certificate that has sealed documents: kept so rotation never orphans them."""

    fingerprint = models.CharField(_("SHA-256 fingerprint"), max_length=64, unique=True)
    subject = models.CharField(_("subject"), max_length=500)
    der = models.BinaryField(_("certificate (DER)"))
    not_after = models.DateTimeField(_("valid until"))
    first_used_at = models.DateTimeField(_("first used"), auto_now_add=True)

    class Meta:
        verbose_name = _("seal certificate")
        verbose_name_plural = _("seal certificates")

    def __str__(self) -> str:
        return self.subject


def _pdf_path(instance, filename: str) -> str:
    return f"documents/{instance.municipality.slug}/{instance.issued_at:%Y/%m}/{instance.code}.pdf"


class IssuedDocument(TenantScoped):
    """One entry of the registry: a sealed PDF the municipality issued."""

    code = models.CharField(
        _("document code"),
        max_length=16,
        unique=True,
        help_text=_("Printed on the document and in its QR code; 16 characters with a check."),
    )
    document_type = models.CharField(_("document type"), max_length=80, db_index=True)
    title = models.JSONField(_("title"), help_text=_('{"sq": ..., "en": ...}'))
    language = models.CharField(_("language"), max_length=2, default="sq")
    case_reference = models.CharField(_("case"), max_length=64, blank=True)
    holder_pseudonym = models.CharField(
        _("holder (pseudonym)"),
        max_length=64,
        blank=True,
        help_text=_("HMAC of the holder's personal number with a server secret, never the number."),
    )
    issued_at = models.DateTimeField(_("issued at"), db_index=True)
    sha256 = models.CharField(_("SHA-256 of the sealed PDF"), max_length=64, db_index=True)
    size = models.PositiveIntegerField(_("size in bytes"))
    pdf = models.FileField(_("sealed PDF"), upload_to=_pdf_path, max_length=200)
    seal_certificate = models.ForeignKey(
        SealCertificate, on_delete=models.PROTECT, related_name="documents"
    )
    timestamped = models.BooleanField(_("timestamped (PAdES B-T)"), default=False)
    sample = models.BooleanField(_("sample"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.VALID
    )
    status_reason = models.CharField(_("reason"), max_length=300, blank=True)
    replaced_by = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaces",
        verbose_name=_("replaced by"),
    )
    issued_by = models.CharField(_("issued by"), max_length=200, blank=True)
    content = models.JSONField(
        _("content"),
        default=dict,
        help_text=_("What was printed (fields, text, holder), kept to re-issue a corrected copy."),
    )
    seal_ms = models.FloatField(_("render and seal time (ms)"), default=0)
    log_index = models.PositiveBigIntegerField(_("log entry"), unique=True)

    class Meta:
        indexes = [models.Index(fields=["municipality", "document_type", "issued_at"])]
        ordering = ["-issued_at"]
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")

    def __str__(self) -> str:
        return self.code

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title.get("sq") or self.document_type

    def verify_url(self) -> str:
        return f"{settings.SPORTEL_PUBLIC_URL.rstrip('/')}/verify/{self.code}"

    @property
    def display_code(self) -> str:
        from .codes import display

        return display(self.code)


class DocumentEvent(TenantScoped):
    """Appended, never edited: issued, revoked, replaced. Each is one leaf of the log."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("Issued")
        REVOKED = "revoked", _("Revoked")
        REPLACED = "replaced", _("Replaced")

    document = models.ForeignKey(IssuedDocument, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(_("event"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    actor_label = models.CharField(_("by"), max_length=200, blank=True)
    log_index = models.PositiveBigIntegerField(_("log entry"), unique=True)

    class Meta:
        ordering = ["at", "log_index"]
        verbose_name = _("document event")
        verbose_name_plural = _("document events")

    def __str__(self) -> str:
        return f"{self.document_id} {self.kind}"


class SealingFailure(TenantScoped):
    """An issuance that stopped (missing key, bad input, sealing error): shown to staff."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    document_type = models.CharField(_("document type"), max_length=80)
    stage = models.CharField(_("stage"), max_length=20)
    message = models.CharField(_("message"), max_length=500)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("sealing failure")
        verbose_name_plural = _("sealing failures")

    def __str__(self) -> str:
        return f"{self.stage}: {self.message[:40]}"


class LogHead(models.Model):
    """The one row locked while appending to the log: appends are strictly ordered."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"log@{self.size}"


class LogLeaf(models.Model):
    """Entry ``index`` of the transparency log: its canonical JSON, exactly as hashed."""

    index = models.PositiveBigIntegerField(primary_key=True)
    data = models.BinaryField()
    code = models.CharField(max_length=16, db_index=True)

    def __str__(self) -> str:
        return f"leaf {self.index}"


class LogNode(models.Model):
    """The hash of a perfect subtree (level, index), written once when it completes."""

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["level", "index"], name="lognode_level_index")
        ]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class SignedTreeHead(models.Model):
    """A tree size and root signed with the platform's log key, published for anyone to keep."""

    tree_size = models.PositiveBigIntegerField(db_index=True)
    root_hash = models.BinaryField()
    timestamp = models.DateTimeField()
    signature = models.BinaryField()
    key_id = models.CharField(max_length=64)

    class Meta:
        ordering = ["-tree_size", "-timestamp"]

    def __str__(self) -> str:
        return f"STH {self.tree_size} @ {self.timestamp:%Y-%m-%d %H:%M}"


class VerificationLookup(TenantScoped):
    """One verification that found a document, kept only to be counted (the open data feed of
    verifications per document type and month). Appended, never edited. It holds the document's
    type, the month and the way it was checked: no code, no document, no holder, no IP address,
    nothing that says whose document was looked up or by whom."""

    class Method(models.TextChoices):
        CODE = "code", _("By code")
        FILE = "file", _("By file")

    document_type = models.CharField(_("document type"), max_length=80)
    month = models.CharField(_("month"), max_length=7)  # YYYY-MM, Europe/Tirane
    method = models.CharField(_("method"), max_length=4, choices=Method.choices)

    class Meta:
        indexes = [models.Index(fields=["municipality", "month", "document_type"])]
