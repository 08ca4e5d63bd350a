"""PAdES B-T: with a time-stamping authority configured, every seal carries an RFC 3161 token.

The TSA is a real HTTP server on a loopback port answering with pyHanko's DummyTimeStamper (a
TSA that signs with its own certificate), so the whole path — HTTP request, token, embedding,
validation — runs here."""

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

pytestmark = pytest.mark.django_db


def tsa_certificate(tmp_path):
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(
        public_exponent=65537, key_size=2048
    )  # DummyTimeStamper: RSA only
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test TSA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = tmp_path / "tsa.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    der_key = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return (
        asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        asn1_keys.PrivateKeyInfo.load(der_key),
        pem,
    )


@pytest.fixture
def tsa(tmp_path):
    from asn1crypto import tsp
    from pyhanko.sign.timestamps import DummyTimeStamper

    cert, key, pem = tsa_certificate(tmp_path)
    stamper = DummyTimeStamper(tsa_cert=cert, tsa_key=key)
    requests = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            requests.append(self.headers.get("Content-Type"))
            response = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(response)))
            self.end_headers()
            self.wfile.write(response)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", pem, requests
    server.shutdown()


def test_with_a_tsa_seals_are_timestamped_pades_b_t(issue, seal_keys, tsa, monkeypatch):
    from sportel.documents import sealing
    from sportel.documents.verification import Outcome, verify_upload

    url, pem, requests = tsa
    monkeypatch.setenv("SPORTEL_TSA_URL", url)
    monkeypatch.setenv("SPORTEL_TRUST_ROOTS", str(pem))
    sealing.forget_signers()
    first, second = issue(), issue()
    assert first.timestamped and second.timestamped
    assert requests == ["application/timestamp-query", "application/timestamp-query"]
    for document in (first, second):
        result = verify_upload(document.pdf.read())
        assert result.outcome == Outcome.AUTHENTIC
        assert result.seal.timestamped
    sealing.forget_signers()
