"""Tenancy (municipalities and their administrative units), people, and the audit log."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Municipality(models.Model):
    """A bashki: the tenant. Every domain row belongs to exactly one."""

    slug = models.SlugField(_("slug"), unique=True, help_text=_("Used in URLs: /<slug>/..."))
    name = models.CharField(_("name"), max_length=100)
    county = models.CharField(_("county"), max_length=100, blank=True, help_text=_("Qarku"))
    code = models.CharField(
        _("code"),
        max_length=3,
        unique=True,
        help_text=_("Three letters that prefix case and document numbers, e.g. SHK."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")

    def __str__(self) -> str:
        return self.name


class AdministrativeUnit(models.Model):
    """A njësi administrative: the former commune or city a municipality is made of."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="units", verbose_name=_("municipality")
    )
    slug = models.SlugField(_("slug"))
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "slug"], name="unit_slug_per_municipality"
            )
        ]
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")

    def __str__(self) -> str:
        return self.name


class TenantScoped(models.Model):
    """Base for every domain row: it belongs to one municipality and is queried through it."""

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )

    class Meta:
        abstract = True


class Language(models.TextChoices):
    SQ = "sq", _("Albanian")
    EN = "en", _("English")


class Person(TenantScoped):
    """A natural person known to a municipality, deduplicated on the personal number (NID)."""

    nid = models.CharField(
        _("personal number"),
        max_length=10,
        null=True,
        blank=True,
        help_text=_("Numri personal (NID): the 10-character number on the Albanian identity card."),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    father_name = models.CharField(_("father's name"), max_length=100, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("administrative unit"),
    )
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.SQ
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="persons",
        verbose_name=_("account"),
    )
    nid_check_overridden = models.BooleanField(
        _("check letter overridden"),
        default=False,
        help_text=_("A clerk confirmed a NID whose check letter does not match."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "nid"],
                condition=models.Q(nid__isnull=False),
                name="person_nid_per_municipality",
            )
        ]
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Business(TenantScoped):
    """A business or organisation, deduplicated on its NIPT (tax identification number)."""

    nipt = models.CharField(
        _("NIPT"),
        max_length=10,
        help_text=_("Numri i Identifikimit për Personin e Tatueshëm: the business tax number."),
    )
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("address"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    representatives = models.ManyToManyField(
        Person, blank=True, related_name="businesses", verbose_name=_("representatives")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "nipt"], name="business_nipt_per_municipality"
            )
        ]
        verbose_name = _("business")
        verbose_name_plural = _("businesses")

    def __str__(self) -> str:
        return f"{self.name} ({self.nipt})"


class AuditEntry(models.Model):
    """One line of the append-only, hash-chained audit log.

    Each chain (one per municipality, plus ``platform``) is a sequence: ``hash`` is SHA-256 over
    the previous entry's hash and this entry's canonical content. Rows are never updated or
    deleted; ``sportel audit verify`` recomputes every chain and names the first broken entry.
    """

    chain = models.CharField(_("chain"), max_length=64, db_index=True)
    seq = models.PositiveBigIntegerField(_("sequence"))
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    actor_label = models.CharField(_("actor"), max_length=200)
    actor_role = models.CharField(_("role"), max_length=50, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=100, blank=True)
    subject = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_entries",
        db_constraint=False,
        help_text=_("The person whose data was read or changed, for 'who accessed my data'."),
    )
    subject_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_seq_per_chain")]
        indexes = [
            models.Index(fields=["subject", "at"]),
            models.Index(fields=["subject_user", "at"]),
        ]
        ordering = ["chain", "seq"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.chain}#{self.seq} {self.action}"


class AuditHead(models.Model):
    """The tip of one audit chain: locked while appending so entries stay strictly ordered."""

    chain = models.CharField(max_length=64, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain}@{self.seq}"


# --- Notifications outbox ------------------------------------------------------------------


class Notification(models.Model):
    """One message to one recipient on one channel: the outbox row the worker delivers.

    It is written in the caller's transaction, so a notification exists exactly when the work
    that caused it committed. Delivery attempts are appended as NotificationAttempt rows; a
    permanent failure stays here as ``failed`` with the last error, never dropped.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        # Claimed by a worker that is talking to the mail or SMS provider right now; if the
        # lease runs out first (the worker died or hung), another worker may send it again.
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("municipality"),
        help_text=_("Empty for platform-wide messages (e.g. account confirmation)."),
    )
    person = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notifications",
    )
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    template = models.CharField(_("template"), max_length=100)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("body"))
    # A body holding a secret (a confirmation code or link) is blanked once delivered: the
    # recipient has it, and the outbox must not stay a second place to read it from.
    sensitive = models.BooleanField(_("sensitive"), default=False)
    status = models.CharField(
        _("status"), max_length=7, choices=Status.choices, default=Status.QUEUED
    )
    # Delivery is at least once: every send of this row carries this reference (the email's
    # Message-ID, the SMS gateway's client reference), so a second copy can be recognised.
    reference = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    lease = models.UUIDField(_("lease"), null=True, blank=True, editable=False)
    leased_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.channel}:{self.template} #{self.pk} ({self.status})"


class NotificationAttempt(models.Model):
    """One delivery attempt, appended in the same transaction that updates the notification."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveIntegerField(_("attempt"))
    at = models.DateTimeField(_("at"))
    ok = models.BooleanField(_("delivered"))
    error = models.TextField(_("error"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "number"], name="one_row_per_notification_attempt"
            )
        ]
        ordering = ["notification", "number"]

    def __str__(self) -> str:
        return f"{self.notification_id}#{self.number} {'ok' if self.ok else 'failed'}"


class ConfigGeneration(models.Model):
    """One row whose number changes, by a database trigger, in every transaction that writes a
    watched configuration table (municipalities, service types and versions, assignment rules):
    a process may keep copies of those rows while the number it read them under is current
    (``core.rowcache``). A trigger, not a signal, so that ``update()``, raw SQL, cascades and
    other processes count too; the change becomes visible with the edit's own commit."""

    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("configuration generation")
        verbose_name_plural = _("configuration generations")

    def __str__(self) -> str:
        return str(self.n)
