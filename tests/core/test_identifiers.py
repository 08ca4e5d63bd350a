import pytest
from django.utils import translation

from sportel.core.identifiers import check_identifier, check_letter, with_check_letter


@pytest.mark.parametrize(
    "value",
    ["J00101001C", "j00101001c", "J 0010 1001 C", "K31231001W"[:9] + check_letter("K31231001")],
)
def test_valid_nid_passes_with_no_error_or_warning(value):
    assert check_identifier(value).ok


def test_check_letter_follows_the_weighted_sum_mod_23():
    # J=10 (index in WABCDEFGHIJ...), digits 0,0,1,0,1,0,0,1 weighted 1,1,2,3,4,5,6,7,8
    total = 1 * 10 + 1 * 0 + 2 * 0 + 3 * 1 + 4 * 0 + 5 * 1 + 6 * 0 + 7 * 0 + 8 * 1
    assert check_letter("J00101001") == "WABCDEFGHIJKLMNOPQRSTUV"[total % 23]


@pytest.mark.parametrize(
    "value",
    ["", "J0010100C", "J001010011C", "U00101001C", "J00101001", "J0010A001C", "1234567890"],
)
def test_wrong_layout_is_an_error(value):
    result = check_identifier(value)
    assert result.error and not result.warning


def test_wrong_check_letter_is_only_a_warning():
    good = with_check_letter("L51231234")
    bad = good[:9] + ("A" if good[9] != "A" else "B")
    with translation.override("en"):
        result = check_identifier(bad)
        assert result.error is None
        assert "check letter" in result.warning


def test_nipt_uses_the_same_rule_with_its_own_label():
    with translation.override("en"):
        assert "NIPT" in check_identifier("K1234567", kind="nipt").error
    assert "NIPT" in check_identifier("K1234567", kind="nipt").error
