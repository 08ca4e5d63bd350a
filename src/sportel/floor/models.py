"""The one-stop shop's floor: offices, counters, queue categories, tickets, appointments, devices.

A ticket's history is :class:`TicketEvent` rows, appended and never edited; the ticket row holds
the current state and the pointers (counter, times) that each event updates. Ticket numbers
(``A-001``) are gap-free per office, category and day: :class:`TicketCounter` is the locked row
that hands them out (see ``numbering.py``).
"""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from sportel.core.models import AdministrativeUnit, TenantScoped

from . import workflow


def _in_language(obj, field: str) -> str:
    language = (get_language() or "sq")[:2]
    return (getattr(obj, f"{field}_en", "") if language == "en" else "") or getattr(
        obj, f"{field}_sq"
    )


class Priority(models.TextChoices):
    """The priority groups the law names (elderly, disability, pregnancy, infants)."""

    NONE = "", _("No priority")
    ELDERLY = "elderly", _("Elderly person")
    DISABILITY = "disability", _("Person with a disability")
    PREGNANT = "pregnant", _("Pregnant woman")
    INFANT = "infant", _("Parent with an infant")


DEFAULT_PRIORITY_ORDER = ["disability", "elderly", "pregnant", "infant"]
# A checked-in appointment goes before every walk-in; priorities come next; then the rest.
RANK_APPOINTMENT = 0
RANK_NONE = 99
# A booked appointment may check in from this long before its slot until this long after.
CHECK_IN_EARLY = dt.timedelta(minutes=30)
CHECK_IN_LATE = dt.timedelta(minutes=15)


class Office(TenantScoped):
    """A one-stop-shop office (Zyra me Një Ndalesë) in one administrative unit."""

    unit = models.ForeignKey(
        AdministrativeUnit,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("administrative unit"),
    )
    slug = models.SlugField(_("slug"), max_length=60)
    name_sq = models.CharField(_("name (Albanian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    opening_hours = models.JSONField(
        _("opening hours"),
        default=dict,
        help_text=_('Per weekday (0 = Monday): a list of ["08:00", "16:00"] intervals.'),
    )
    priority_order = models.JSONField(
        _("priority order"),
        default=list,
        help_text=_("The priority groups in the order this office serves them first."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name_sq"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "slug"], name="office_slug_per_mun")
        ]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self) -> str:
        return self.name_sq

    @property
    def name(self) -> str:
        return _in_language(self, "name")


class QueueCategory(TenantScoped):
    """A group of services one queue serves (``A``: civil status, ``B``: taxes …)."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="categories")
    letter = models.CharField(_("letter"), max_length=2, help_text=_("Ticket prefix, e.g. A."))
    name_sq = models.CharField(_("name (Albanian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    services = models.ManyToManyField(
        "services.ServiceType", blank=True, related_name="+", verbose_name=_("services")
    )
    default_service_minutes = models.PositiveSmallIntegerField(
        _("service minutes before measurements"),
        default=6,
        help_text=_("Used for the expected wait until enough tickets have been measured."),
    )
    slot_minutes = models.PositiveSmallIntegerField(_("appointment slot (minutes)"), default=15)
    slot_capacity = models.PositiveSmallIntegerField(
        _("appointments per slot"), default=0, help_text=_("0: no appointments.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=10)

    class Meta:
        ordering = ["order", "letter"]
        constraints = [
            models.UniqueConstraint(fields=["office", "letter"], name="category_letter_per_office")
        ]
        verbose_name = _("queue category")
        verbose_name_plural = _("queue categories")

    def __str__(self) -> str:
        return f"{self.letter} {self.name_sq}"

    @property
    def name(self) -> str:
        return _in_language(self, "name")


class Counter(TenantScoped):
    """A desk (sportel) where a clerk calls and serves tickets of some categories."""

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="counters")
    number = models.PositiveSmallIntegerField(_("number"))
    categories = models.ManyToManyField(QueueCategory, related_name="counters")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["office", "number"], name="counter_number_per_office")
        ]
        verbose_name = _("counter")
        verbose_name_plural = _("counters")

    def __str__(self) -> str:
        return str(self.number)


class ClerkSession(TenantScoped):
    """A clerk signed in at a counter for a shift; open while ``ended_at`` is empty."""

    counter = models.ForeignKey(Counter, on_delete=models.PROTECT, related_name="sessions")
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["counter"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_session_per_counter",
            ),
            models.UniqueConstraint(
                fields=["clerk"],
                condition=models.Q(ended_at__isnull=True),
                name="one_open_session_per_clerk",
            ),
        ]


class TicketCounter(TenantScoped):
    """The last ticket number handed out per office, category and day (locked to take one)."""

    category = models.ForeignKey(QueueCategory, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "day"], name="ticket_counter_per_day")
        ]


class Channel(models.TextChoices):
    KIOSK = "kiosk", _("At a kiosk")
    RECEPTION = "reception", _("At reception")
    ONLINE = "online", _("Online")
    SMS = "sms", _("By SMS")
    API = "api", _("Through the API")
    APPOINTMENT = "appointment", _("Appointment")


class Ticket(TenantScoped):
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="tickets")
    category = models.ForeignKey(QueueCategory, on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField(_("day"))
    seq = models.PositiveIntegerField()
    number = models.CharField(_("ticket number"), max_length=10)
    code = models.CharField(
        _("code"), max_length=16, unique=True, help_text=_("Unguessable: the ticket's own page.")
    )
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    priority = models.CharField(
        _("priority"), max_length=12, choices=Priority.choices, blank=True, default=""
    )
    # Lower first: 0 a checked-in appointment, then the office's priority order, 99 the rest.
    rank = models.PositiveSmallIntegerField(default=RANK_NONE)
    # Within a rank: the appointment's slot, else when the ticket was taken.
    order_at = models.DateTimeField()
    service = models.ForeignKey(
        "services.ServiceType", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    nid = models.CharField(_("personal number"), max_length=10, blank=True)
    expected_wait_minutes = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(_("state"), max_length=12, default=workflow.WAITING)
    state_changed_at = models.DateTimeField()
    counter = models.ForeignKey(
        Counter, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    # Transferred to one counter: only that counter calls it.
    for_counter = models.ForeignKey(
        Counter, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    clerk = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField()
    first_called_at = models.DateTimeField(null=True, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    calls = models.PositiveSmallIntegerField(default=0)
    serving_since = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "day", "seq"], name="ticket_seq_per_day")
        ]
        indexes = [
            models.Index(fields=["office", "state", "rank", "order_at"], name="ticket_queue"),
            models.Index(fields=["office", "called_at"], name="ticket_called"),
            models.Index(fields=["category", "finished_at"], name="ticket_finished"),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return self.number


class TicketEvent(TenantScoped):
    """One step in a ticket's life, appended and never edited."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12)
    counter = models.ForeignKey(
        Counter, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "pk"]


class TicketCase(TenantScoped):
    """A case filed at the counter while the ticket was served (several services, one visit)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="cases")
    case = models.OneToOneField("services.Case", on_delete=models.PROTECT, related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)


class Appointment(TenantScoped):
    class State(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        CHECKED_IN = "checked_in", _("Checked in")
        NO_SHOW = "no_show", _("Did not come")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="appointments")
    category = models.ForeignKey(QueueCategory, on_delete=models.PROTECT, related_name="+")
    slot_start = models.DateTimeField(_("slot"))
    code = models.CharField(_("booking code"), max_length=12, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    nid = models.CharField(_("personal number"), max_length=10, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.BOOKED)
    ticket = models.OneToOneField(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="appointment"
    )
    rebooked_from = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["category", "slot_start", "state"], name="appt_slot")]


class SlotLoad(TenantScoped):
    """Booked appointments per category and slot: the row locked to keep within capacity."""

    category = models.ForeignKey(QueueCategory, on_delete=models.CASCADE, related_name="+")
    slot_start = models.DateTimeField()
    booked = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["category", "slot_start"], name="slot_load_per_slot")
        ]


class Device(TenantScoped):
    """A kiosk or an information screen: a device, not a person, with its own token."""

    class Kind(models.TextChoices):
        KIOSK = "kiosk", _("Kiosk")
        SCREEN = "screen", _("Information screen")

    class Function(models.TextChoices):
        TICKET = "ticket", _("Take a ticket")
        CHECK_IN = "check_in", _("Check in to an appointment")
        APPLY = "apply", _("Apply for a service")
        PAY = "pay", _("Pay taxes and fees")
        EID = "eid", _("Sign in with the national eID")

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="devices")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    token_hint = models.CharField(max_length=8, help_text=_("The token's first characters."))
    functions = models.JSONField(_("allowed functions"), default=list, blank=True)
    idle_seconds = models.PositiveSmallIntegerField(_("idle time (seconds)"), default=60)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("device")
        verbose_name_plural = _("devices")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()


class KioskSignInCode(TenantScoped):
    """A one-time code sent by SMS to sign a resident in at a kiosk with their NID (only its
    hash is stored). It expires, allows a few wrong guesses, and a new one replaces the earlier."""

    device = models.ForeignKey("Device", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    superseded = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(fields=["user", "created_at"]),
            models.Index(fields=["device", "created_at"]),
        ]

    @staticmethod
    def hash_code(user_id: int, code: str) -> str:
        from django.utils.crypto import salted_hmac

        return salted_hmac("sportel.floor.kiosk-sign-in", f"{user_id}:{code}").hexdigest()


class KioskEidSession(TenantScoped):
    """A resident signed in at a kiosk with the national eID (floor/kiosk_eid.py). The row keeps
    the ID token until the kiosk session ends, so that the provider's session can be ended too
    (RP-initiated logout) even when Sportel's own session has already expired: the next person
    at this kiosk ends it. The token is blanked when the session ends."""

    device = models.ForeignKey("Device", on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    id_token = models.TextField(blank=True)
    level = models.CharField(max_length=16, blank=True, help_text=_("eIDAS level at sign-in"))
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    provider_logout = models.CharField(
        max_length=16,
        blank=True,
        help_text=_("Whether the provider's session was ended too (sent) or not (unreachable)."),
    )

    class Meta:
        indexes = [models.Index(fields=["device", "ended_at"])]


class AppointmentReminder(TenantScoped):
    """A reminder sent for an appointment: one row per appointment and kind, so the worker
    sends each reminder once however often it scans (the unique constraint is the guard)."""

    class Kind(models.TextChoices):
        DAY = "day", _("The day before")
        HOUR = "hour", _("An hour before")

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind"], name="one_reminder_per_kind")
        ]


class InboundSms(TenantScoped):
    """An SMS asking for a ticket ("<office code> <queue letter>"), kept by the gateway's message
    id so that a replayed or re-sent request gets the same answer and no second ticket. The
    sender's number is kept only as a hash (the reply itself is in the outbox)."""

    message_id = models.CharField(max_length=100)
    sender_hash = models.CharField(max_length=64)
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, null=True, blank=True)
    reply = models.CharField(max_length=320)
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "message_id"], name="inbound_sms_once_per_id"
            )
        ]


class KioskPayment(TenantScoped):
    """A resident's payment of a tax bill at a kiosk, one row per checkout (the form's one-time
    token): a double tap finds the same row and charges nothing twice. The money itself lands in
    revenue's ledger through the provider's signed event (``kiosk_payments``)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the payment provider")
        PAID = "paid", _("Paid")
        DECLINED = "declined", _("Declined by the payment provider")
        FAILED = "failed", _("The payment provider could not be reached")
        UNKNOWN = "unknown", _("Not yet confirmed by the payment provider")

    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checkout = models.CharField(max_length=32)
    reference = models.CharField(_("RF reference"), max_length=25)
    amount = models.DecimalField(_("amount (ALL)"), max_digits=14, decimal_places=2)
    provider = models.CharField(max_length=40)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    detail = models.CharField(max_length=40, blank=True)
    payment_pk = models.BigIntegerField(null=True, blank=True, help_text="revenue.Payment")
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "checkout"], name="kiosk_payment_once_per_checkout"
            )
        ]
        indexes = [models.Index(fields=["municipality", "reference", "created_at"])]

    @property
    def event_id(self) -> str:
        return f"kiosk-{self.checkout}"
