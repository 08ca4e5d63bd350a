"""Upload checking (core.uploads): what a resident sends is sniffed, limited and made safe."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image

from sportel.core.uploads import check_upload

from .files import pdf, png_bomb

# Pillow warns about the bombs these tests send on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


def refusal(name: str, content: bytes, language: str = "en") -> str:
    with translation.override(language), pytest.raises(ValidationError) as refused:
        check_upload(SimpleUploadedFile(name, content))
    return refused.value.message_dict["attachments"][0]


# --- images: pixels limited before decoding ----------------------------------------------------


def test_a_png_decompression_bomb_is_refused_in_both_languages():
    bomb = png_bomb(13000, 13000)
    assert len(bomb) < 500 * 1024  # small on the wire: the size limit alone would let it in
    assert refusal("plan.png", bomb, "en") == (
        "plan.png has more than 50 million pixels; send a smaller picture."
    )
    assert refusal("plan.png", bomb, "sq") == (
        "plan.png ka më shumë se 50 milionë piksele; dërgoni një figurë më të vogël."
    )


def test_the_bomb_is_refused_from_its_header_without_decoding_it():
    # Only the first row of pixel data is there: decoding would fail as "damaged"; the refusal
    # names the pixel count, so the check ran on the header alone.
    cut = png_bomb(13000, 13000, complete=False)
    assert "more than 50 million pixels" in refusal("plan.png", cut)
    # Beyond what Pillow itself refuses at open: the same message, not "damaged".
    assert "more than 50 million pixels" in refusal(
        "plan.png", png_bomb(20000, 20000, complete=False)
    )


def test_the_pixel_limit_is_a_setting(settings):
    settings.SPORTEL_MAX_UPLOAD_PIXELS = 2_000_000
    assert "more than 2 million pixels" in refusal("wide.png", png_bomb(2000, 1001))
    assert check_upload(SimpleUploadedFile("ok.png", png_bomb(1000, 1000))).content_type == (
        "image/png"
    )


# --- PDFs: active content refused --------------------------------------------------------------


def test_a_plain_pdf_is_accepted_as_sent():
    checked = check_upload(SimpleUploadedFile("kontrata.pdf", pdf()))
    assert checked.content_type == "application/pdf"
    assert checked.name == "kontrata.pdf"
    assert checked.content == pdf()


def test_a_pdf_opening_on_a_page_is_accepted():
    # /OpenAction to a page (a GoTo destination) is what many office suites write: harmless.
    checked = check_upload(SimpleUploadedFile("a.pdf", pdf(catalog="/OpenAction [3 0 R /Fit] ")))
    assert checked.content_type == "application/pdf"


@pytest.mark.parametrize(
    ("catalog", "objects", "found"),
    [
        # The probe's file: JavaScript run when the document opens.
        ("/OpenAction 4 0 R ", ("<< /S /JavaScript /JS (app.alert\\(1\\)) >>",), "JS"),
        # The same with the name written with a #-escape, which a byte scan would miss.
        ("/OpenAction 4 0 R ", ("<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>",), "JS"),
        (
            "/Names << /JavaScript 4 0 R >> ",
            ("<< /Names [(a) 5 0 R] >>", "<< /S /JavaScript >>"),
            "JavaScript",
        ),
        ("/OpenAction 4 0 R ", ("<< /S /Launch /F (cmd.exe) >>",), "Launch"),
        ("/AA << /WC 4 0 R >> ", ("<< /S /GoTo /D [3 0 R /Fit] >>",), "AA"),
        ("/Names << /EmbeddedFiles 4 0 R >> ", ("<< /Names [] >>",), "EmbeddedFiles"),
        ("/AcroForm << /Fields [] /XFA 4 0 R >> ", ("<< >>",), "XFA"),
        ("/Extra 4 0 R ", ("<< /Type /Annot /Subtype /RichMedia >>",), "RichMedia"),
    ],
)
def test_a_pdf_with_active_content_is_refused(catalog, objects, found):
    message = refusal("scan.pdf", pdf(catalog=catalog, objects=objects))
    assert message == (
        f"scan.pdf contains active content ({found}), which is not accepted. Print it to a new "
        "PDF, or scan the paper, and send that."
    )


def test_active_content_is_refused_in_albanian_too():
    message = refusal(
        "scan.pdf",
        pdf(catalog="/OpenAction 4 0 R ", objects=("<< /S /JavaScript /JS (x) >>",)),
        "sq",
    )
    assert message.startswith("scan.pdf përmban përmbajtje aktive (JS)")


def test_a_pdf_that_does_not_parse_is_refused():
    assert refusal("cut.pdf", b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\n%%EOF\n") == (
        "cut.pdf is not a complete PDF file."
    )


# --- stored names follow the sniffed type ------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "content", "stored"),
    [
        ("scan.pdf", "png", "scan.png"),
        ("scan", "png", "scan.png"),
        ("photo.JPEG", "jpeg", "photo.JPEG"),
        ("photo.png", "jpeg", "photo.jpg"),
        ("letter.png", "pdf", "letter.pdf"),
        ("letter.PDF", "pdf", "letter.PDF"),
    ],
)
def test_a_file_is_named_by_what_it_is(sent, content, stored):
    if content == "pdf":
        data = pdf()
    else:
        out = io.BytesIO()
        Image.new("RGB", (4, 4), "white").save(out, format=content.upper())
        data = out.getvalue()
    assert check_upload(SimpleUploadedFile(sent, data)).name == stored


def test_a_pdf_too_large_to_walk_is_refused_as_too_complex(monkeypatch):
    from sportel.core import uploads

    many = tuple(f"<< /N {n} >>" for n in range(60))
    refs = " ".join(f"{4 + n} 0 R" for n in range(60))
    document = pdf(catalog=f"/Extra [{refs}] ", objects=many)
    assert check_upload(SimpleUploadedFile("big.pdf", document)).content_type == "application/pdf"
    monkeypatch.setattr(uploads, "_MAX_PDF_OBJECTS", 50)
    assert refusal("big.pdf", document) == (
        "big.pdf is too complex to check; print it to a new PDF and send that."
    )
