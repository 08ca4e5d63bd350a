"""Revenue: the taxpayer register's properties, the council's fiscal package as dated data,
assessments (demands), invoices with RF references, payments, bank statements and the
double-entry ledger every balance is computed from.

History is appended, never edited: a corrected demand is a new revision; a payment taken by
mistake is reversed by a new ledger transaction. Ledger amounts are stored in qindarka (integer
hundredths of a lek) so that sums are exact in SQLite and PostgreSQL alike; ``Decimal`` views
convert at the edge (core.money).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sportel.core.models import AdministrativeUnit, Business, Municipality, Person, TenantScoped


def cents_to_money(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


class Use(models.TextChoices):
    RESIDENTIAL = "residential", _("Residential")
    ECONOMIC = "economic", _("Economic activity")
    LAND = "land", _("Land")


class TaxHead(TenantScoped):
    """A tax or fee the municipality levies (building tax, cleaning tariff...). ``priority``
    orders how partial payments are allocated (lowest first)."""

    class Basis(models.TextChoices):
        BUILDING_VALUE = "building_value", _("Zone reference price × area × rate")
        PER_M2 = "per_m2", _("Amount per square metre")
        FLAT = "flat", _("Flat amount per taxpayer")
        FEE = "fee", _("Service fee taken at the counter")
        DECLARED = "declared", _("Declared or assessed case by case (not in the annual run)")

    code = models.SlugField(_("code"), max_length=40)
    name_sq = models.CharField(_("name (Albanian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    basis = models.CharField(_("basis"), max_length=20, choices=Basis.choices)
    priority = models.PositiveSmallIntegerField(_("allocation order"), default=100)

    class Meta:
        ordering = ["priority", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="revenue_taxhead_code")
        ]

    def __str__(self) -> str:
        return self.name_sq


class FiscalPackage(TenantScoped):
    """The council's decision for a fiscal year: tariffs, zone prices, instalments, penalty."""

    year = models.PositiveSmallIntegerField(_("fiscal year"))
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"))
    decision = models.CharField(
        _("council decision"), max_length=200, help_text=_("e.g. VKB nr. 112, datë 20.12.2025")
    )
    decision_date = models.DateField(_("decision date"))
    penalty_rate_per_day = models.DecimalField(
        _("late-payment penalty per day"), max_digits=7, decimal_places=6, default=Decimal("0.0006")
    )
    penalty_cap_days = models.PositiveSmallIntegerField(_("penalty days at most"), default=365)
    delay_interest_rate = models.DecimalField(
        _("delay interest per year"),
        max_digits=7,
        decimal_places=6,
        default=Decimal("0"),
        help_text=_(
            "Interest on unpaid principal per year of delay (e.g. 0.05 for 5 %), besides the "
            "penalty; 0 where the package sets none."
        ),
    )
    # The appeal rules that vary by municipality and year (revenue/appeals.py keeps what the
    # law fixes: the 30 days to appeal and "paid or guaranteed first").
    appeal_decision_days = models.PositiveSmallIntegerField(
        _("days to decide an appeal"),
        default=60,
        help_text=_("The time the municipality gives itself to decide an appeal."),
    )
    appeal_decided_by_sq = models.CharField(
        _("who decides appeals (Albanian)"), max_length=200, blank=True
    )
    appeal_decided_by_en = models.CharField(
        _("who decides appeals (English)"), max_length=200, blank=True
    )
    appeal_source = models.TextField(
        _("appeal rules: source"),
        blank=True,
        help_text=_("The council decision or law each appeal rule comes from."),
    )
    source_note = models.TextField(
        _("sources"),
        blank=True,
        help_text=_("For administrators: where each rate comes from and what is unverified."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year"], name="revenue_package_year"),
            models.CheckConstraint(
                condition=Q(valid_to__gte=models.F("valid_from")), name="revenue_package_dates"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id} {self.year}"


class ZonePrice(models.Model):
    """Reference price (ALL per m²) of a cadastral zone, the base of the value-based building tax."""

    package = models.ForeignKey(FiscalPackage, on_delete=models.PROTECT, related_name="zones")
    zone = models.CharField(_("cadastral zone"), max_length=20)
    price_per_m2 = models.DecimalField(
        _("reference price (ALL/m²)"), max_digits=12, decimal_places=2
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["package", "zone"], name="revenue_zone")]

    def __str__(self) -> str:
        return f"{self.zone}: {self.price_per_m2}"


class Tariff(models.Model):
    """One tax head's rate for one use in one package. ``rate`` is a fraction for the
    value-based building tax (0.0005 = 0.05 %), an amount in ALL otherwise."""

    package = models.ForeignKey(FiscalPackage, on_delete=models.PROTECT, related_name="tariffs")
    tax_head = models.ForeignKey(TaxHead, on_delete=models.PROTECT, related_name="tariffs")
    use = models.CharField(_("use"), max_length=20, choices=Use.choices)
    rate = models.DecimalField(_("rate"), max_digits=14, decimal_places=6)
    exempt_before_year = models.PositiveSmallIntegerField(
        _("exempt if built before"), null=True, blank=True
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["package", "tax_head", "use"], name="revenue_tariff_use"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tax_head_id} {self.use} {self.rate}"


class Instalment(models.Model):
    package = models.ForeignKey(FiscalPackage, on_delete=models.PROTECT, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("instalment"))
    due_date = models.DateField(_("due date"))
    share = models.DecimalField(_("share of the year"), max_digits=5, decimal_places=4)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["package", "number"], name="revenue_instalment_number")
        ]

    def __str__(self) -> str:
        return f"{self.number}: {self.due_date}"


class Property(TenantScoped):
    """A building or a plot in the register (ASHK's zone and property number)."""

    cadastral_zone = models.CharField(_("cadastral zone"), max_length=20)
    property_number = models.CharField(_("property number"), max_length=40)
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=12, decimal_places=2)
    use = models.CharField(_("use"), max_length=20, choices=Use.choices)
    year_built = models.PositiveSmallIntegerField(_("year built"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        verbose_name_plural = _("properties")
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "cadastral_zone", "property_number"],
                name="revenue_property_number",
            ),
            models.CheckConstraint(condition=Q(area_m2__gt=0), name="revenue_property_area"),
        ]


class Ownership(models.Model):
    """An owner's share of a property: a person or a business, never both."""

    property = models.ForeignKey(Property, on_delete=models.PROTECT, related_name="owners")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True)
    business = models.ForeignKey(Business, on_delete=models.PROTECT, null=True, blank=True)
    share = models.DecimalField(_("share"), max_digits=7, decimal_places=6)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=True) ^ Q(business__isnull=True),
                name="revenue_owner_one_kind",
            ),
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lte=1), name="revenue_owner_share"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.property_id} × {self.share}"


class Premises(TenantScoped):
    """Where a business operates: it pays the business tariffs (cleaning, lighting, sign)."""

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="premises")
    address = models.CharField(_("address"), max_length=200)
    unit = models.ForeignKey(
        AdministrativeUnit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    area_m2 = models.DecimalField(_("area (m²)"), max_digits=12, decimal_places=2, default=0)
    sign_m2 = models.DecimalField(_("sign area (m²)"), max_digits=8, decimal_places=2, default=0)

    class Meta:
        verbose_name_plural = _("premises")


class AssessmentRun(TenantScoped):
    """One run of the year's assessment: resumable (``done`` counts taxpayers finished) and
    idempotent (each taxpayer's demands are written once per run revision)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    package = models.ForeignKey(FiscalPackage, on_delete=models.PROTECT, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Decision 0029: a run may be split into shards (taxpayers by id modulo ``shards``), each
    # assessed by its own worker in its own transactions; 1 is the single, sequential run.
    shards = models.PositiveSmallIntegerField(default=1)


class AssessmentShard(models.Model):
    """One shard of a parallel run (decision 0029): the taxpayers whose id modulo the run's
    ``shards`` is ``number``, assessed in order; ``done`` is the position reached, committed
    with each batch, so a killed worker's shard resumes where it stopped."""

    run = models.ForeignKey(AssessmentRun, on_delete=models.CASCADE, related_name="shard_rows")
    number = models.PositiveSmallIntegerField()
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    finished = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="revenue_shard_once"),
        ]

    def __str__(self):
        return f"{self.run_id}/{self.number}: {self.done}/{self.total}"


class Invoice(TenantScoped):
    """A taxpayer's bill (fletëpagesë) for a year, paid with its RF reference."""

    # No index of its own: the unique (municipality, reference) starts with it (decision 0036).
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("municipality"),
        db_index=False,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    business = models.ForeignKey(
        Business, on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    reference = models.CharField(_("RF reference"), max_length=25)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # An invoice has either a person or a business: each index holds only the rows that
        # name one (decision 0027).
        indexes = [
            models.Index(
                fields=["person"], condition=Q(person__isnull=False), name="revenue_invoice_person"
            ),
            models.Index(
                fields=["business"],
                condition=Q(business__isnull=False),
                name="revenue_invoice_business",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "reference"], name="revenue_invoice_rf"
            ),
            models.CheckConstraint(
                condition=Q(person__isnull=True) ^ Q(business__isnull=True),
                name="revenue_invoice_one_payer",
            ),
        ]


class Demand(TenantScoped):
    """What one taxpayer owes under one tax head for one year (and property, when there is
    one). A correction is a new row with ``revision`` + 1 that supersedes the previous one; the
    ledger carries the difference."""

    # No index of their own on invoice (the revision constraint's index starts with it), tax
    # head, property and run: no query looks demands up by them (decision 0027).
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, related_name="demands", db_index=False
    )
    tax_head = models.ForeignKey(
        TaxHead, on_delete=models.PROTECT, related_name="demands", db_index=False
    )
    property = models.ForeignKey(
        Property, on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    premises = models.ForeignKey(
        Premises, on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    run = models.ForeignKey(
        AssessmentRun, on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    revision = models.PositiveSmallIntegerField(default=1)
    # At most one revision supersedes a demand: a unique index over the revisions only, not the
    # first demands' nulls (decision 0036).
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        db_index=False,
    )
    amount = models.DecimalField(_("amount (ALL)"), max_digits=14, decimal_places=2)
    due_date = models.DateField(_("due date"))
    basis = models.JSONField(_("how it was computed"), default=dict)
    reason = models.CharField(_("reason for the revision"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tax_head__priority", "due_date", "id"]
        indexes = [
            models.Index(
                fields=["premises"],
                condition=Q(premises__isnull=False),
                name="revenue_demand_premises",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "tax_head", "property", "premises", "revision"],
                name="revenue_demand_revision",
                nulls_distinct=False,
            ),
            models.UniqueConstraint(
                fields=["supersedes"],
                condition=Q(supersedes__isnull=False),
                name="revenue_demand_supersedes_once",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="revenue_demand_amount"),
        ]


# --------------------------------------------------------------------------- ledger
class Account(models.TextChoices):
    """The chart of accounts (codes after the public-sector plan's classes)."""

    BANK = "5120", _("Bank: treasury account")
    CASH = "5310", _("Cash at the counters")
    ONLINE = "5130", _("Online payments in transit")
    RECEIVABLE = "4680", _("Taxpayers: amounts owed")
    CREDIT = "4670", _("Taxpayers: credit (overpayments)")
    SUSPENSE = "4710", _("Receipts not yet applied")
    INCOME = "7000", _("Tax and fee income")


class LedgerTransaction(TenantScoped):
    """A balanced set of lines. Lines are added only while the transaction is open; sealing it
    checks in the database that its lines sum to zero (docs/decisions, revenue-ledger)."""

    class Kind(models.TextChoices):
        ASSESSMENT = "assessment", _("Assessment")
        REVISION = "revision", _("Revised assessment")
        RECEIPT = "receipt", _("Receipt")
        ALLOCATION = "allocation", _("Allocation to demands")
        REVERSAL = "reversal", _("Reversal")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    booked_on = models.DateField(_("booking date"))
    posted_at = models.DateTimeField(auto_now_add=True)
    memo = models.CharField(max_length=300, blank=True)
    key = models.CharField(
        max_length=200, help_text="Idempotency key: the same event never posts twice."
    )
    sealed = models.BooleanField(default=False)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "key"], name="revenue_ledger_key")
        ]


class LedgerLine(models.Model):
    """Debit positive, credit negative, in qindarka."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="lines"
    )
    # Indexes only where a query looks lines up (decision 0027): (municipality, account) also
    # serves the municipality alone; the tax head is grouped by, never looked up; person,
    # business and payment are indexed only on the lines that name one.
    municipality = models.ForeignKey(
        "core.Municipality", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    account = models.CharField(max_length=4, choices=Account.choices)
    cents = models.BigIntegerField()
    tax_head = models.ForeignKey(
        TaxHead, on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    demand = models.ForeignKey(
        Demand, on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    business = models.ForeignKey(
        Business, on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )
    payment = models.ForeignKey(
        "Payment", on_delete=models.PROTECT, null=True, blank=True, db_index=False
    )

    class Meta:
        indexes = [
            models.Index(fields=["municipality", "account"]),
            models.Index(fields=["demand"]),
            models.Index(
                fields=["person"], condition=Q(person__isnull=False), name="revenue_line_person"
            ),
            models.Index(
                fields=["business"],
                condition=Q(business__isnull=False),
                name="revenue_line_business",
            ),
            models.Index(
                fields=["payment"], condition=Q(payment__isnull=False), name="revenue_line_payment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.cents}"

    @property
    def amount(self) -> Decimal:
        return cents_to_money(self.cents)


# --------------------------------------------------------------------------- payments
class CashSession(TenantScoped):
    """One clerk's day at the till; closed with the counted cash (the cash-up)."""

    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    expected = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    counted = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "clerk", "day"], name="revenue_cash_session_day"
            )
        ]


MATCH_REASONS = {
    "rf": _("RF reference %(reference)s"),
    "nipt": _("NIPT %(nipt)s in the remittance"),
    "nid": _("personal number in the remittance"),
    "name_amount": _("payer's name and the amount owed"),
    "name": _("payer's name only"),
    "none": _("no reference, identifier or name recognised"),
    "manual": _("assigned by hand to %(reference)s"),
    "online": _("online payment (%(provider)s)"),
    "counter_fee": _("service fee at the counter"),
}
UNKNOWN_RF = _("unknown RF reference %(reference)s")


def match_reason_text(code: str, params: dict | None) -> str:
    """A payment's stored reason code and parameters, in the active language."""
    params = params or {}
    parts = []
    if params.get("unknown_rf"):
        parts.append(str(UNKNOWN_RF) % {"reference": params["unknown_rf"]})
    template = MATCH_REASONS.get(code)
    if template is not None:
        values = {k: v for k, v in params.items() if k != "unknown_rf"}
        try:
            parts.append(str(template) % values if values else str(template))
        except (KeyError, TypeError, ValueError):
            parts.append(str(template))
    elif code:
        parts.append(code)
    return "; ".join(parts)


class Payment(TenantScoped):
    """Money received, from any channel. Applying it to demands is a ledger allocation."""

    class Channel(models.TextChoices):
        CASH = "cash", _("Cash at the counter")
        BANK = "bank", _("Bank transfer")
        ONLINE = "online", _("Online payment")

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        UNMATCHED = "unmatched", _("Waiting for a match")
        REVERSED = "reversed", _("Reversed")

    channel = models.CharField(max_length=10, choices=Channel.choices)
    amount = models.DecimalField(_("amount (ALL)"), max_digits=14, decimal_places=2)
    received_on = models.DateField(_("received on"))
    payer_name = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=140, blank=True)
    remittance = models.TextField(blank=True)
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, null=True, blank=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True)
    business = models.ForeignKey(Business, on_delete=models.PROTECT, null=True, blank=True)
    service_case = models.ForeignKey(
        "services.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cash_session = models.ForeignKey(CashSession, on_delete=models.PROTECT, null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    match_score = models.PositiveSmallIntegerField(default=0)
    # Why the payment was matched as it was: a code of MATCH_REASONS and its parameters, kept
    # language-neutral and put into the reader's language when shown (match_reason).
    match_code = models.CharField(max_length=40, blank=True)
    match_params = models.JSONField(default=dict, blank=True)
    receipt_number = models.CharField(max_length=40, blank=True)
    key = models.CharField(max_length=200)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    @property
    def match_reason(self) -> str:
        """The match reason in the active language (sq or en)."""
        return match_reason_text(self.match_code, self.match_params)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "key"], name="revenue_payment_key"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="revenue_payment_amount"),
        ]


class Statement(TenantScoped):
    """An imported bank statement (camt.053 or CSV); the same statement imports once."""

    iban = models.CharField(max_length=34)
    statement_id = models.CharField(max_length=140)
    message_id = models.CharField(max_length=140, blank=True)
    sha256 = models.CharField(max_length=64)
    file_name = models.CharField(max_length=200, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.CharField(max_length=200)
    lines_count = models.PositiveIntegerField(default=0)
    credited = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "iban", "statement_id"], name="revenue_statement_once"
            ),
            models.UniqueConstraint(fields=["municipality", "sha256"], name="revenue_file_once"),
        ]


class StatementLine(models.Model):
    class Outcome(models.TextChoices):
        APPLIED = "applied", _("Matched and applied")
        QUEUED = "queued", _("In the manual queue")
        REVERSAL = "reversal", _("Reversal posted")
        IGNORED = "ignored", _("Not a receipt (debit)")

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    entry_index = models.PositiveIntegerField()
    tx_index = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    credit = models.BooleanField()
    reversal = models.BooleanField(default=False)
    booked_on = models.DateField()
    bank_ref = models.CharField(max_length=140, blank=True)
    end_to_end = models.CharField(max_length=140, blank=True)
    debtor_name = models.CharField(max_length=140, blank=True)
    structured_ref = models.CharField(max_length=35, blank=True)
    remittance = models.TextField(blank=True)
    bank_code = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "entry_index", "tx_index"], name="revenue_statement_line"
            )
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.entry_index}/{self.tx_index}"


def clean_amount(value) -> Decimal:
    """A positive amount in lek with at most two decimals, or ValidationError."""
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except Exception:
        raise ValidationError(_("The amount is not a number."), code="amount") from None
    if not amount.is_finite():
        raise ValidationError(_("The amount is not a number."), code="amount")
    if amount <= 0:
        raise ValidationError(_("The amount must be more than zero."), code="amount")
    if amount.as_tuple().exponent < -2:
        raise ValidationError(_("The amount has more than two decimals."), code="amount")
    return amount.quantize(Decimal("0.01"))


# --------------------------------------------------------------------------- documents to taxpayers
class TaxNotice(TenantScoped):
    """A sealed document sent to a taxpayer about one bill: the tax notice (njoftim-vlerësim /
    fletëpagesë) or a reminder letter. The PDF is the documents module's sealed document, so
    anyone can verify it at /verify/<code>. One notice per bill and state of its demands
    (``fingerprint``), one reminder per bill and level: re-running a batch sends nothing twice."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Tax notice")
        REMINDER = "reminder", _("Reminder letter")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="notices")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    level = models.PositiveSmallIntegerField(_("reminder level"), default=0)
    fingerprint = models.CharField(
        max_length=64, help_text="The demands the notice states (or the reminder level)."
    )
    document = models.ForeignKey(
        "documents.IssuedDocument", on_delete=models.PROTECT, related_name="+"
    )
    total = models.DecimalField(_("amount stated (ALL)"), max_digits=14, decimal_places=2)
    emailed_to = models.CharField(_("sent by email to"), max_length=254, blank=True)
    created_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "kind", "fingerprint"], name="revenue_notice_once"
            )
        ]


def _appeal_path(instance, filename: str) -> str:
    import uuid

    return f"revenue/appeals/{instance.municipality_id}/{uuid.uuid4().hex}-{filename}"


class Appeal(TenantScoped):
    """A taxpayer's administrative appeal against one demand (one tax head of one bill). While
    it waits for a decision the demand is off the enforcement list. The decision is a new row
    (:class:`AppealDecision`), never an edit of this one."""

    demand = models.ForeignKey(Demand, on_delete=models.PROTECT, related_name="appeals")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="appeals")
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    guarantee = models.BooleanField(
        _("bank guarantee instead of payment"),
        default=False,
        help_text=_("The amount is not paid; the attachment is the bank guarantee."),
    )
    attachment = models.FileField(upload_to=_appeal_path, max_length=300, blank=True)
    attachment_name = models.CharField(max_length=200, blank=True)
    attachment_type = models.CharField(max_length=40, blank=True)
    outstanding_when_filed = models.DecimalField(max_digits=14, decimal_places=2)
    filed_at = models.DateTimeField(auto_now_add=True)
    decide_by = models.DateField(_("decision due by"))
    rules = models.JSONField(
        _("appeal rules applied"),
        default=dict,
        blank=True,
        help_text=_(
            "The rules the appeal was filed under (the fiscal package of the bill's year, and "
            "the law's fixed rules), kept so a past decision can be re-run as it was made."
        ),
    )
    key = models.CharField(max_length=64, help_text="Idempotency key of the filing form.")

    class Meta:
        ordering = ["-filed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "key"], name="revenue_appeal_key")
        ]


class AppealDecision(models.Model):
    """The tax office's decision on an appeal. ``amended`` writes a revised demand and a ledger
    revision (the difference), never an edit of the demand."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", _("Assessment upheld")
        AMENDED = "amended", _("Assessment amended")
        REJECTED = "rejected", _("Appeal rejected as inadmissible")

    appeal = models.OneToOneField(Appeal, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(_("decision"), max_length=10, choices=Outcome.choices)
    amount = models.DecimalField(
        _("amended amount (ALL)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    reasons = models.TextField(_("reasons"))
    revised_demand = models.OneToOneField(
        Demand, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.appeal_id}: {self.outcome}"


class EnforcementStep(TenantScoped):
    """A legal step taken to collect one overdue demand (append-only: the latest is current)."""

    class Step(models.TextChoices):
        NOTICE = "notice", _("Notice and demand to pay sent")
        BANK_FREEZE = "bank_freeze", _("Order to freeze bank accounts")
        LIEN = "lien", _("Lien (mortgage burden) on property")
        BAILIFF = "bailiff", _("Handed to the bailiff")
        INSTALMENTS = "instalments", _("Instalment agreement")
        CLOSED = "closed", _("Closed")

    demand = models.ForeignKey(Demand, on_delete=models.PROTECT, related_name="enforcement")
    step = models.CharField(_("legal step"), max_length=12, choices=Step.choices)
    reference = models.CharField(_("act number"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    taken_on = models.DateField(_("date of the act"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_at", "pk"]


class CostingPlan(TenantScoped):
    """The tariff costing instrument's plan: what a service (waste collection...) costs in a
    year for a tax head, how many households and businesses pay for it, and the collection
    rates to compare (revenue/costing.py does the arithmetic). The ledger's rate of the year
    before is read, not stored: it changes as payments arrive."""

    tax_head = models.ForeignKey(TaxHead, on_delete=models.PROTECT, related_name="costing_plans")
    year = models.PositiveSmallIntegerField(_("year"))
    households = models.PositiveIntegerField(_("households that pay"), default=0)
    businesses = models.PositiveIntegerField(_("businesses that pay"), default=0)
    business_weight = models.DecimalField(
        _("a business pays as many households"), max_digits=8, decimal_places=2, default=1
    )
    extra_rates = models.JSONField(_("other collection rates (%)"), default=list, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "tax_head", "year"], name="revenue_costing_plan"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tax_head_id} {self.year}"


class CostItem(models.Model):
    """One line of a service's yearly cost (staff, fuel, vehicles, landfill...)."""

    plan = models.ForeignKey(CostingPlan, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(_("cost item"), max_length=120)
    amount = models.DecimalField(_("amount (ALL)"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="revenue_cost_item_not_negative"
            )
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"


class RepresentativeReview(TenantScoped):
    """A tax officer's review of a link between a business and a person who represents it
    (core's ``Business.representatives``). Links made online before decision 0028 were made by
    typing a NIPT and prove nothing; each is approved (kept) or revoked (removed) with a reason.
    Append-only: the latest review of a (business, person) pair is its state."""

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved: the person represents the business")
        REVOKED = "revoked", _("Revoked: the link was removed")

    business = models.ForeignKey(Business, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    reason = models.CharField(_("reason"), max_length=300)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["decided_at", "pk"]
