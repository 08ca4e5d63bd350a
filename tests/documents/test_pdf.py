"""The sealed PDF checked by tools that are not ours: poppler's pdfsig, pdffonts and pdftotext,
with the development CA trusted in an NSS database; and pyHanko's own validator."""

import io
import re
import subprocess

import pytest

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    return done.stdout + done.stderr


@pytest.fixture
def nss_db(seal_keys, tmp_path):
    """An NSS database trusting the development CA, as a relying party would set one up."""
    db = tmp_path / "nss"
    db.mkdir()
    run("certutil", "-N", "-d", f"sql:{db}", "--empty-password")
    run(
        "certutil", "-A", "-d", f"sql:{db}", "-n", "sportel-dev-ca", "-t", "CT,C,C",
        "-i", str(seal_keys / "development-ca.pem"),
    )  # fmt: skip
    assert "sportel-dev-ca" in run("certutil", "-L", "-d", f"sql:{db}")
    return db


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def flip_one_byte(data: bytes) -> bytes:
    """Change one byte inside the page's compressed content stream (inside the signed range)."""
    start = data.index(b"stream\n", data.index(b"4 0 obj")) + len(b"stream\n")
    position = start + 40
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


def test_pdfsig_says_the_seal_is_valid_trusted_and_covers_the_whole_document(
    issue, nss_db, tmp_path
):
    path = write(tmp_path, "doc.pdf", issue().pdf.read())
    out = run("pdfsig", "-nssdir", f"sql:{nss_db}", str(path))
    assert "Signature is Valid." in out, out
    assert "Total document signed" in out, out
    assert "Certificate is Trusted." in out, out
    assert "ETSI.CAdES.detached" in out  # PAdES, not the legacy adbe.pkcs7 subfilter


def test_one_changed_byte_is_reported_by_pdfsig_and_pyhanko(issue, nss_db, tmp_path):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from sportel.documents.keys import trust_roots

    damaged = flip_one_byte(issue().pdf.read())
    out = run("pdfsig", "-nssdir", f"sql:{nss_db}", str(write(tmp_path, "bad.pdf", damaged)))
    assert "Digest Mismatch" in out, out
    assert "Signature is Valid." not in out
    status = validate_pdf_signature(
        PdfFileReader(io.BytesIO(damaged), strict=False).embedded_signatures[0],
        ValidationContext(trust_roots=trust_roots(), allow_fetching=False),
    )
    assert not status.intact
    assert not status.bottom_line


def test_every_font_is_embedded_and_albanian_letters_survive(issue, tmp_path):
    path = write(tmp_path, "doc.pdf", issue().pdf.read())
    fonts = run("pdffonts", str(path)).splitlines()[2:]
    assert fonts, "no fonts listed"
    for line in fonts:
        assert re.search(r"\s(yes)\s+(yes|no)\s+(yes)\s", line), f"not embedded: {line}"
    text = run("pdftotext", "-enc", "UTF-8", str(path), "-")
    assert "VËRTETIM BANIMI" in text
    assert "Rruga Çajupi 5, Shkodër" in text
    assert "Arta Krasniqi" in text


def test_sealed_pdf_declares_pdfa_2b_and_keeps_its_output_intent(issue):
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(issue().pdf.read()), strict=False)
    xmp = reader.root["/Metadata"].get_object().data.decode()
    assert re.search(r'pdfaid:part(="|>)2', xmp), xmp
    assert re.search(r'pdfaid:conformance(="|>)B', xmp), xmp
    intent = reader.root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/DestOutputProfile"].get_object()["/N"] == 3
    assert "/Info" not in reader.trailer  # PDF/A metadata lives in XMP only
    assert len(reader.embedded_signatures) == 1


def test_samples_say_sample_on_the_page(issue, tmp_path):
    path = write(tmp_path, "sample.pdf", issue(sample=True, language="en").pdf.read())
    text = run("pdftotext", "-enc", "UTF-8", str(path), "-")
    assert "SAMPLE" in text


def test_english_documents_are_rendered_in_english(issue, tmp_path):
    path = write(tmp_path, "en.pdf", issue(language="en").pdf.read())
    text = run("pdftotext", "-enc", "UTF-8", str(path), "-")
    assert "CERTIFICATE OF RESIDENCE" in text
    assert "Document code" in text


def test_a_municipality_emblem_is_embedded_without_transparency(issue, settings, tmp_path):
    from PIL import Image

    emblems = settings.DATA_DIR / "emblems"
    emblems.mkdir(parents=True, exist_ok=True)
    Image.new("RGBA", (120, 150), (180, 20, 30, 128)).save(emblems / "shkoder.png")
    path = write(tmp_path, "emblem.pdf", issue().pdf.read())
    images = run("pdfimages", "-list", str(path)).splitlines()[2:]
    assert len(images) == 1 and " rgb " in images[0] and "smask" not in images[0], images
    assert "Signature is Valid." in run("pdfsig", str(path))


def test_sealing_keeps_the_file_pdf_1_7_as_pdfa_2_requires(issue, tmp_path):
    """pyHanko would declare ISO/TS 32002 for the ECDSA seal and raise /Version to 2.0."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    data = issue().pdf.read()
    assert "PDF version:     1.7" in run("pdfinfo", str(write(tmp_path, "doc.pdf", data)))
    root = PdfFileReader(io.BytesIO(data), strict=False).root
    assert "/Version" not in root
    assert "/ESIC" in root["/Extensions"]  # the PAdES extension is still declared


def words(path) -> list[tuple[float, float, str]]:
    """(xMin, xMax, word) of every word on the page, as poppler lays the page out."""
    found = re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>',
        run("pdftotext", "-bbox", str(path), "-"),
    )
    return [(float(a), float(b), w) for a, b, w in found]


def test_long_labels_and_values_wrap_inside_their_columns(issue, tmp_path):
    label = "Numri i lejes së ndërtimit dhe data e miratimit nga këshilli bashkiak"
    value = "Leja " + "PN-2026-0000123456789012345678901234567890" + " e miratuar " * 6
    path = write(tmp_path, "long.pdf", issue(fields=[(label, value)]).pdf.read())
    placed = words(path)
    assert {"këshilli", "bashkiak", "PN-2026-00001234567890123"} & {w for _, _, w in placed}
    right_margin = 595.28 - 56
    for x_min, x_max, word in placed:
        assert x_max <= right_margin + 1, f"{word!r} runs past the right margin"
        if word in ("lejes", "ndërtimit", "miratimit", "këshilli", "bashkiak"):
            assert x_max <= 56 + 170, f"label word {word!r} runs into the value column"
        if word in ("miratuar", "Leja"):
            assert x_min >= 56 + 170 - 1, f"value word {word!r} in the label column"


def test_content_longer_than_the_page_is_refused_and_nothing_is_issued(issue, shkoder):
    from django.core.exceptions import ValidationError

    from sportel.documents.models import IssuedDocument, LogLeaf, SealingFailure

    fields = [(f"Fusha {i}", "Rruga Çajupi 5, Shkodër " * 6) for i in range(15)]
    with pytest.raises(ValidationError) as raised:
        issue(fields=fields)
    assert "nuk nxë në një faqe" in str(raised.value)  # does not fit on one page
    with pytest.raises(ValidationError):
        issue(body="Vërtetohet se shtetasja banon në adresën e mësipërme. " * 80)
    assert not IssuedDocument.objects.exists()
    assert not LogLeaf.objects.exists()
    assert SealingFailure.objects.filter(municipality=shkoder, stage="input").count() == 2


def test_the_header_names_the_county_not_the_municipality_twice(issue, shkoder, tmp_path):
    shkoder.county = "Shkodër"
    shkoder.save()
    text = run("pdftotext", "-enc", "UTF-8", str(write(tmp_path, "d.pdf", issue().pdf.read())), "-")
    assert "Qarku Shkodër" in text
    assert "Bashkia Shkodër\n" not in text.split("Qarku Shkodër")[0]


def test_the_qr_code_scans_to_the_verification_page_even_at_screen_resolution(issue, tmp_path):
    """zbar (zbar-tools) reads the QR off the page rendered at 72 dpi, as a phone camera would."""
    document = issue()
    path = write(tmp_path, "doc.pdf", document.pdf.read())
    run("pdftoppm", "-r", "72", "-png", "-singlefile", str(path), str(tmp_path / "page"))
    scanned = run("zbarimg", "-q", "--raw", str(tmp_path / "page.png")).splitlines()
    assert document.verify_url() in scanned, scanned
    assert document.verify_url().endswith(f"/verify/{document.code}")


def test_the_sealed_pdf_is_tagged_for_screen_readers(issue, tmp_path):
    """PDF/UA-1: marked, a structure tree in reading order (heading, table with row headers,
    paragraphs, figures with alternative text, the seal as a form field), language and a title
    shown by the viewer; all of it still there after pyHanko's incremental update."""
    data = issue().pdf.read()
    path = write(tmp_path, "doc.pdf", data)
    info = run("pdfinfo", str(path))
    assert re.search(r"Tagged:\s+yes", info), info
    assert "Syntax Error" not in run("pdftotext", str(path), "-")
    tree = run("pdfinfo", "-struct-text", str(path))
    # One structure element or one quoted text per line; the document's random code may contain
    # "TH" or "TD", so the order is read from whole lines, not from the first match anywhere.
    lines = [line.strip() for line in tree.splitlines()]
    names = [line if line.startswith('"') else line.split(" ")[0].rstrip(":") for line in lines]
    order = [names.index(s) for s in ("H1", '"VËRTETIM BANIMI"', "Table", "TH", "TD")]
    assert order == sorted(order), tree
    assert '"Adresa"' in tree
    assert "Skanoni për të verifikuar këtë dokument" in tree  # lines keep their spaces
    assert "/Scope /Row" in tree
    assert tree.count("Figure") == 2 and "Form" in tree
    assert '"Vërtetohet se shtetasja banon në adresën e mësipërme."' in tree
    assert b"/MarkInfo << /Marked true >>" in data and b"/Lang (sq)" in data
    assert b"/DisplayDocTitle true" in data
    assert b"<pdfuaid:part>1</pdfuaid:part>" in data
    assert b'<rdf:li xml:lang="x-default">V\xc3\xabrtetim banimi</rdf:li>' in data
    # Alternative text of the QR code names where it leads (UTF-16 text string, hex).
    assert "Kod QR".encode("utf-16-be").hex().upper().encode() in data


def _validated(data: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from sportel.documents.keys import trust_roots

    reader = PdfFileReader(io.BytesIO(data), strict=True)
    (signature,) = reader.embedded_signatures
    status = validate_pdf_signature(
        signature, ValidationContext(trust_roots=trust_roots(), allow_fetching=False)
    )
    return reader, signature, status


def test_the_directly_written_seal_is_what_pyhankos_sign_pdf_gives(
    issue, pyhanko_issue, nss_db, tmp_path
):
    """A warm worker writes the signature's update itself (pdf/signature.py); the first document
    of a seal goes through pyHanko. pdfsig and pyHanko's validator judge both alike: valid,
    trusted, the whole file signed, PAdES, the ESIC extension declared, still PDF 1.7."""
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    cold = pyhanko_issue().pdf.read()
    warm = issue().pdf.read()
    assert b'x:xmptk="pyHanko' in cold  # pyHanko rewrote the XMP: its path
    assert b"pyHanko" not in warm  # written directly: the renderer's XMP untouched
    for name, data in (("cold.pdf", cold), ("warm.pdf", warm)):
        path = write(tmp_path, name, data)
        out = run("pdfsig", "-nssdir", f"sql:{nss_db}", str(path))
        assert "Signature is Valid." in out and "Certificate is Trusted." in out, out
        assert "Total document signed" in out and "ETSI.CAdES.detached" in out, out
        assert "PDF version:     1.7" in run("pdfinfo", str(path))
        reader, signature, status = _validated(data)
        assert status.intact and status.valid and status.trusted and status.bottom_line
        assert signature.coverage == SignatureCoverageLevel.ENTIRE_FILE
        assert reader.root["/AcroForm"]["/SigFlags"] == 3
        assert "/ESIC" in reader.root["/Extensions"] and "/Version" not in reader.root
        sig = signature.sig_object
        assert sig["/SubFilter"] == "/ETSI.CAdES.detached"
        assert sig["/Reason"] == "Vulë elektronike e Bashkisë Shkodër / Electronic seal"
        assert sig["/Location"] == "Shkodër" and str(sig["/M"]).startswith("D:20")
        xmp = reader.root["/Metadata"].get_object().data.decode()
        assert re.search(r'pdfaid:part(="|>)2', xmp), xmp


def test_a_file_not_laid_out_by_our_renderer_is_sealed_by_pyhanko(issue, shkoder):
    """Anything but an unsigned certificate of ours (already signed, cut short, another
    producer's file) is not written directly; the seal hands it to pyHanko."""
    from django.utils import timezone
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    from sportel.documents.pdf import signature
    from sportel.documents.pdf.certificate import render
    from sportel.documents.sealing import load_seal
    from sportel.documents.services import _certificate

    sealed = issue().pdf.read()
    kw = {"reserved": 8192, "signed_at": timezone.now(), "reason": "r", "location": "l"}
    assert signature.prepare(sealed, **kw) is None  # its field already has a value
    assert signature.prepare(sealed[: len(sealed) // 2], **kw) is None
    assert signature.prepare(b"not a pdf", **kw) is None

    # Our certificate, saved again by another program (one more revision, its own xref).
    pdf = render(
        _certificate(
            shkoder,
            code="ABCDEFGHJKLMNPQR",
            issued_at=timezone.now(),
            title="Vërtetim banimi",
            language="sq",
            holder_text="Banor",
            content={"case_reference": "SHK-1", "fields": [["Adresa", "Rruga 1"]], "body": ""},
            sample=False,
        )
    )
    unsigned = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.update_root()
    writer.write(unsigned)
    seal = load_seal(shkoder)
    assert signature.prepare(pdf, **kw) is not None  # as rendered: written directly
    assert signature.prepare(unsigned.getvalue(), **kw) is None
    resealed = seal.seal(unsigned.getvalue())
    assert b'x:xmptk="pyHanko' in resealed  # pyHanko's way
    _reader, _signature, status = _validated(resealed)
    assert status.intact and status.bottom_line


def test_threads_sealing_at_once_each_get_a_valid_seal(issue, shkoder):
    """The direct path takes no lock (the CMS template is only read, the key only signs)."""
    import threading

    from django.utils import timezone

    from sportel.documents.pdf.certificate import render
    from sportel.documents.sealing import load_seal
    from sportel.documents.services import _certificate

    issue()  # the seal warm
    seal = load_seal(shkoder)
    pdfs = [
        render(
            _certificate(
                shkoder,
                code=f"ABCDEFGHJKLMNP{i:02d}",
                issued_at=timezone.now(),
                title="Vërtetim banimi",
                language="sq",
                holder_text=f"Banor {i}",
                content={
                    "case_reference": f"SHK-{i}",
                    "fields": [["Adresa", "Rruga 1"]],
                    "body": "",
                },
                sample=False,
            )
        )
        for i in range(24)
    ]
    out: dict[int, bytes] = {}

    def work(indices):
        for i in indices:
            out[i] = seal.seal(pdfs[i])

    threads = [threading.Thread(target=work, args=(range(k, 24, 6),)) for k in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(out) == list(range(24))
    for i, data in out.items():
        assert data.startswith(pdfs[i]) and b"pyHanko" not in data
        _reader, _signature, status = _validated(data)
        assert status.intact and status.valid, i
