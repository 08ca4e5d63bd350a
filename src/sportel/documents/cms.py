"""A pyHanko signer that assembles the CMS container from a template instead of rebuilding it.

Profiling pyHanko's ``sign_pdf`` with the size reserved shows ~14 ms per document, nearly all of
it asn1crypto building and serialising the same CMS ``SignedData`` again and again: the
certificates, the signer identifier, the algorithms and the ``signing-certificate-v2``
attribute are identical for every document a seal produces; only the ``message-digest``
attribute and the signature value change.

:class:`TemplateSigner` lets pyHanko build the first container the normal way, keeps the DER of
every constant part, and from then on writes each container by concatenating those bytes around
the new digest and signature (DER lengths recomputed). The result is byte-for-byte the structure
pyHanko produces — PAdES B-B signed attributes, sorted as DER requires — which the tests check
with pyHanko's validator and with poppler's ``pdfsig``. With a time-stamping authority (B-T)
the unsigned timestamp attribute depends on the signature, so every call goes the normal way.
"""

from __future__ import annotations

from pyhanko.sign.signers.pdf_cms import SimpleSigner


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _len(len(content)) + content


class TemplateSigner(SimpleSigner):
    """SimpleSigner whose CMS for PDF signatures is assembled from cached DER parts."""

    def __init__(self, *args, private_key=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._key = private_key  # a cryptography private key, loaded once
        self._template: dict | bool | None = None  # False: cannot be templated

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        if self._key is None or digest_algorithm != "sha256":
            return super().sign_raw(data, digest_algorithm)
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(hashes.SHA256()))
        if isinstance(self._key, rsa.RSAPrivateKey) and not self.prefer_pss:
            return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return super().sign_raw(data, digest_algorithm)

    async def async_sign(self, data_digest: bytes, digest_algorithm: str, **kwargs):
        from asn1crypto import cms

        plain = (
            not kwargs.get("dry_run")
            and kwargs.get("timestamper") is None
            and kwargs.get("encap_content_info") is None
            and kwargs.get("is_pdf_sig", True)
            and digest_algorithm == "sha256"
            and self._key is not None
        )
        if not plain or self._template is False:
            return await super().async_sign(data_digest, digest_algorithm, **kwargs)
        if self._template is None:
            result = await super().async_sign(data_digest, digest_algorithm, **kwargs)
            self._template = self._learn(result) or False
            return result
        return cms.ContentInfo.load(self._assemble(data_digest))

    @staticmethod
    def _learn(content_info) -> dict | None:
        signed_data = content_info["content"]
        infos = signed_data["signer_infos"]
        if len(infos) != 1:
            return None
        info = infos[0]
        attrs = info["signed_attrs"]
        others = [a.dump() for a in attrs if a["type"].native != "message_digest"]
        if len(others) != len(attrs) - 1 or info["unsigned_attrs"].native:
            return None
        md_attr = next(a for a in attrs if a["type"].native == "message_digest")
        md_type = md_attr["type"].dump()
        return {
            "others": others,
            "md_type": md_type,
            "info_head": info["version"].dump()
            + info["sid"].dump()
            + info["digest_algorithm"].dump(),
            "sig_alg": info["signature_algorithm"].dump(),
            "sd_head": (
                signed_data["version"].dump()
                + signed_data["digest_algorithms"].dump()
                + signed_data["encap_content_info"].dump()
                + signed_data["certificates"].dump()
                + (signed_data["crls"].dump() if signed_data["crls"].native else b"")
            ),
            "ci_type": content_info["content_type"].dump(),
        }

    def _assemble(self, digest: bytes) -> bytes:
        t = self._template
        if t is None:
            raise RuntimeError("no CMS template")
        md_attr = tlv(0x30, t["md_type"] + tlv(0x31, tlv(0x04, digest)))
        # DER: the elements of a SET OF are sorted by their encodings.
        attrs = b"".join(sorted([*t["others"], md_attr]))
        signature = self.sign_raw(tlv(0x31, attrs), "sha256")
        info = tlv(0x30, t["info_head"] + tlv(0xA0, attrs) + t["sig_alg"] + tlv(0x04, signature))
        signed_data = tlv(0x30, t["sd_head"] + tlv(0x31, info))
        return tlv(0x30, t["ci_type"] + tlv(0xA0, signed_data))
