"""Reading ISO 20022 camt.053 bank-to-customer statements (any version 001.02 to 001.13).

Elements are found by local name, so the version's namespace does not matter. Each entry
(``Ntry``) becomes one line per transaction detail (``NtryDtls/TxDtls``): a batch entry
carrying several transfers gives several lines, whose amounts must add up to the entry's. An
entry without details is one line. Amounts are Decimal, in the account's currency (ALL only),
with at most two decimals. Anything malformed raises :class:`StatementError`; nothing is
half-read.
"""

import gc
import io
import os
import pickle
import queue
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cached_property

from lxml import etree

from . import rf

MAX_BYTES = 50 * 1024 * 1024
_IDENTIFIER = re.compile(r"\b[A-T0-9][0-9]{8}[A-Z]\b")


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

    @cached_property
    def identifiers(self) -> list[str]:
        """The NIPT / NID shapes in the remittance and reference, in order (matching reads
        them; a letter, eight digits, a letter: the register checks the rest)."""
        text = f"{self.remittance} {self.structured_ref}"
        return _IDENTIFIER.findall(text.upper()) if text.strip() else []


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


# The children each element of interest is read for, by local name. An element is read by
# walking its children once and keeping the first of each name (as ``find`` would), not by a
# path search per field: profiled, the searches (lxml's ElementPath is Python) cost four
# times lxml's own parsing.
_ENTRY = ("Amt", "CdtDbtInd", "RvslInd", "Sts", "BookgDt", "AcctSvcrRef", "BkTxCd", "AddtlNtryInf")
_TX = ("Refs", "AmtDtls", "Amt", "RltdPties", "BkTxCd")
_NAMES = (
    *_ENTRY,
    *_TX,
    *("NtryDtls", "TxDtls", "RmtInf", "Ustrd", "Strd", "CdtrRefInf", "Ref", "TxAmt", "Dbtr"),
    *("DbtrAcct", "Pty", "Nm", "Id", "IBAN", "Othr", "Cd", "Dt", "DtTm", "Domn", "Fmly"),
    *("SubFmlyCd", "Prtry", "EndToEndId", "MsgId", "Acct", "Ccy", "BkToCstmrStmt"),
    *("GrpHdr", "Stmt", "Ntry"),
)


class _Tags:
    """Qualified tag names of one namespace, built once per document."""

    def __init__(self, ns: str):
        self.ns = ns
        for name in _NAMES:
            setattr(self, name, ns + name)
        self.entry = {ns + name: name for name in _ENTRY}
        self.tx = {ns + name: name for name in _TX}

    def of(self, name: str) -> str:
        return self.ns + name


def _children_by_name(node, names: dict) -> dict:
    found = {}
    for child in node:
        name = names.get(child.tag)
        if name is not None and name not in found:
            found[name] = child
    return found


def _sub(node, *path):
    """The first element at ``path`` (qualified tags) under ``node``, or None."""
    for tag in path:
        if node is None:
            return None
        for child in node:
            if child.tag == tag:
                node = child
                break
        else:
            return None
    return node


def _text(node, *path) -> str:
    if path:
        node = _sub(node, *path)
    if node is None:
        return ""
    return (node.text or "").strip()


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
    try:
        return amount.quantize(_CENT), node.get("Ccy", "")
    except InvalidOperation:  # more digits than Decimal's precision
        raise StatementError(f"{where}: the amount is too large") from None


_CENT = Decimal("0.01")


def _date(node, tags: _Tags, where: str) -> date:
    value = _text(node, tags.Dt) or _text(node, tags.DtTm)[:10]
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise StatementError(f"{where}: no valid booking date") from None


def _bank_code(code, tags: _Tags) -> str:
    if code is None:
        return ""
    domain = _sub(code, tags.Domn)
    if domain is not None:
        family = _sub(domain, tags.Fmly)
        return "/".join(
            part
            for part in (
                _text(domain, tags.Cd),
                _text(family, tags.Cd),
                _text(family, tags.SubFmlyCd),
            )
            if part
        )
    return _text(code, tags.Prtry, tags.Cd)


def _party_name(parties, tags: _Tags, role: str) -> tuple[str, str]:
    party = _sub(parties, tags.of(role))
    name = _text(party, tags.Nm) or _text(party, tags.Pty, tags.Nm)  # v02-v07 / v08+
    iban = _text(parties, tags.of(f"{role}Acct"), tags.Id, tags.IBAN)
    return name, iban


def _remittance(tx, tags: _Tags) -> tuple[str, str]:
    structured, free = "", []
    ustrd, strd_tag, rmt = tags.Ustrd, tags.Strd, tags.RmtInf
    for info in tx:
        if info.tag != rmt:
            continue
        for part in info:
            if part.tag == ustrd:
                free.append((part.text or "").strip())
            elif part.tag == strd_tag and not structured:
                structured = _text(part, tags.CdtrRefInf, tags.Ref)
    return structured, " ".join(part for part in free if part)


def _entry_lines(entry, tags: _Tags, entry_index: int, default_currency: str) -> list[TxLine]:
    """The lines of one ``Ntry``, its children read once."""
    where = f"entry {entry_index}"
    found = _children_by_name(entry, tags.entry)
    entry_amount, currency = _amount(found.get("Amt"), where)
    currency = currency or default_currency
    if currency != "ALL":
        raise StatementError(f"{where}: currency {currency or '?'} is not ALL")
    indicator = _text(found.get("CdtDbtInd"))
    if indicator not in ("CRDT", "DBIT"):
        raise StatementError(f"{where}: credit/debit indicator missing")
    sts = found.get("Sts")
    status = _text(sts, tags.Cd) or _text(sts)
    if status and status not in ("BOOK", "PDNG", "INFO", "FUTR"):
        raise StatementError(f"{where}: unknown status {status}")
    reversal = _text(found.get("RvslInd")).lower() in ("true", "1")
    booked_on = _date(found.get("BookgDt"), tags, where)
    bank_ref = _text(found.get("AcctSvcrRef"))
    bank_code = _bank_code(found.get("BkTxCd"), tags)
    dtls_tag, tx_tag = tags.NtryDtls, tags.TxDtls
    details = [tx for dtls in entry if dtls.tag == dtls_tag for tx in dtls if tx.tag == tx_tag]
    credit = indicator == "CRDT"
    status = status or "BOOK"
    if not details:
        lines = [
            TxLine(
                entry_index=entry_index,
                tx_index=1,
                amount=entry_amount,
                credit=credit,
                reversal=reversal,
                booked_on=booked_on,
                status=status,
                bank_ref=bank_ref,
                remittance=_text(found.get("AddtlNtryInf")),
                bank_code=bank_code,
            )
        ]
    else:
        lines = []
        for tx_index, tx in enumerate(details, start=1):
            tx_where = f"{where}, transaction {tx_index}"
            parts = _children_by_name(tx, tags.tx)
            tx_amount = _sub(parts.get("AmtDtls"), tags.TxAmt, tags.Amt)
            if tx_amount is None:
                tx_amount = parts.get("Amt")
            if tx_amount is None and len(details) == 1:
                amount = entry_amount
            else:
                amount, tx_currency = _amount(tx_amount, tx_where)
                if tx_currency and tx_currency != "ALL":
                    raise StatementError(f"{tx_where}: currency {tx_currency} is not ALL")
            parties = parts.get("RltdPties")
            # On a credit the payer is the debtor; on a returned credit the bank names it too.
            name, iban = _party_name(parties, tags, "Dbtr") if parties is not None else ("", "")
            structured, free = _remittance(tx, tags)
            refs = parts.get("Refs")
            lines.append(
                TxLine(
                    entry_index=entry_index,
                    tx_index=tx_index,
                    amount=amount,
                    credit=credit,
                    reversal=reversal,
                    booked_on=booked_on,
                    status=status,
                    bank_ref=_text(refs, tags.AcctSvcrRef) or bank_ref,
                    end_to_end=_text(refs, tags.EndToEndId),
                    debtor_name=name,
                    debtor_iban=iban,
                    structured_ref=structured,
                    remittance=free or _text(found.get("AddtlNtryInf")),
                    bank_code=bank_code or _bank_code(parts.get("BkTxCd"), tags),
                )
            )
    if sum(line.amount for line in lines) != entry_amount:
        raise StatementError(f"{where}: the transactions do not add up to the entry's amount")
    return lines


def _drop_read(node) -> None:
    """Free an element that has been read, and the siblings read before it, so a statement of
    any length is parsed in bounded memory (the tree never holds more than one entry)."""
    node.clear(keep_tail=False)
    parent = node.getparent()
    if parent is not None:
        while node.getprevious() is not None:
            del parent[0]


def parse(data: bytes) -> ParsedStatement:
    """The first statement of a camt.053 document (a municipality's account statement).

    One streaming pass (``iterparse``): each entry is read when its end tag arrives, then
    freed with the entries before it. The whole file is still read before anything is
    returned, so a file malformed anywhere raises and nothing is half-read. The parser
    resolves no entities, fetches nothing over the network and keeps libxml2's limits on
    huge text nodes and deep trees; a document type declaration (a DTD, where entity bombs
    live) is refused outright: a bank statement has none."""
    parsed = None
    for item in parse_in_parts(data):
        if isinstance(item, ParsedStatement):
            parsed = item
        else:
            parsed.lines += item
    return parsed


PART = 5000


def parse_in_parts(data: bytes, *, part: int | None = None):
    """``parse``, as it goes: first the statement (a :class:`ParsedStatement` without lines,
    as soon as its header is read), then its lines in lists of about ``part``. A malformed
    file raises when the fault is reached, possibly after some lines were handed out: a
    caller that writes as it reads does so in one database transaction (nothing is posted
    unless the whole file was read)."""
    if len(data) > MAX_BYTES:
        raise StatementError("the file is too large")
    part = part or PART
    events = etree.iterparse(
        io.BytesIO(data),
        events=("start", "end"),
        tag=("{*}Document", "{*}GrpHdr", "{*}Stmt", "{*}Ntry"),
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
    )
    root = stmt = None
    tags: _Tags | None = None
    message_id = None
    parsed: ParsedStatement | None = None
    entry_index = 0
    pending: list[TxLine] = []
    try:
        for event, node in events:
            if root is None:
                # The first event is the root's start, or no root of ours at all.
                if event != "start" or node.getparent() is not None:
                    raise StatementError("not an ISO 20022 document")
                root = node
                if root.getroottree().docinfo.internalDTD is not None:
                    raise StatementError(
                        "the file declares a document type (DTD): a bank statement has none"
                    )
                if _local(root.tag) != "Document":
                    raise StatementError("not an ISO 20022 document")
                namespace = etree.QName(root.tag).namespace or ""
                if namespace and "camt.053" not in namespace:
                    raise StatementError(f"not a camt.053 statement ({namespace})")
                tags = _Tags(f"{{{namespace}}}" if namespace else "")
                body_tag = tags.BkToCstmrStmt
                continue
            parent = node.getparent()
            tag = node.tag
            if tag == tags.Ntry:
                if event == "end":
                    if parent is stmt and stmt is not None:
                        if parsed is None:
                            # The statement's own elements come before its entries.
                            parsed = _header(stmt, tags, message_id)
                            yield parsed
                        entry_index += 1
                        pending += _entry_lines(node, tags, entry_index, parsed.currency)
                        if len(pending) >= part:
                            yield pending
                            pending = []
                    _drop_read(node)
            elif tag == tags.GrpHdr:
                if event == "end" and message_id is None and _is_body(parent, root, body_tag):
                    message_id = _text(node, tags.MsgId)
            elif tag == tags.Stmt:
                if event == "start":
                    if stmt is None and _is_body(parent, root, body_tag):
                        stmt = node
                elif node is stmt and parsed is None:
                    parsed = _header(stmt, tags, message_id)
                    yield parsed
    except etree.XMLSyntaxError as exc:
        raise StatementError(f"not well-formed XML: {exc.msg}") from None
    if root is None:
        root = getattr(events, "root", None)
        if root is None or _local(root.tag) != "Document":
            raise StatementError("not an ISO 20022 document")
    if stmt is None:
        raise StatementError("no statement (BkToCstmrStmt/Stmt) in the file")
    if parsed is None:
        yield _header(stmt, tags, message_id)
    if pending:
        yield pending


def _is_body(parent, root, body_tag: str) -> bool:
    return parent is not None and parent.tag == body_tag and parent.getparent() is root


def _header(stmt, tags: _Tags, message_id: str | None) -> ParsedStatement:
    parsed = ParsedStatement(
        message_id=message_id or "",
        statement_id=_text(stmt, tags.Id),
        iban=_text(stmt, tags.Acct, tags.Id, tags.IBAN)
        or _text(stmt, tags.Acct, tags.Id, tags.Othr, tags.Id),
        currency=_text(stmt, tags.Acct, tags.Ccy),
    )
    if not parsed.statement_id or not parsed.iban:
        raise StatementError("the statement has no identification or no account")
    return parsed


# --------------------------------------------------------------- parsing in a second process
def parse_beside(data: bytes, *, part: int | None = None):
    """``parse_in_parts`` run in a child process (this module as a script), so a caller can
    match and write the first parts while the rest is being parsed: the two use both cores.
    The items come back pickled over a pipe, each line's RF candidates already worked out;
    a malformed file raises the same :class:`StatementError` here, when its fault is
    reached. The child reads only the bytes it is given (no database, no files)."""
    try:
        child = subprocess.Popen(  # noqa: S603 - this interpreter, this module, no shell
            [sys.executable, "-m", "sportel.revenue.camt053", str(part or PART)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
        )
    except OSError:  # no process to be had: parsed here, as it always could be
        yield from parse_in_parts(data, part=part)
        return
    feeder = threading.Thread(target=_feed, args=(child.stdin, data), daemon=True)
    feeder.start()
    # The child's parts are read off the pipe as soon as they are written, so the child
    # never waits for this process to take them (a pipe holds 64 kB, a part ~600 kB).
    frames: queue.SimpleQueue = queue.SimpleQueue()
    reader = threading.Thread(target=_drain, args=(child.stdout, frames), daemon=True)
    reader.start()
    done = False
    try:
        while True:
            frame = frames.get()
            if frame is None:
                break
            what, item = pickle.loads(frame)  # noqa: S301 - written by our own child
            if what == "error":
                done = True
                raise StatementError(item)
            if what == "end":
                done = True
                break
            yield item
    finally:
        if not done:
            child.kill()
        reader.join()
        child.stdout.close()
        errors = child.stderr.read()
        child.stderr.close()
        child.wait()
        feeder.join()
    if not done:
        raise RuntimeError(
            "the statement parser stopped: " + errors.decode(errors="replace")[-2000:]
        )


def _drain(pipe, frames) -> None:
    """Put each frame the child writes on ``frames``; None at the end of its output."""
    try:
        while True:
            head = pipe.read(8)
            if len(head) < 8:
                break
            frames.put(pipe.read(int.from_bytes(head, "big")))
    finally:
        frames.put(None)


def _feed(pipe, data: bytes) -> None:
    try:
        pipe.write(data)
        pipe.close()
    except (BrokenPipeError, OSError):  # the child stopped early (it says why on its own)
        pass


def _send(out, what: str, item) -> None:
    frame = pickle.dumps((what, item), protocol=pickle.HIGHEST_PROTOCOL)
    out.write(len(frame).to_bytes(8, "big"))
    out.write(frame)
    out.flush()


def _child(part: int) -> None:
    # A short-lived process making lines that form no cycles: no cycle collector (it walked
    # the growing list of lines again and again).
    gc.disable()
    out = sys.stdout.buffer
    data = sys.stdin.buffer.read()
    try:
        for item in parse_in_parts(data, part=part):
            if isinstance(item, list):
                for line in item:
                    # Worked out here, cached on the line and sent with it.
                    line.rf_candidates  # noqa: B018
                    line.identifiers  # noqa: B018
            _send(out, "item", item)
    except StatementError as exc:
        _send(out, "error", str(exc))
        return
    _send(out, "end", None)


if __name__ == "__main__":
    # Through the module's own name, so what is pickled names ``sportel.revenue.camt053``.
    from sportel.revenue.camt053 import _child as child

    child(int(sys.argv[1]))
