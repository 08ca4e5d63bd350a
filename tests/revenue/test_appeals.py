"""Appeals against an assessment and the enforcement list they suspend."""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sportel.core.models import AuditEntry
from sportel.revenue import appeals, enforcement, ledger, payments
from sportel.revenue.models import (
    Account,
    Appeal,
    AppealDecision,
    Demand,
    EnforcementStep,
    Invoice,
    LedgerTransaction,
)


def png(name="garanci.png"):
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), "image/png")


@pytest.fixture
def clerk(make_staff, shkoder):
    return make_staff(shkoder, "clerk")


@pytest.fixture
def officer(make_staff, shkoder):
    return make_staff(shkoder, "tax_officer")


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


def url(name, **kwargs):
    return reverse(name, kwargs={"municipality_slug": "shkoder", **kwargs})


def test_an_appeal_is_accepted_only_when_paid_or_guaranteed(assessed, register, arta_user, clerk):
    invoice = Invoice.objects.get(person=register["arta"])
    demand = building(invoice)
    with pytest.raises(ValidationError) as refused:
        appeals.file_appeal(demand, actor=arta_user, reason="Gabim në sipërfaqe.", key="a")
    assert "paguar" in str(refused.value.message_dict["guarantee"])
    with pytest.raises(ValidationError) as no_file:
        appeals.file_appeal(demand, actor=arta_user, reason="Gabim.", key="a", guarantee=True)
    assert "attachment" in no_file.value.message_dict
    with pytest.raises(ValidationError) as no_reason:
        appeals.file_appeal(demand, actor=arta_user, reason="  ", key="a", guarantee=True,
                            upload=png())  # fmt: skip
    assert "reason" in no_reason.value.message_dict
    assert not Appeal.objects.exists()
    payments.take_cash(invoice.municipality, actor=clerk, invoice=invoice, amount="4820", token="p")
    appeal, created = appeals.file_appeal(demand, actor=arta_user, reason="Gabim.", key="a")
    assert created and appeal.outstanding_when_filed == 0 and not appeal.guarantee
    again, created = appeals.file_appeal(demand, actor=arta_user, reason="Gabim.", key="a")
    assert again.pk == appeal.pk and not created  # the same form sent twice
    with pytest.raises(ValidationError) as twice:
        appeals.file_appeal(demand, actor=arta_user, reason="Përsëri.", key="b")
    assert "already waiting" in str(twice.value) or "pritje" in str(twice.value)
    assert AuditEntry.objects.filter(action="revenue.appeal.file").count() == 1


def test_an_appeal_after_the_window_or_of_anothers_bill_is_refused(assessed, register, arta_user):
    besnik_demand = building(Invoice.objects.get(person=register["besnik"]))
    with pytest.raises(ValidationError) as other:
        appeals.file_appeal(
            besnik_demand, actor=arta_user, reason="x", key="o", guarantee=True, upload=png()
        )
    assert "own" in str(other.value) or "tuaja" in str(other.value)
    demand = building(Invoice.objects.get(person=register["arta"]))
    later = demand.created_at + timedelta(days=40)
    with time_machine.travel(later, tick=False), pytest.raises(ValidationError) as late:
        appeals.file_appeal(
            demand, actor=arta_user, reason="x", key="l", guarantee=True, upload=png()
        )
    assert "mbaroi" in str(late.value)


def test_a_disguised_or_dangerous_attachment_is_refused(assessed, register, arta_user):
    demand = building(Invoice.objects.get(person=register["arta"]))
    fake = SimpleUploadedFile("garanci.pdf", b"MZ\x90\x00 an executable", "application/pdf")
    with pytest.raises(ValidationError) as refused:
        appeals.file_appeal(
            demand, actor=arta_user, reason="x", key="f", guarantee=True, upload=fake
        )
    assert "attachment" in refused.value.message_dict and not Appeal.objects.exists()


def test_an_amended_assessment_is_a_revision_in_the_ledger_never_an_edit(
    assessed, register, shkoder, arta_user, officer, clerk
):
    invoice = Invoice.objects.get(person=register["arta"])
    demand = building(invoice)
    payments.take_cash(shkoder, actor=clerk, invoice=invoice, amount="4820", token="p")
    appeal, _ = appeals.file_appeal(demand, actor=arta_user, reason="60 m², jo 70.", key="k")
    with pytest.raises(ValidationError):  # an appeal never raises the amount
        appeals.decide_appeal(appeal, actor=officer, outcome="amended", reasons="r", amount="2000")
    with pytest.raises(ValidationError):
        appeals.decide_appeal(appeal, actor=officer, outcome="amended", reasons="r", amount="1.005")
    with pytest.raises(PermissionDenied):
        appeals.decide_appeal(appeal, actor=clerk, outcome="upheld", reasons="r")
    register["arta"].email = "arta@example.al"
    register["arta"].save(update_fields=["email"])
    decision = appeals.decide_appeal(
        appeal, actor=officer, outcome="amended", reasons="Matje e re: 60 m².", amount="1560"
    )
    demand.refresh_from_db()
    assert demand.amount == Decimal("1820.00")  # the old revision is untouched
    revised = decision.revised_demand
    assert revised.supersedes_id == demand.pk and revised.amount == Decimal("1560.00")
    assert revised.revision == demand.revision + 1
    # Paid in full before: the 260 lek taken off become the taxpayer's credit.
    assert ledger.taxpayer_credit(shkoder, person=register["arta"]) == Decimal("260.00")
    assert ledger.taxpayer_owed(shkoder, person=register["arta"]) == 0
    txn = LedgerTransaction.objects.get(key=f"appeal:{appeal.pk}")
    assert txn.kind == "revision" and sum(line.cents for line in txn.lines.all()) == 0
    assert ledger.account_balance(shkoder, Account.INCOME) == Decimal(
        "-51340.00"
    )  # 51 600 billed, less 260
    with pytest.raises(ValidationError):  # decided once
        appeals.decide_appeal(appeal, actor=officer, outcome="upheld", reasons="r")
    assert AppealDecision.objects.count() == 1
    assert AuditEntry.objects.filter(action="revenue.appeal.decide").count() == 1
    from sportel.core.models import Notification

    told = Notification.objects.get(template="revenue_appeal_decision")
    assert told.recipient == "arta@example.al" and "1 560,00 ALL" in told.body
    assert "ndryshohet" in told.body


def test_an_unpaid_amended_demand_owes_only_the_new_amount(
    assessed, register, shkoder, arta_user, officer
):
    invoice = Invoice.objects.get(person=register["arta"])
    appeal, _ = appeals.file_appeal(
        building(invoice), actor=arta_user, reason="x", key="g", guarantee=True, upload=png()
    )
    assert appeal.attachment_name == "garanci.png" and appeal.attachment_type == "image/png"
    appeals.decide_appeal(appeal, actor=officer, outcome="amended", reasons="r", amount="0")
    assert ledger.taxpayer_owed(shkoder, person=register["arta"]) == Decimal("3000.00")
    assert ledger.taxpayer_credit(shkoder, person=register["arta"]) == 0


def test_the_enforcement_list_leaves_out_demands_under_appeal_and_records_steps(
    assessed, register, shkoder, arta_user, officer
):
    Demand.objects.filter(municipality=shkoder).update(due_date=date(2025, 6, 30))
    on = date(2026, 3, 1)  # 244 days late, beyond the 180-day threshold
    listed = enforcement.enforcement_list(shkoder, on)
    arta_building = building(Invoice.objects.get(person=register["arta"]))
    assert arta_building.pk in {c.demand.pk for c in listed}
    assert enforcement.enforcement_list(shkoder, on, days=300) == []
    appeal, _ = appeals.file_appeal(
        arta_building, actor=arta_user, reason="x", key="e", guarantee=True, upload=png()
    )
    suspended = enforcement.enforcement_list(shkoder, on)
    assert arta_building.pk not in {c.demand.pk for c in suspended}
    assert len(suspended) == len(listed) - 1
    with pytest.raises(ValidationError):
        enforcement.record_step(arta_building, actor=officer, step="bank_freeze", taken_on=on)
    appeals.decide_appeal(appeal, actor=officer, outcome="upheld", reasons="Vlerësimi qëndron.")
    assert arta_building.pk in {c.demand.pk for c in enforcement.enforcement_list(shkoder, on)}
    enforcement.record_step(
        arta_building, actor=officer, step="notice", taken_on=on, reference="Nr. 12/3"
    )
    case = next(c for c in enforcement.enforcement_list(shkoder, on) if c.demand == arta_building)
    assert case.last_step.step == "notice" and case.penalty == Decimal("266.45")
    enforcement.record_step(arta_building, actor=officer, step="closed", taken_on=on)
    assert arta_building.pk not in {c.demand.pk for c in enforcement.enforcement_list(shkoder, on)}
    assert EnforcementStep.objects.count() == 2  # appended, never edited


def test_the_resident_files_an_appeal_online_and_staff_decide_it(
    assessed, register, shkoder, arta_user, officer, client, verified_client, make_staff
):
    invoice = Invoice.objects.get(person=register["arta"])
    demand = building(invoice)
    client.force_login(arta_user)
    form_url = url("revenue:appeal", reference=invoice.reference)
    page = client.get(form_url)
    assert page.status_code == 200 and "garanci" in page.content.decode()
    bad = client.post(form_url, {"demand": demand.pk, "reason": "Gabim.", "key": "w1"})
    assert bad.status_code == 400 and "garancinë bankare" in bad.content.decode()
    assert (
        client.get(
            url(
                "revenue:appeal", reference=Invoice.objects.get(person=register["besnik"]).reference
            )
        ).status_code
        == 404
    )
    sent = client.post(
        form_url,
        {
            "demand": demand.pk,
            "reason": "Sipërfaqja është 60 m².",
            "guarantee": "on",
            "attachment": png(),
            "key": "w1",
        },
    )
    assert sent.status_code == 302
    appeal = Appeal.objects.get()
    mine = client.get(url("revenue:mine")).content.decode()
    assert "ankim në pritje të vendimit" in mine
    # Staff: the list, the appeal (its read audited), the attachment, the decision.
    staff = verified_client(officer)
    listing = staff.get(url("revenue-staff:appeals")).content.decode()
    assert f"Ankimi {appeal.pk}" in listing and "Arta Kola" in listing
    detail_url = url("revenue-staff:appeal", pk=appeal.pk)
    assert "Sipërfaqja është 60 m²." in staff.get(detail_url).content.decode()
    assert AuditEntry.objects.filter(action="revenue.appeal.read").count() == 1
    attachment = staff.get(url("revenue-staff:appeal-file", pk=appeal.pk))
    assert attachment.status_code == 200 and attachment["Content-Type"] == "image/png"
    wrong = staff.post(detail_url, {"outcome": "amended", "amount": "abc", "reasons": "r"})
    assert wrong.status_code == 400 and "nuk është numër" in wrong.content.decode()
    done = staff.post(
        "/en" + detail_url, {"outcome": "amended", "amount": "1560", "reasons": "Measured again."}
    )
    assert done.status_code == 302
    page = staff.get("/en" + detail_url).content.decode()
    assert "Assessment amended" in page and "1,560.00" in page
    again = staff.post(detail_url, {"outcome": "upheld", "reasons": "Once more."})
    assert again.status_code == 302 and AppealDecision.objects.count() == 1
    # A manager reads appeals but cannot decide them.
    manager = verified_client(make_staff(shkoder, "manager"))
    assert manager.get(detail_url).status_code == 200
    assert manager.post(detail_url, {"outcome": "upheld", "reasons": "r"}).status_code == 403


def test_the_enforcement_page_exports_csv_and_records_a_step(
    assessed, register, shkoder, officer, verified_client
):
    Demand.objects.filter(municipality=shkoder).update(due_date=date(2025, 1, 31))
    staff = verified_client(officer)
    page = staff.get(url("revenue-staff:enforcement")).content.decode()
    assert "Arta Kola" in page and 'id="enforcement-csv"' in page
    csv = staff.get(url("revenue-staff:enforcement-csv"))
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Taksapaguesi,Nr. personal / NIPT,")
    assert "Arta Kola" in text and register["arta"].nid in text
    assert AuditEntry.objects.filter(action="revenue.enforcement.export").count() == 1
    demand = building(Invoice.objects.get(person=register["arta"]))
    case_url = url("revenue-staff:enforcement-case", pk=demand.pk)
    future = (date.today() + timedelta(days=5)).isoformat()
    bad = staff.post(case_url, {"step": "bank_freeze", "taken_on": future})
    assert bad.status_code == 400 and "të ardhmen" in bad.content.decode()
    ok = staff.post(case_url, {"step": "bank_freeze", "taken_on": "2026-02-01", "reference": "U-7"})
    assert ok.status_code == 302
    assert "U-7" in staff.get(case_url).content.decode()
    assert "Urdhër bllokimi" in staff.get(url("revenue-staff:enforcement")).content.decode()


def test_appeals_waiting_for_a_decision_are_listed_first(
    assessed, register, shkoder, arta_user, officer, verified_client
):
    from sportel.accounts.models import User

    decided, _ = appeals.file_appeal(
        building(Invoice.objects.get(person=register["arta"])),
        actor=arta_user, reason="x", key="d", guarantee=True, upload=png(),
    )  # fmt: skip
    appeals.decide_appeal(decided, actor=officer, outcome="rejected", reasons="Pa bazë.")
    besnik = register["besnik"]
    besnik.user = User.objects.create_user("besnik@test.sportel.al", "x")
    besnik.save(update_fields=["user"])
    waiting, _ = appeals.file_appeal(
        building(Invoice.objects.get(person=besnik)),
        actor=besnik.user, reason="y", key="w", guarantee=True, upload=png(),
    )  # fmt: skip
    page = verified_client(officer).get(url("revenue-staff:appeals")).content.decode()
    assert page.index(f"Ankimi {waiting.pk}<") < page.index(f"Ankimi {decided.pk}<")
