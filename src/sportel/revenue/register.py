"""The taxpayer register: properties and their owners, imported from CSV or XLSX.

Each row is one owner's share of one property. Rows are checked and written one by one (each
in its own transaction): a good row is kept, a bad row is reported with its number and the
reasons, in the reader's language. Duplicates are detected, not doubled: a person is found by
NID and a business by NIPT (core.services), a property by cadastral zone and property number,
an owner of a property once; a row that repeats what is there already is reported as such.
"""

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from sportel.accounts.permissions import require
from sportel.core import audit
from sportel.core.services import register_business, register_person

from .models import Ownership, Property, Use

COLUMNS = (
    "kind",  # person | business
    "id_number",  # NID or NIPT
    "first_name",
    "last_name",
    "business_name",
    "cadastral_zone",
    "property_number",
    "area_m2",
    "use",  # residential | economic | land
    "year_built",
    "share",
    "address",
)
MAX_ROWS = 100_000


@dataclass
class Report:
    created: int = 0
    unchanged: int = 0
    errors: list[tuple[int, list[str]]] = field(default_factory=list)


def read_rows(data: bytes, file_name: str) -> list[dict]:
    """The rows of a CSV (UTF-8) or XLSX file as dictionaries keyed by the header."""
    if file_name.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).active
        except Exception:
            raise ValidationError(_("The file is not a readable XLSX workbook.")) from None
        rows = sheet.iter_rows(values_only=True)
        header = [str(h or "").strip() for h in next(rows, [])]
        out = []
        for values in rows:
            if len(out) > MAX_ROWS:
                raise ValidationError(_("The file has too many rows."))
            out.append(
                {
                    h: "" if v is None else str(v).strip()
                    for h, v in zip(header, values, strict=False)
                }
            )
        return out
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The CSV file must be saved as UTF-8.")) from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if len(rows) > MAX_ROWS:
        raise ValidationError(_("The file has too many rows."))
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in rows]


def _decimal(value: str, label: str, errors: list[str]) -> Decimal | None:
    try:
        number = Decimal(value.replace(",", "."))
    except (InvalidOperation, AttributeError):
        errors.append(_("%(field)s is not a number.") % {"field": label})
        return None
    if not number.is_finite() or number <= 0:
        errors.append(_("%(field)s must be more than zero.") % {"field": label})
        return None
    return number


def _messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def import_row(municipality, row: dict, *, actor) -> tuple[bool, list[str]]:
    """Write one row; ``(created, errors)``."""
    errors: list[str] = []
    kind = row.get("kind", "").lower()
    if kind not in ("person", "business"):
        errors.append(_("The kind must be person or business."))
    use = row.get("use", "").lower()
    if use not in Use.values:
        errors.append(_("The use must be residential, economic or land."))
    area = _decimal(row.get("area_m2", ""), _("The area"), errors)
    share = _decimal(row.get("share", "") or "1", _("The share"), errors)
    if share is not None and share > 1:
        errors.append(_("A share is at most 1 (the whole property)."))
    zone, number = row.get("cadastral_zone", ""), row.get("property_number", "")
    if not zone or not number:
        errors.append(_("The cadastral zone and the property number are required."))
    year = row.get("year_built", "")
    if year and not (year.isdigit() and 1800 <= int(year) <= 2100):
        errors.append(_("The year built is not a year."))
    if errors:
        return False, errors
    try:
        with transaction.atomic():
            if kind == "person":
                owner = register_person(
                    municipality,
                    nid=row.get("id_number", ""),
                    first_name=row.get("first_name", ""),
                    last_name=row.get("last_name", ""),
                    actor=actor,
                ).obj
                owner_field = {"person": owner}
            else:
                owner = register_business(
                    municipality,
                    nipt=row.get("id_number", ""),
                    name=row.get("business_name", ""),
                    actor=actor,
                ).obj
                owner_field = {"business": owner}
            prop, created = Property.objects.get_or_create(
                municipality=municipality,
                cadastral_zone=zone,
                property_number=number,
                defaults={
                    "area_m2": area,
                    "use": use,
                    "year_built": int(year) if year else None,
                    "address": row.get("address", "")[:200],
                },
            )
            if not created and (prop.area_m2 != area or prop.use != use):
                raise ValidationError(
                    _(
                        "Property %(zone)s/%(number)s is already registered with a different "
                        "area or use."
                    )
                    % {"zone": zone, "number": number}
                )
            if prop.owners.filter(**owner_field).exists():
                return False, []
            held = prop.owners.aggregate(total=Sum("share"))["total"] or Decimal(0)
            if held + share > 1:
                raise ValidationError(
                    _("The owners' shares of %(zone)s/%(number)s would add up to more than 1.")
                    % {"zone": zone, "number": number}
                )
            Ownership.objects.create(property=prop, share=share, **owner_field)
            audit.record(
                "revenue.property.owner",
                actor=actor,
                municipality=municipality,
                obj=prop,
                data={"share": str(share), "new_property": created},
            )
    except ValidationError as exc:
        return False, _messages(exc)
    return True, []


def import_register(municipality, data: bytes, file_name: str, *, actor) -> Report:
    require(actor, municipality, "revenue.configure")
    report = Report()
    for number, row in enumerate(read_rows(data, file_name), start=2):
        created, errors = import_row(municipality, row, actor=actor)
        if errors:
            report.errors.append((number, errors))
        elif created:
            report.created += 1
        else:
            report.unchanged += 1
    return report
