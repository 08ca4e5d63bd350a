"""Fixtures of the revenue tests: Shkodër's 2026 package, a small register, a camt.053 builder."""

from datetime import date
from decimal import Decimal

import pytest

from sportel.core.identifiers import with_check_letter


@pytest.fixture
def package(shkoder):
    from sportel.revenue import fiscal

    return fiscal.create_package(shkoder, fiscal.seed_data("shkoder-2026"))


_numbers = iter(range(10_000_000, 99_999_999))


def make_person(municipality, first="Arta", last="Kola"):
    from sportel.core.models import Person

    return Person.objects.create(
        municipality=municipality,
        nid=with_check_letter(f"J{next(_numbers)}"),
        first_name=first,
        last_name=last,
    )


def make_business(municipality, name="Furra Rozafa shpk"):
    from sportel.core.models import Business

    return Business.objects.create(
        municipality=municipality, nipt=with_check_letter(f"L{next(_numbers)}"), name=name
    )


def make_property(municipality, owners, *, zone="8601", area="80", use="residential", year=2005):
    from sportel.revenue.models import Ownership, Property

    prop = Property.objects.create(
        municipality=municipality,
        cadastral_zone=zone,
        property_number=f"{next(_numbers)}",
        area_m2=Decimal(area),
        use=use,
        year_built=year,
    )
    for owner, share in owners:
        field = "person" if owner.__class__.__name__ == "Person" else "business"
        Ownership.objects.create(property=prop, share=Decimal(share), **{field: owner})
    return prop


@pytest.fixture
def register(shkoder):
    """Arta owns a flat alone; Besnik and Drita own a house half each; a bakery has premises
    and owns its shop."""
    from sportel.revenue.models import Premises

    arta = make_person(shkoder, "Arta", "Kola")
    besnik = make_person(shkoder, "Besnik", "Gjoni")
    drita = make_person(shkoder, "Drita", "Gjoni")
    bakery = make_business(shkoder)
    make_property(shkoder, [(arta, "1")], area="70")
    make_property(shkoder, [(besnik, "0.5"), (drita, "0.5")], zone="8603", area="120")
    make_property(shkoder, [(bakery, "1")], zone="8602", area="50", use="economic")
    Premises.objects.create(
        municipality=shkoder, business=bakery, address="Rruga Kolë Idromeno 5", sign_m2=Decimal("2")
    )
    return {"arta": arta, "besnik": besnik, "drita": drita, "bakery": bakery}


@pytest.fixture
def assessed(package, register):
    from sportel.revenue import assessment

    run = assessment.start_run(package)
    return assessment.run_to_end(run.pk)


def camt053(
    entries: list[str], *, statement_id="STMT-2026-05-04", iban="AL47212110090000000235698741"
):
    """A camt.053.001.08 document with the given Ntry elements (as XML text)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>MSG-{statement_id}</MsgId><CreDtTm>2026-05-04T18:00:00+02:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>{statement_id}</Id>
      <CreDtTm>2026-05-04T18:00:00+02:00</CreDtTm>
      <Acct><Id><IBAN>{iban}</IBAN></Id><Ccy>ALL</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="ALL">1000000.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-05-04</Dt></Dt></Bal>
      {"".join(entries)}
    </Stmt>
  </BkToCstmrStmt>
</Document>""".encode()


def entry(
    amount,
    *,
    ref="",
    ustrd="",
    name="",
    indicator="CRDT",
    reversal=False,
    svcr="",
    e2e="NOTPROVIDED",
    txs=None,
    booked=date(2026, 5, 4),
):
    """One Ntry; ``txs`` (a list of dicts with the same keys) makes a batch entry."""

    def tx(amount, ref="", ustrd="", name="", e2e="NOTPROVIDED", svcr=""):
        strd = (
            f"<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp>"
            f"<Ref>{ref}</Ref></CdtrRefInf></Strd>"
            if ref
            else ""
        )
        free = f"<Ustrd>{ustrd}</Ustrd>" if ustrd else ""
        party = f"<RltdPties><Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr></RltdPties>" if name else ""
        return (
            f"<TxDtls><Refs><AcctSvcrRef>{svcr}</AcctSvcrRef><EndToEndId>{e2e}</EndToEndId></Refs>"
            f'<Amt Ccy="ALL">{amount}</Amt>{party}<RmtInf>{free}{strd}</RmtInf></TxDtls>'
        )

    details = "".join(tx(**t) for t in txs) if txs else tx(amount, ref, ustrd, name, e2e, svcr)
    return f"""<Ntry>
  <Amt Ccy="ALL">{amount}</Amt><CdtDbtInd>{indicator}</CdtDbtInd>
  {"<RvslInd>true</RvslInd>" if reversal else ""}
  <Sts><Cd>BOOK</Cd></Sts>
  <BookgDt><Dt>{booked.isoformat()}</Dt></BookgDt><ValDt><Dt>{booked.isoformat()}</Dt></ValDt>
  <AcctSvcrRef>{svcr or f"BANK-{next(_numbers)}"}</AcctSvcrRef>
  <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
  <NtryDtls>{details}</NtryDtls>
</Ntry>"""
