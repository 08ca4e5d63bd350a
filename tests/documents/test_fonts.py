"""The fonts remember what they measured and encoded (a certificate repeats its words and labels
document after document): what they remember is what the font program says, per font and at
any size, and the memory stays bounded."""

import pytest

from sportel.documents.pdf.fonts import fonts


def measured(font, text: str) -> float:
    return sum(font.advance.get(ord(ch), 600.0) for ch in text)


@pytest.mark.parametrize("text", ["Vërtetim", "Çështja", "SHK-2026-000001", "", "Ωmega ≠ ascii"])
def test_a_width_remembered_is_the_font_programs_at_every_size_and_in_each_font(text):
    regular, bold = fonts()["R"], fonts()["B"]
    for _ in range(2):  # measured, then remembered
        assert regular.width(text, 10) == pytest.approx(measured(regular, text) * 10 / 1000)
        assert regular.width(text, 7.5) == pytest.approx(measured(regular, text) * 7.5 / 1000)
        assert bold.width(text, 10) == pytest.approx(measured(bold, text) * 10 / 1000)
    if text.strip():
        assert bold.width(text, 10) != regular.width(text, 10)  # not one memory for both


def test_an_encoding_remembered_names_each_fonts_own_glyphs():
    regular, bold = fonts()["R"], fonts()["B"]
    for _ in range(2):
        for font in (regular, bold):
            assert font.encode("ëÇ") == "".join(f"{font.glyph[ord(ch)]:04X}" for ch in "ëÇ")
    assert regular.encode("\U0001f600") == "0000"  # not in the font: glyph 0, as before


def test_what_the_fonts_remember_stays_bounded():
    font = fonts()["R"]
    for i in range(font._MEMO_LIMIT + 10):
        font.width(f"word{i}", 10)
        font.encode(f"word{i}")
    assert len(font._widths) <= font._MEMO_LIMIT
    assert len(font._encoded) <= font._MEMO_LIMIT
    assert font.width("word5", 10) == pytest.approx(measured(font, "word5") / 100)
