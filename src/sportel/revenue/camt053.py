"""Reading ISO 20022 camt.053 bank-to-customer statements (any version 001.02 to 001.13).

Elements are found by local name, so the version's namespace does not matter. Each entry
(``Ntry``) becomes one line per transaction detail (``NtryDtls/TxDtls``): a batch entry
carrying several transfers gives several lines, whose amounts must add up to the entry's. An
entry without details is one line. Amounts are Decimal, in the account's currency (ALL only),
with at most two decimals. Anything malformed raises :class:`StatementError`; nothing is
half-read.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache

from lxml import etree

from . import rf

MAX_BYTES = 50 * 1024 * 1024


class StatementError(ValueError):
    """The file is not a usable camt.053 statement; the message says why (in English: the
    callers translate the common cases)."""


@dataclass
class TxLine:
    entry_index: int
    tx_index: int
    amount: Decimal
    credit: bool
    reversal: bool
    booked_on: date
    status: str
    bank_ref: str = ""
    end_to_end: str = ""
    debtor_name: str = ""
    debtor_iban: str = ""
    structured_ref: str = ""
    remittance: str = ""
    bank_code: str = ""

    @property
    def rf_reference(self) -> str | None:
        """The RF reference the payer gave: structured first, else found in free text."""
        candidates = self.rf_candidates
        return candidates[0] if candidates else None

    @cached_property
    def rf_candidates(self) -> list[str]:
        # Cached: matching and the statement's rows each ask (the line is not changed after
        # parsing).
        if self.structured_ref and rf.is_valid(self.structured_ref):
            return [rf.compact(self.structured_ref)]
        found = rf.candidates_in_text(self.remittance)
        return found[-1:] + found[:-1]  # the shortest reading first


@dataclass
class ParsedStatement:
    message_id: str
    statement_id: str
    iban: str
    currency: str
    lines: list[TxLine] = field(default_factory=list)


def _local(tag) -> str:
    # "{namespace}Name" -> "Name"; comments and processing instructions have no string tag.
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _ns(node) -> str:
    """``{namespace}`` of ``node``'s tag ("" without one): its children are in the same one."""
    tag = node.tag
    return tag[: tag.index("}") + 1] if isinstance(tag, str) and tag[:1] == "{" else ""


@lru_cache(maxsize=512)
def _path(ns: str, path: tuple[str, ...]) -> str:
    # Built once per namespace and path, not once per element: profiled, building the path
    # string cost more than lxml's search itself (decision 0027).
    return "/".join(ns + name for name in path)


def _child(node, *path):
    # lxml's own path search (in C) with the node's namespace, not a Python scan per step.
    if node is None:
        return None
    return node.find(_path(_ns(node), path))


def _children(node, name):
    return node.findall(_path(_ns(node), (name,))) if node is not None else []


def _text(node, *path) -> str:
    if node is None:
        return ""
    return (node.findtext(_path(_ns(node), path)) or "").strip()


def _amount(node, where: str) -> tuple[Decimal, str]:
    if node is None:
        raise StatementError(f"{where}: no amount")
    try:
        amount = Decimal((node.text or "").strip())
    except InvalidOperation:
        raise StatementError(f"{where}: the amount is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise StatementError(f"{where}: the amount must be a positive number")
    if amount.as_tuple().exponent < -2:
        raise StatementError(f"{where}: the amount has more than two decimals")
    return amount.quantize(Decimal("0.01")), node.get("Ccy", "")


def _date(node, where: str) -> date:
    value = _text(node, "Dt") or _text(node, "DtTm")[:10]
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise StatementError(f"{where}: no valid booking date") from None


def _bank_code(node) -> str:
    code = _child(node, "BkTxCd")
    if code is None:
        return ""
    domain = _child(code, "Domn")
    if domain is not None:
        return "/".join(
            part
            for part in (
                _text(domain, "Cd"),
                _text(domain, "Fmly", "Cd"),
                _text(domain, "Fmly", "SubFmlyCd"),
            )
            if part
        )
    return _text(code, "Prtry", "Cd")


def _party_name(parties, role: str) -> tuple[str, str]:
    party = _child(parties, role)
    name = _text(party, "Nm") or _text(party, "Pty", "Nm")  # v02-v07 / v08+
    iban = _text(parties, f"{role}Acct", "Id", "IBAN")
    return name, iban


def _remittance(tx) -> tuple[str, str]:
    structured, free = "", []
    for info in _children(tx, "RmtInf"):
        free += [(u.text or "").strip() for u in _children(info, "Ustrd")]
        for strd in _children(info, "Strd"):
            ref = _text(strd, "CdtrRefInf", "Ref")
            if ref and not structured:
                structured = ref
    return structured, " ".join(part for part in free if part)


def parse(data: bytes) -> ParsedStatement:
    """The first statement of a camt.053 document (a municipality's account statement)."""
    if len(data) > MAX_BYTES:
        raise StatementError("the file is too large")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise StatementError(f"not well-formed XML: {exc.msg}") from None
    if root is None or _local(root.tag) != "Document":
        raise StatementError("not an ISO 20022 document")
    namespace = etree.QName(root.tag).namespace or ""
    if namespace and "camt.053" not in namespace:
        raise StatementError(f"not a camt.053 statement ({namespace})")
    body = _child(root, "BkToCstmrStmt")
    statements = _children(body, "Stmt")
    if body is None or not statements:
        raise StatementError("no statement (BkToCstmrStmt/Stmt) in the file")
    stmt = statements[0]
    parsed = ParsedStatement(
        message_id=_text(body, "GrpHdr", "MsgId"),
        statement_id=_text(stmt, "Id"),
        iban=_text(stmt, "Acct", "Id", "IBAN") or _text(stmt, "Acct", "Id", "Othr", "Id"),
        currency=_text(stmt, "Acct", "Ccy"),
    )
    if not parsed.statement_id or not parsed.iban:
        raise StatementError("the statement has no identification or no account")
    for entry_index, entry in enumerate(_children(stmt, "Ntry"), start=1):
        where = f"entry {entry_index}"
        entry_amount, currency = _amount(_child(entry, "Amt"), where)
        currency = currency or parsed.currency
        if currency != "ALL":
            raise StatementError(f"{where}: currency {currency or '?'} is not ALL")
        indicator = _text(entry, "CdtDbtInd")
        if indicator not in ("CRDT", "DBIT"):
            raise StatementError(f"{where}: credit/debit indicator missing")
        status = _text(entry, "Sts", "Cd") or _text(entry, "Sts")
        if status and status not in ("BOOK", "PDNG", "INFO", "FUTR"):
            raise StatementError(f"{where}: unknown status {status}")
        reversal = _text(entry, "RvslInd").lower() in ("true", "1")
        booked_on = _date(_child(entry, "BookgDt"), where)
        bank_ref = _text(entry, "AcctSvcrRef")
        bank_code = _bank_code(entry)
        details = [tx for dtls in _children(entry, "NtryDtls") for tx in _children(dtls, "TxDtls")]
        if not details:
            details = [None]
        lines = []
        for tx_index, tx in enumerate(details, start=1):
            tx_where = f"{where}, transaction {tx_index}"
            if tx is None:
                amount = entry_amount
            else:
                tx_amount = _child(tx, "AmtDtls", "TxAmt", "Amt")
                if tx_amount is None:
                    tx_amount = _child(tx, "Amt")
                if tx_amount is None and len(details) == 1:
                    amount = entry_amount
                else:
                    amount, tx_currency = _amount(tx_amount, tx_where)
                    if tx_currency and tx_currency != "ALL":
                        raise StatementError(f"{tx_where}: currency {tx_currency} is not ALL")
            parties = _child(tx, "RltdPties") if tx is not None else None
            # On a credit the payer is the debtor; on a returned credit the bank names it too.
            name, iban = _party_name(parties, "Dbtr") if parties is not None else ("", "")
            structured, free = _remittance(tx) if tx is not None else ("", "")
            lines.append(
                TxLine(
                    entry_index=entry_index,
                    tx_index=tx_index,
                    amount=amount,
                    credit=indicator == "CRDT",
                    reversal=reversal,
                    booked_on=booked_on,
                    status=status or "BOOK",
                    bank_ref=(_text(tx, "Refs", "AcctSvcrRef") if tx is not None else "")
                    or bank_ref,
                    end_to_end=_text(tx, "Refs", "EndToEndId") if tx is not None else "",
                    debtor_name=name,
                    debtor_iban=iban,
                    structured_ref=structured,
                    remittance=free or _text(entry, "AddtlNtryInf"),
                    bank_code=bank_code or (_bank_code(tx) if tx is not None else ""),
                )
            )
        if sum(line.amount for line in lines) != entry_amount:
            raise StatementError(f"{where}: the transactions do not add up to the entry's amount")
        parsed.lines += lines
    return parsed
