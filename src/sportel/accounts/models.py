"""Users (citizens, business representatives, staff, operators) and staff roles per municipality."""

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sportel.core.models import Language, Municipality

from .roles import Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra):
        if not username:
            raise ValueError("a user needs a username (their email or phone)")
        user = self.model(username=username, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_platform_operator", True)
        extra.setdefault("confirmed_at", timezone.now())
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """One account. ``username`` is the login: a lower-cased email or an E.164 phone number.

    ``is_staff`` only opens Django's admin (platform operators); municipal staff are users with
    a :class:`StaffRole`, and use Sportel's own staff pages.
    """

    username = models.CharField(_("login"), max_length=150, unique=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    nid = models.CharField(
        _("personal number"),
        max_length=10,
        blank=True,
        help_text=_(
            "Typed by the citizen (a claim), or proven by the national eID or at the counter."
        ),
    )
    nid_verified = models.BooleanField(
        _("personal number verified"),
        default=False,
        help_text=_(
            "True only when the national eID asserted the number or a clerk saw the identity "
            "document (accounts/identity.py); never for a number the account typed."
        ),
    )
    nid_verified_via = models.CharField(_("verified by"), max_length=10, blank=True, default="")
    nid_verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.SQ
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("admin site access"), default=False)
    is_platform_operator = models.BooleanField(_("platform operator"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_municipal_staff(self) -> bool:
        return self.staff_roles.exists()

    @property
    def needs_second_factor(self) -> bool:
        """Staff and operators must pass TOTP before any staff page."""
        return self.is_platform_operator or self.is_municipal_staff

    def roles_in(self, municipality: Municipality) -> set[str]:
        return set(
            self.staff_roles.filter(municipality=municipality).values_list("role", flat=True)
        )


class StaffRole(models.Model):
    """A user holds a role in one municipality (a clerk of Shkodër is nobody in Lezhë)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="staff_roles")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="staff_roles"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(_("granted"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "municipality", "role"], name="one_role_grant")
        ]
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} @ {self.municipality}"


class PhoneConfirmation(models.Model):
    """A 6-digit code sent by SMS to confirm a phone number; only its hash is stored.

    Codes expire, allow a few wrong guesses, and a new code replaces every earlier one.
    Email addresses are confirmed with a signed link instead, which needs no row.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="phone_confirmations")
    phone = models.CharField(_("phone"), max_length=32)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(_("sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    used_at = models.DateTimeField(_("used"), null=True, blank=True)
    superseded = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]
        verbose_name = _("phone confirmation")
        verbose_name_plural = _("phone confirmations")

    def __str__(self) -> str:
        return f"{self.user} @ {self.created_at:%Y-%m-%d %H:%M}"


class ConfirmationSent(models.Model):
    """When a confirmation (link or code) was sent: the record resend limits count."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="confirmations_sent")
    channel = models.CharField(max_length=5, choices=[("email", "email"), ("sms", "SMS")])
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return f"{self.user} {self.channel} {self.at:%Y-%m-%d %H:%M}"


class IdentityVerification(models.Model):
    """One proof of an account's identity (append-only): the eID's assertion, or a clerk who
    saw the identity document at the counter. The latest row is the account's current proof."""

    class Method(models.TextChoices):
        EID = "eid", _("the national eID")
        COUNTER = "counter", _("a clerk at the counter, with the identity document")

    class Document(models.TextChoices):
        ID_CARD = "id_card", _("Identity card")
        PASSPORT = "passport", _("Passport")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identity_verifications")
    nid = models.CharField(_("personal number"), max_length=10)
    method = models.CharField(_("how"), max_length=10, choices=Method.choices)
    verified_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="identity_verifications_made",
        verbose_name=_("clerk"),
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    document = models.CharField(
        _("document seen"), max_length=10, choices=Document.choices, blank=True
    )
    check_letter_overridden = models.BooleanField(default=False)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "at"])]
        verbose_name = _("identity verification")
        verbose_name_plural = _("identity verifications")

    def __str__(self) -> str:
        return f"{self.user} {self.method} {self.at:%Y-%m-%d}"


class IdentityCheckCode(models.Model):
    """A one-time code shown on the resident's account page and read out to the clerk, so the
    clerk verifies the account of the person in front of them. Only the hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="identity_codes")
    code_hash = models.CharField(max_length=64, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user} @ {self.created_at:%Y-%m-%d %H:%M}"


class KinRelationship(models.Model):
    """An account's proven person is the parent or legal guardian of a minor in a municipality's
    register, as a clerk saw on the birth certificate or the court decision (decision 0010).

    Append-only: a mistake or an ended guardianship is a :class:`KinRevocation` row, never an
    edit. The relationship grants nothing once the child is 18 (``child_birth_date``), once
    revoked, or to an account no longer proven to be ``parent_nid``.
    """

    class Kind(models.TextChoices):
        PARENT = "parent", _("Parent")
        GUARDIAN = "guardian", _("Legal guardian")

    class Document(models.TextChoices):
        BIRTH_CERTIFICATE = "birth_cert", _("Birth certificate")
        COURT_DECISION = "court", _("Court decision on guardianship")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="kin_relationships", verbose_name=_("account")
    )
    parent_nid = models.CharField(
        _("parent's personal number"),
        max_length=10,
        help_text=_("The account's proven personal number when the relationship was recorded."),
    )
    child = models.ForeignKey(
        "core.Person",
        on_delete=models.PROTECT,
        related_name="kin_relationships",
        verbose_name=_("child"),
    )
    kind = models.CharField(_("relationship"), max_length=10, choices=Kind.choices)
    child_birth_date = models.DateField(
        _("child's date of birth"),
        help_text=_(
            "From the register, or from the document the clerk saw: the relationship "
            "grants nothing from the child's 18th birthday."
        ),
    )
    document = models.CharField(_("document seen"), max_length=10, choices=Document.choices)
    document_number = models.CharField(_("document number"), max_length=40)
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="+", verbose_name=_("municipality")
    )
    verified_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="kin_relationships_verified",
        verbose_name=_("clerk"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["user", "child"])]
        verbose_name = _("verified relationship")
        verbose_name_plural = _("verified relationships")

    def __str__(self) -> str:
        return f"{self.user} {self.kind} of person {self.child_id}"


class KinRevocation(models.Model):
    """A relationship stops granting anything from ``at``: recorded, never deleted."""

    relationship = models.OneToOneField(
        KinRelationship, on_delete=models.CASCADE, related_name="revocation"
    )
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("clerk")
    )
    reason = models.CharField(_("reason"), max_length=200)
    at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("revoked relationship")
        verbose_name_plural = _("revoked relationships")

    def __str__(self) -> str:
        return f"revocation of {self.relationship_id}"
