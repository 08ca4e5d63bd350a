"""The appeal rules that vary by municipality and year are dated data of the fiscal package;
what the law fixes stays in code; an appeal keeps the rules it was filed under."""

import json

import pytest
from django.core.exceptions import ValidationError

from sportel.revenue import appeals, fiscal, payments
from sportel.revenue.models import Appeal, Demand, FiscalPackage, Invoice


@pytest.fixture
def arta_user(register):
    from sportel.accounts.models import User

    user = User.objects.create_user("arta@test.sportel.al", "x", confirmed_at="2026-01-01T00:00Z")
    register["arta"].user = user
    register["arta"].save(update_fields=["user"])
    return user


def building(invoice) -> Demand:
    return Demand.objects.get(
        invoice=invoice, tax_head__code="building", superseded_by__isnull=True
    )


def test_the_seeded_package_carries_its_appeal_rules_and_their_source(package):
    assert package.appeal_decision_days == 60
    assert package.appeal_decided_by_sq.startswith("Drejtoria e të ardhurave vendore")
    assert "not a real council decision" in package.appeal_source
    assert "9920/2008" in package.appeal_source


def test_an_appeal_keeps_the_rules_of_its_bill_year_even_when_the_package_changes(
    assessed, register, arta_user, make_staff, shkoder
):
    invoice = Invoice.objects.get(person=register["arta"])
    clerk = make_staff(shkoder, "clerk")
    payments.take_cash(shkoder, actor=clerk, invoice=invoice, amount="4820", token="p")
    package = FiscalPackage.objects.get(municipality=shkoder, year=invoice.year)
    FiscalPackage.objects.filter(pk=package.pk).update(
        appeal_decision_days=45, appeal_decided_by_en="the appeals commission"
    )
    appeal, _created = appeals.file_appeal(
        building(invoice), actor=arta_user, reason="Gabim.", key="r1"
    )
    filed = appeal.filed_at.date()
    assert (appeal.decide_by - filed).days == 45
    assert appeal.rules["decided_by"]["en"] == "the appeals commission"
    assert appeal.rules["package"] == package.pk and appeal.rules["appeal_days"] == 30
    # The council changes its procedure later: the filed appeal is read as it was filed.
    FiscalPackage.objects.filter(pk=package.pk).update(appeal_decision_days=90)
    appeal.refresh_from_db()
    assert appeal.rules["decision_days"] == 45
    assert appeals.decided_by(appeal.rules, "en") == "the appeals commission"


def test_another_year_has_its_own_rules(shkoder, register):
    data = json.loads(json.dumps(fiscal.seed_data("shkoder-2026")).replace("2026", "2027"))
    data["appeal"] = {
        "decision_days": 30,
        "decided_by": {"sq": "Komisioni i ankimeve", "en": "The appeals commission"},
        "source": "VKB Shkodër nr. 0/2026 (test)",
    }
    later = fiscal.create_package(shkoder, data)
    earlier = fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))
    assert (later.appeal_decision_days, earlier.appeal_decision_days) == (30, 60)
    assert later.appeal_source == "VKB Shkodër nr. 0/2026 (test)"


@pytest.mark.parametrize("days", [0, 400, "60", 2.5, True])
def test_a_bad_decision_period_is_refused_and_nothing_is_written(shkoder, days):
    data = fiscal.seed_data("shkoder-2026")
    data["appeal"] = {"decision_days": days}
    with pytest.raises(ValidationError) as refused:
        fiscal.create_package(shkoder, data)
    assert "appeal" in refused.value.message_dict
    assert not FiscalPackage.objects.exists()


def test_the_law_fixed_rules_are_not_package_data(package):
    assert not hasattr(package, "appeal_days") and not hasattr(package, "payment_first")
    assert appeals.APPEAL_DAYS == 30 and appeals.PAYMENT_FIRST is True


def test_the_migration_gives_existing_packages_and_appeals_their_rules(
    assessed, register, arta_user, make_staff, shkoder
):
    """Re-run the data migration's function on rows as they were before it (no rules)."""
    import importlib

    from django.apps import apps as global_apps

    invoice = Invoice.objects.get(person=register["arta"])
    payments.take_cash(
        shkoder, actor=make_staff(shkoder, "clerk"), invoice=invoice, amount="4820", token="p"
    )
    appeal, _ = appeals.file_appeal(building(invoice), actor=arta_user, reason="G.", key="m")
    Appeal.objects.filter(pk=appeal.pk).update(rules={})
    FiscalPackage.objects.update(appeal_source="", appeal_decided_by_sq="", appeal_decided_by_en="")
    migration = importlib.import_module("sportel.revenue.migrations.0009_appeal_rules")
    migration.forwards(global_apps, None)
    appeal.refresh_from_db()
    package = FiscalPackage.objects.get(municipality=shkoder, year=invoice.year)
    assert appeal.rules["package"] == package.pk and appeal.rules["decision_days"] == 60
    assert "decision 0024" in package.appeal_source and package.appeal_decided_by_en
