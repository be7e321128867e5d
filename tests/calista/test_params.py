"""Ids typed into query strings and forms: ASCII digits that fit a bigint, or no id at all."""

from calista.params import id_or_none, ids, is_id


def test_ascii_digits_are_an_id():
    assert id_or_none("42") == 42 and id_or_none(7) == 7 and is_id("0")


def test_other_digits_signs_and_huge_numbers_are_no_id():
    for value in ("²", "٣", "-1", "+1", " 1", "1.0", "", None, "9" * 19, "1e3"):
        assert id_or_none(value) is None, value
        assert not is_id(value)


def test_ids_keeps_the_well_formed_ones_in_order():
    assert ids(["3", "²", "1", "x", "99999999999999999999", "2"]) == [3, 1, 2]
