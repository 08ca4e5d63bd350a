"""Entering the council's fiscal package (dated data) and reading the one in force."""

import json
from datetime import date
from decimal import Decimal
from importlib import resources

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from sportel.core import audit

from .models import FiscalPackage, Instalment, Tariff, TaxHead, ZonePrice


def _decimal(value, field: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except Exception:
        raise ValidationError({field: _("Not a number.")}) from None
    if not result.is_finite() or result < 0:
        raise ValidationError({field: _("Must be zero or more.")})
    return result


def _appeal_rules(appeal: dict) -> dict:
    """The package's appeal rules (what the council sets; the law's fixed rules stay in
    revenue/appeals.py). Missing keys keep the model's defaults."""
    rules: dict = {}
    if "decision_days" in appeal:
        days = appeal["decision_days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 365:
            raise ValidationError(
                {"appeal": _("The days to decide an appeal must be a whole number, 1 to 365.")}
            )
        rules["appeal_decision_days"] = days
    decided_by = appeal.get("decided_by") or {}
    rules["appeal_decided_by_sq"] = str(decided_by.get("sq", ""))[:200]
    rules["appeal_decided_by_en"] = str(decided_by.get("en", ""))[:200]
    rules["appeal_source"] = str(appeal.get("source", ""))
    if "delay_interest_rate" in appeal:
        raise ValidationError({"appeal": _("The delay interest is not an appeal rule.")})
    return rules


def create_package(municipality, data: dict, *, actor=None) -> FiscalPackage:
    """Create a year's package from ``data`` (the shape of data/*.json). Refused, with nothing
    written, when its dates overlap another package of the municipality or a rate is bad."""
    valid_from = date.fromisoformat(data["valid_from"])
    valid_to = date.fromisoformat(data["valid_to"])
    if valid_to < valid_from:
        raise ValidationError({"valid_to": _("The package ends before it starts.")})
    with transaction.atomic():
        overlapping = FiscalPackage.objects.select_for_update().filter(
            municipality=municipality, valid_from__lte=valid_to, valid_to__gte=valid_from
        )
        clash = overlapping.first()
        if clash is not None:
            raise ValidationError(
                {
                    "valid_from": _(
                        "These dates overlap the %(year)s package (%(start)s to %(end)s)."
                    )
                    % {"year": clash.year, "start": clash.valid_from, "end": clash.valid_to}
                }
            )
        package = FiscalPackage.objects.create(
            municipality=municipality,
            year=int(data["year"]),
            valid_from=valid_from,
            valid_to=valid_to,
            decision=data["decision"],
            decision_date=date.fromisoformat(data["decision_date"]),
            penalty_rate_per_day=_decimal(data.get("penalty_rate_per_day", "0.0006"), "penalty"),
            penalty_cap_days=int(data.get("penalty_cap_days", 365)),
            delay_interest_rate=_decimal(data.get("delay_interest_rate", "0"), "interest"),
            source_note=data.get("source_note", ""),
            **_appeal_rules(data.get("appeal") or {}),
        )
        heads = {}
        for order, head in enumerate(data["tax_heads"], start=1):
            heads[head["code"]], _created = TaxHead.objects.get_or_create(
                municipality=municipality,
                code=head["code"],
                defaults={
                    "name_sq": head["name_sq"],
                    "name_en": head["name_en"],
                    "basis": head["basis"],
                    "priority": head.get("priority", order * 10),
                },
            )
        for tariff in data["tariffs"]:
            if tariff["tax_head"] not in heads:
                raise ValidationError({"tariffs": _("A tariff names an unknown tax head.")})
            Tariff.objects.create(
                package=package,
                tax_head=heads[tariff["tax_head"]],
                use=tariff["use"],
                rate=_decimal(tariff["rate"], "rate"),
                exempt_before_year=tariff.get("exempt_before_year"),
            )
        for zone, price in data.get("zone_prices", {}).items():
            ZonePrice.objects.create(
                package=package, zone=zone, price_per_m2=_decimal(price, "zone_prices")
            )
        shares = Decimal(0)
        for number, instalment in enumerate(data["instalments"], start=1):
            share = _decimal(instalment["share"], "instalments")
            shares += share
            Instalment.objects.create(
                package=package,
                number=number,
                due_date=date.fromisoformat(instalment["due_date"]),
                share=share,
            )
        if shares != 1:
            raise ValidationError({"instalments": _("The instalments must add up to the year.")})
        audit.record(
            "revenue.package.create",
            actor=actor,
            municipality=municipality,
            obj=package,
            data={"year": package.year, "decision": package.decision},
        )
    # From now on the catalogue's clearance certificate is decided by this ledger.
    from .service_link import join_clearance_service

    join_clearance_service(municipality, actor=actor)
    return package


def seed_data(name: str) -> dict:
    text = resources.files("sportel.revenue").joinpath(f"data/{name}.json").read_text("utf-8")
    return json.loads(text)


def package_for(municipality, year: int) -> FiscalPackage | None:
    return FiscalPackage.objects.filter(municipality=municipality, year=year).first()
