"""The transparency log: proofs anyone can check, signed tree heads, the whole-log check, and
gap-free appends under concurrent issuance."""

import base64
import datetime as dt
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from sportel.documents import merkle, translog
from sportel.documents.models import LogLeaf, LogNode, SignedTreeHead

pytestmark = pytest.mark.django_db


def test_inclusion_proof_checks_against_the_published_tree_head(issue, client):
    documents = [issue() for _ in range(5)]
    call_command("documents", "publish-sth", stdout=StringIO())
    published = client.get("/transparency/?format=json").json()
    latest = published["latest"]
    assert latest["tree_size"] == 5
    # The tree head's signature checks with the published key.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(published["public_key"]))
    key.verify(
        base64.b64decode(latest["signature"]),
        translog.sth_message(5, bytes.fromhex(latest["root_hash"]), latest["timestamp"]),
    )
    for document in documents:
        proof = client.get(
            "/transparency/proof/inclusion", {"code": document.code, "size": 5}
        ).json()
        assert f'"code":"{document.code}"' in proof["leaf_data"]
        assert document.sha256 in proof["leaf_data"]
        assert merkle.verify_inclusion(
            merkle.leaf_hash(proof["leaf_data"].encode()),
            proof["leaf_index"],
            5,
            [bytes.fromhex(h) for h in proof["audit_path"]],
            bytes.fromhex(latest["root_hash"]),
        )


def test_consistency_proof_links_two_tree_heads(issue, client):
    from sportel.documents.services import revoke_document

    first = [issue() for _ in range(3)]
    old = translog.publish_sth()
    revoke_document(first[0], reason="gabim", actor=None)
    issue()
    new = translog.publish_sth()
    assert (old.tree_size, new.tree_size) == (3, 5)
    proof = client.get("/transparency/proof/consistency", {"first": 3, "second": 5}).json()
    assert merkle.verify_consistency(
        3,
        5,
        bytes(old.root_hash),
        bytes(new.root_hash),
        [bytes.fromhex(h) for h in proof["consistency"]],
    )
    assert (
        client.get("/transparency/proof/consistency", {"first": 5, "second": 3}).status_code == 400
    )
    assert client.get("/transparency/proof/consistency", {"first": "x"}).status_code == 400
    assert client.get("/transparency/proof/inclusion", {"code": "nope"}).status_code == 400
    from sportel.documents.codes import new_code

    unknown = client.get("/transparency/proof/inclusion", {"code": new_code(), "size": 5})
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


def test_transparency_page_lists_tree_heads_in_both_languages(issue, client):
    issue()
    translog.publish_sth()
    sq = client.get("/transparency/").content.decode()
    en = client.get("/en/transparency/").content.decode()
    assert 'id="log-size">1<' in sq and 'id="log-size">1<' in en
    assert "Transparency log of issued documents" in en
    # The signing time in words, in each language; ISO 8601 and microseconds stay in the JSON.
    signed = SignedTreeHead.objects.get().timestamp.astimezone(dt.UTC)
    assert f"{signed.day} {signed:%B %Y, %H:%M}" in en
    for html in (sq, en):
        assert signed.isoformat() not in html and f"{signed:%Y-%m-%dT%H:%M}" not in html
    assert client.get("/transparency/?format=json").json()["latest"]["timestamp_iso"] == (
        signed.isoformat()
    )


def test_verify_log_passes_and_then_finds_a_rewritten_entry(issue):
    for _ in range(4):
        issue()
    translog.publish_sth()
    out = StringIO()
    call_command("documents", "verify-log", stdout=out)
    assert "intact: 4 entries, 1 signed tree heads" in out.getvalue()
    leaf = LogLeaf.objects.get(index=2)
    LogLeaf.objects.filter(index=2).update(data=bytes(leaf.data).replace(b'"issued"', b'"revoked"'))
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("documents", "verify-log", stdout=out)
    assert "does not match" in out.getvalue()


def test_verify_log_finds_a_removed_leaf_and_a_forged_node(issue):
    for _ in range(3):
        issue()
    LogNode.objects.filter(level=0, index=0).update(hash=b"\x00" * 32)
    report = translog.verify_log()
    assert any("node 0/0" in p for p in report.problems)
    LogLeaf.objects.filter(index=1).delete()
    assert any("leaf 1 is missing" in p for p in translog.verify_log().problems)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_issuance_keeps_the_log_gap_free_and_consistent(issue):
    assert connection.vendor == "postgresql"
    errors = []

    def worker():
        from django.db import connections

        try:
            for _ in range(5):
                issue()
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert list(LogLeaf.objects.order_by("index").values_list("index", flat=True)) == list(
        range(20)
    )
    assert translog.verify_log().ok


def test_verify_log_finds_a_registry_event_missing_from_the_log(issue):
    from sportel.documents.models import DocumentEvent
    from sportel.documents.services import revoke_document

    document = issue()
    revoke_document(document, reason="gabim", actor=None)
    assert translog.verify_log().ok
    # Someone rewrites history in the registry: the revocation becomes a replacement.
    DocumentEvent.objects.filter(document=document, kind="revoked").update(kind="replaced")
    problems = translog.verify_log().problems
    assert any("replaced event" in p for p in problems), problems
