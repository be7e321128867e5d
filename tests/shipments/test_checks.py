"""Row checks, warnings and normalised values: manifest-csv.md §4, §5 and §6."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from shipments.ingest.checks import check_table, mark_existing, mark_manifest_conflicts
from tests.shipments.manifests import (
    ALL_COLUMNS,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    SERVED,
    TODAY,
    VAGUE,
    all_errors,
    all_warnings,
    check,
    check_one,
    error_list,
    errors,
    manifest_bytes,
    read,
)

OTHER_MAWB = "99975082033"  # 7508203 mod 7 = 3
TEXT_COLUMNS = ("shipper_name", "shipper_address", "shipper_city", "consignee_name", "consignee_address1",
                "consignee_address2", "consignee_city", "description")
STATES = ("AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA "
          "RI SC SD TN TX UT VT VA WA WV WI WY DC PR").split()


def only(checked, code, column, index=0):
    """The row has exactly this one error."""
    return error_list(checked, index) == [(code, column)]


def clean(checked, index=0):
    return list(checked.errors[index]) == [] and bool(checked.valid[index])


# ---------------------------------------------------------------------------------------------------------------
# The base row and the general rules of §4


def test_the_base_row_is_valid_and_has_no_error_and_no_warning():
    checked = check()
    assert all_errors(checked) == [[]]
    assert all_warnings(checked) == [[]]
    assert checked.valid.tolist() == [True]
    assert checked.rows == [2]


@pytest.mark.parametrize("column", REQUIRED_COLUMNS)
def test_a_blank_required_value_gets_R_REQUIRED_and_nothing_else(column):
    checked = check_one(column, "")
    assert only(checked, "R_REQUIRED", column)
    assert not checked.valid[0]


@pytest.mark.parametrize("blank", ["   ", "\t", "\u00a0", "\u3000", " \u00a0\u3000 "],
                         ids=["spaces", "tab", "nbsp", "ideographic", "mixed"])
def test_a_value_of_only_white_space_is_blank(blank):
    assert only(check_one("hawb", blank), "R_REQUIRED", "hawb")


def test_a_row_shorter_than_the_header_has_blank_values_at_its_end():
    values = list(manifest_bytes().decode().split("\r\n")[1].split(","))
    short = ",".join(values[:5]) + "\r\n"
    data = manifest_bytes().decode().split("\r\n")[0] + "\r\n" + short
    checked = check_table(read(data.encode()), today=TODAY, served_airports=SERVED, vague_terms=VAGUE)
    assert ("R_REQUIRED", "arrival_date") in errors(checked)
    assert ("R_REQUIRED", "value") in errors(checked)


@pytest.mark.parametrize("column", OPTIONAL_COLUMNS)
def test_a_blank_optional_value_is_no_error(column):
    assert clean(check_one(column, ""))


@pytest.mark.parametrize("column", OPTIONAL_COLUMNS)
def test_an_absent_optional_column_is_no_error(column):
    assert clean(check(columns=[name for name in ALL_COLUMNS if name != column]))


def test_blank_optional_values_take_their_defaults():
    checked = check({"consignee_country": "", "weight_unit": "", "currency": "", "weight": "2.5"})
    assert checked.norm["consignee_country"][0] == "US"
    assert checked.norm["weight_kg"][0] == pytest.approx(2.5)  # the default unit is K


def test_absent_optional_columns_take_their_defaults():
    checked = check({"weight": "2.5"}, columns=[name for name in ALL_COLUMNS if name not in ("consignee_country", "weight_unit")])
    assert checked.norm["consignee_country"][0] == "US"
    assert checked.norm["weight_kg"][0] == pytest.approx(2.5)


def test_a_row_reports_every_failing_check_with_its_column():
    checked = check({"pieces": "0", "value": "-3", "consignee_zip": "ABCDE", "hts_code": "12", "shipper_name": ""})
    assert errors(checked) == {("R_PIECES", "pieces"), ("R_VALUE", "value"), ("R_ZIP", "consignee_zip"),
                               ("R_HTS_FORMAT", "hts_code"), ("R_REQUIRED", "shipper_name")}


def test_one_column_carries_at_most_one_error_of_a_code():
    checked = check_one("consignee_country", "XK")  # neither an ISO code nor US/PR
    assert error_list(checked) == [("R_COUNTRY", "consignee_country")]


def test_a_weight_that_breaks_the_grammar_and_is_zero_gets_one_R_WEIGHT():
    assert error_list(check_one("weight", "-0")) == [("R_WEIGHT", "weight")]


def test_one_code_may_be_reported_on_two_columns():
    checked = check({"weight": "-1", "weight_unit": "OZ"})
    assert sorted(error_list(checked)) == [("R_WEIGHT", "weight"), ("R_WEIGHT", "weight_unit")]


def test_a_row_with_an_error_is_invalid_and_the_other_rows_stay_valid():
    checked = check({}, {"pieces": "0"}, {})
    assert checked.valid.tolist() == [True, False, True]
    assert checked.rows == [2, 3, 4]


def test_values_are_trimmed_before_they_are_checked():
    checked = check({"mawb": "\u00a016012345675\u00a0", "hawb": "\u3000hk0001\u3000", "origin_airport": " hkg\t",
                     "pieces": " 2 ", "value": "\u2003$25.00 ", "consignee_state": " ca", "arrival_date": "\u30002026-12-02"})
    assert clean(checked)
    assert checked.norm["mawb"][0] == "16012345675"
    assert checked.norm["hawb"][0] == "HK0001"
    assert checked.norm["origin_airport"][0] == "HKG"
    assert checked.values["shipper_name"][0] == "Shenzhen Bright Trading Co Ltd"


def test_trimmed_values_are_what_the_text_columns_keep():
    checked = check({"consignee_name": "  Ana Lopez\u00a0", "description": "\u3000Silicone phone case\t"})
    assert checked.values["consignee_name"][0] == "Ana Lopez"
    assert checked.values["description"][0] == "Silicone phone case"


# ---------------------------------------------------------------------------------------------------------------
# MAWB


@pytest.mark.parametrize("mawb", ["16012345675", "160-12345675", "160 1234 5675", "160-1234-5675", "1 6 0 - 1 2 3 4 5 6 7 5"])
def test_a_mawb_with_spaces_and_dashes_is_accepted(mawb):
    checked = check_one("mawb", mawb)
    assert clean(checked)
    assert checked.norm["mawb"][0] == "16012345675"


@pytest.mark.parametrize("mawb", ["1601234567", "160123456755", "160-1234567A", "160_12345675", "160.12345675",
                                  "160\t12345675", "160\u00a012345675", "１６０１２３４５６７５", "160/12345675", "MAWB"])
def test_a_mawb_that_is_not_11_digits_gets_R_MAWB_FORMAT_only(mawb):
    assert only(check_one("mawb", mawb), "R_MAWB_FORMAT", "mawb")


def test_a_mawb_whose_last_digit_is_not_the_check_digit_gets_R_MAWB_CHECK_DIGIT_only():
    assert only(check_one("mawb", "16012345670"), "R_MAWB_CHECK_DIGIT", "mawb")


@pytest.mark.parametrize("mawb", ["99975082033", "00000000000", "12300000070", "61824680246", "16038747531"])
def test_the_check_digit_is_digits_4_to_10_as_a_number_mod_7(mawb):
    assert clean(check_one("mawb", mawb))


def test_the_check_digit_is_not_taken_over_the_first_three_digits():
    # digits 1-10 = 1230000007, mod 7 = 5; digits 4-10 = 0000007, mod 7 = 0
    assert only(check_one("mawb", "12300000075"), "R_MAWB_CHECK_DIGIT", "mawb")


# ---------------------------------------------------------------------------------------------------------------
# HAWB and duplicates


@pytest.mark.parametrize("hawb", ["HK0001", "hk0001", "A", "ABCDEFGHIJ12", "123456789012"])
def test_a_hawb_of_1_to_12_letters_or_digits_in_any_case_is_accepted(hawb):
    checked = check_one("hawb", hawb)
    assert clean(checked)
    assert checked.norm["hawb"][0] == hawb.upper()


@pytest.mark.parametrize("hawb", ["HK-0001", "HK 0001", "ABCDEFGHIJ123", "HKé01", "HK_1", "HK0001#", "ＨＫ０００１"])
def test_a_hawb_that_is_not_1_to_12_letters_or_digits_gets_R_HAWB_FORMAT(hawb):
    assert only(check_one("hawb", hawb), "R_HAWB_FORMAT", "hawb")


def test_a_repeated_hawb_under_the_same_mawb_is_a_duplicate_on_every_later_occurrence():
    checked = check({"hawb": "HK7"}, {"hawb": "HK7"}, {"hawb": "HK8"}, {"hawb": "HK7"})
    assert list(checked.errors[0]) == []
    assert only(checked, "R_HAWB_DUPLICATE", "hawb", 1)
    assert list(checked.errors[2]) == []
    assert only(checked, "R_HAWB_DUPLICATE", "hawb", 3)


def test_hawbs_are_compared_upper_cased():
    checked = check({"hawb": "hk7"}, {"hawb": "HK7"})
    assert clean(checked, 0)
    assert only(checked, "R_HAWB_DUPLICATE", "hawb", 1)


def test_mawbs_are_compared_without_spaces_and_dashes():
    checked = check({"mawb": "160-1234 5675", "hawb": "HK7"}, {"mawb": "16012345675", "hawb": "HK7"})
    assert clean(checked, 0)
    assert only(checked, "R_HAWB_DUPLICATE", "hawb", 1)


def test_an_earlier_invalid_record_still_makes_a_later_one_a_duplicate():
    checked = check({"hawb": "HK7", "pieces": "0"}, {"hawb": "HK7"})
    assert only(checked, "R_PIECES", "pieces", 0)
    assert only(checked, "R_HAWB_DUPLICATE", "hawb", 1)


def test_a_duplicate_keeps_its_own_errors_as_well():
    checked = check({"hawb": "HK7"}, {"hawb": "HK7", "value": "0"})
    assert errors(checked, 1) == {("R_HAWB_DUPLICATE", "hawb"), ("R_VALUE", "value")}


def test_malformed_hawbs_are_compared_too():
    checked = check({"hawb": "HK-7"}, {"hawb": "hk-7"})
    assert only(checked, "R_HAWB_FORMAT", "hawb", 0)
    assert errors(checked, 1) == {("R_HAWB_FORMAT", "hawb"), ("R_HAWB_DUPLICATE", "hawb")}


def test_malformed_mawbs_are_compared_too():
    checked = check({"mawb": "160-1234", "hawb": "HK7"}, {"mawb": "1601234", "hawb": "HK7"})
    assert only(checked, "R_MAWB_FORMAT", "mawb", 0)
    assert errors(checked, 1) == {("R_MAWB_FORMAT", "mawb"), ("R_HAWB_DUPLICATE", "hawb")}


def test_the_same_hawb_under_another_mawb_is_no_duplicate():
    checked = check({"hawb": "HK7"}, {"hawb": "HK7", "mawb": OTHER_MAWB})
    assert clean(checked, 0) and clean(checked, 1)


def test_rows_with_a_blank_mawb_are_not_compared():
    checked = check({"hawb": "HK7", "mawb": ""}, {"hawb": "HK7", "mawb": ""})
    assert only(checked, "R_REQUIRED", "mawb", 0)
    assert only(checked, "R_REQUIRED", "mawb", 1)


def test_rows_with_a_blank_hawb_are_not_compared():
    checked = check({"hawb": ""}, {"hawb": ""})
    assert only(checked, "R_REQUIRED", "hawb", 0)
    assert only(checked, "R_REQUIRED", "hawb", 1)


# ---------------------------------------------------------------------------------------------------------------
# R_HAWB_EXISTS (the portal's data through a lookup function)


def test_a_pair_the_portal_holds_gets_R_HAWB_EXISTS():
    asked = []

    def lookup(pairs):
        asked.append(set(pairs))
        return {("16012345675", "HK0002")}

    checked = check({}, {"mawb": "160-1234 5675", "hawb": "hk0002"}, {})
    mark_existing(checked, lookup)
    assert asked == [{("16012345675", "HK0001"), ("16012345675", "HK0002"), ("16012345675", "HK0003")}]
    assert all_errors(checked) == [[], [("R_HAWB_EXISTS", "hawb")], []]
    assert checked.valid.tolist() == [True, False, True]


def test_R_HAWB_EXISTS_is_added_to_the_rows_own_errors():
    checked = check({"pieces": "0"})
    mark_existing(checked, lambda pairs: set(pairs))
    assert errors(checked) == {("R_PIECES", "pieces"), ("R_HAWB_EXISTS", "hawb")}


def test_a_pair_the_portal_does_not_hold_is_no_error():
    checked = check()
    mark_existing(checked, lambda pairs: set())
    assert clean(checked)


# ---------------------------------------------------------------------------------------------------------------
# Airports and flight


@pytest.mark.parametrize("origin", ["HKG", "hkg", "Pvg", "XXX"])
def test_an_origin_of_three_letters_is_accepted(origin):
    checked = check_one("origin_airport", origin)
    assert clean(checked)
    assert checked.norm["origin_airport"][0] == origin.upper()


@pytest.mark.parametrize("origin", ["HK", "HKGX", "HK1", "H K", "ÅBC", "ＨＫＧ", "H-K"])
def test_an_origin_that_is_not_three_ascii_letters_gets_R_AIRPORT(origin):
    assert only(check_one("origin_airport", origin), "R_AIRPORT", "origin_airport")


@pytest.mark.parametrize("destination", ["LAX", "SFO", "JFK", "ATL", "lax", "Jfk"])
def test_a_served_destination_is_accepted_in_any_case(destination):
    checked = check_one("destination_airport", destination)
    assert clean(checked)
    assert checked.norm["destination_airport"][0] == destination.upper()


@pytest.mark.parametrize("destination", ["ORD", "EWR", "LA", "LAXX", "L A X"])
def test_a_destination_that_is_not_served_gets_R_AIRPORT(destination):
    assert only(check_one("destination_airport", destination), "R_AIRPORT", "destination_airport")


def test_the_served_airports_are_a_parameter():
    checked = check({"destination_airport": "ORD"}, {"destination_airport": "LAX", "mawb": OTHER_MAWB}, served=("ORD",))
    assert clean(checked, 0)
    assert only(checked, "R_AIRPORT", "destination_airport", 1)


@pytest.mark.parametrize("flight", ["CX880", "cx880", "CX 880", "C X 8 8 0", "3U8501", "MU6111A", "CX1", "CX1234"])
def test_a_flight_number_of_an_airline_code_and_1_to_4_digits_is_accepted(flight):
    checked = check_one("flight_number", flight)
    assert clean(checked)
    assert checked.norm["flight_number"][0] == flight.upper().replace(" ", "")


@pytest.mark.parametrize("flight", ["CX-880", "CX12345", "CXX880", "CX880AB", "CX", "CX\t880", "CX\u00a0880", "ＣＸ８８０"])
def test_a_flight_number_that_breaks_the_pattern_gets_R_FLIGHT(flight):
    assert only(check_one("flight_number", flight), "R_FLIGHT", "flight_number")


# ---------------------------------------------------------------------------------------------------------------
# Arrival date


@pytest.mark.parametrize("text", ["2026-12-02", "2026/12/02", "20261202", "02-DEC-2026", "02DEC2026", "02-dec-2026",
                                  "02Dec2026", "02-Dec-2026"])
def test_every_accepted_date_format_is_read_as_the_same_day(text):
    checked = check_one("arrival_date", text)
    assert clean(checked)
    assert checked.norm["arrival_date"][0] == pd.Timestamp(2026, 12, 2)


@pytest.mark.parametrize("text", ["2026-12-2", "2026-1-02", "2026/1/02", "2-DEC-2026", "02-DECEMBER-2026", "02-DEC2026",
                                  "02DEC-2026", "2026-12/02", "12/02/2026", "02/12/2026", "2026-12-02T00:00", "26-12-02",
                                  "2026.12.02", "Dec 2, 2026", "02-DCE-2026", "2026１２02", "tomorrow"])
def test_a_date_in_another_format_gets_R_DATE(text):
    assert only(check_one("arrival_date", text), "R_DATE", "arrival_date")


@pytest.mark.parametrize("text", ["2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "31-JUN-2026", "20260230", "2026-12-00"])
def test_a_date_that_is_not_a_real_calendar_day_gets_R_DATE(text):
    assert only(check_one("arrival_date", text), "R_DATE", "arrival_date")


def test_a_leap_day_is_a_real_day():
    assert clean(check_one("arrival_date", "2024-02-29"))


@pytest.mark.parametrize("text", ["2019-09-28", "28SEP2019", "20190928"])
def test_the_first_day_of_entry_type_86_is_accepted(text):
    assert clean(check_one("arrival_date", text))


@pytest.mark.parametrize("text", ["2019-09-27", "27-SEP-2019", "2001-01-01"])
def test_a_day_before_2019_09_28_gets_R_DATE(text):
    assert only(check_one("arrival_date", text), "R_DATE", "arrival_date")


def test_365_days_after_today_is_accepted():
    day = TODAY + timedelta(days=365)
    assert clean(check_one("arrival_date", day.isoformat()))


def test_366_days_after_today_gets_R_DATE():
    day = TODAY + timedelta(days=366)
    assert only(check_one("arrival_date", day.isoformat()), "R_DATE", "arrival_date")


def test_today_is_a_parameter_of_the_date_check():
    checked = check_one("arrival_date", "2026-12-02", today=date(2025, 12, 1))
    assert only(checked, "R_DATE", "arrival_date")


def test_a_year_beyond_any_calendar_library_gets_R_DATE():
    assert only(check_one("arrival_date", "9999-12-31"), "R_DATE", "arrival_date")


# ---------------------------------------------------------------------------------------------------------------
# R_MAWB_INCONSISTENT


@pytest.mark.parametrize("column, other", [("origin_airport", "PVG"), ("destination_airport", "SFO"),
                                           ("flight_number", "CX882"), ("arrival_date", "2026-12-03")])
def test_rows_of_one_mawb_that_disagree_all_get_R_MAWB_INCONSISTENT(column, other):
    checked = check({}, {column: other}, {})
    for index in range(3):
        assert only(checked, "R_MAWB_INCONSISTENT", "mawb", index)


@pytest.mark.parametrize("column, first, second", [
    ("origin_airport", "HKG", "hkg"), ("destination_airport", "LAX", "lax"), ("flight_number", "CX880", "cx 880"),
    ("arrival_date", "20250609", "09JUN2025"), ("arrival_date", "20261202", "02DEC2026"), ("arrival_date", "2026-12-02", "2026/12/02"),
    ("arrival_date", "02-dec-2026", "02DEC2026"),
])
def test_values_are_compared_normalised(column, first, second):
    checked = check({column: first}, {column: second})
    assert clean(checked, 0) and clean(checked, 1)


def test_unreadable_dates_are_compared_as_upper_cased_text():
    checked = check({"arrival_date": "soon"}, {"arrival_date": "SOON"})
    assert only(checked, "R_DATE", "arrival_date", 0)
    assert only(checked, "R_DATE", "arrival_date", 1)


def test_different_unreadable_dates_disagree():
    checked = check({"arrival_date": "soon"}, {"arrival_date": "later"})
    assert errors(checked, 0) == {("R_DATE", "arrival_date"), ("R_MAWB_INCONSISTENT", "mawb")}
    assert errors(checked, 1) == {("R_DATE", "arrival_date"), ("R_MAWB_INCONSISTENT", "mawb")}


def test_a_readable_date_out_of_range_is_compared_as_its_day():
    checked = check({"arrival_date": "2019-01-01"}, {"arrival_date": "01JAN2019"})
    assert only(checked, "R_DATE", "arrival_date", 0)
    assert only(checked, "R_DATE", "arrival_date", 1)


def test_a_blank_value_disagrees_with_nothing():
    checked = check({}, {"origin_airport": ""}, {"flight_number": ""})
    assert clean(checked, 0)
    assert only(checked, "R_REQUIRED", "origin_airport", 1)
    assert only(checked, "R_REQUIRED", "flight_number", 2)


def test_mawbs_are_grouped_without_spaces_and_dashes():
    checked = check({"mawb": "160-12345675"}, {"mawb": "160 1234 5675", "origin_airport": "PVG"})
    assert only(checked, "R_MAWB_INCONSISTENT", "mawb", 0)
    assert only(checked, "R_MAWB_INCONSISTENT", "mawb", 1)


def test_other_mawbs_are_not_affected():
    checked = check({}, {"origin_airport": "PVG"}, {"mawb": OTHER_MAWB, "origin_airport": "TPE"})
    assert clean(checked, 2)


def test_rows_with_a_blank_mawb_are_not_grouped():
    checked = check({"mawb": ""}, {"mawb": "", "origin_airport": "PVG"})
    assert only(checked, "R_REQUIRED", "mawb", 0)
    assert only(checked, "R_REQUIRED", "mawb", 1)


def test_an_inconsistent_mawb_also_flags_rows_with_other_errors():
    checked = check({"pieces": "0"}, {"origin_airport": "PVG"})
    assert errors(checked, 0) == {("R_PIECES", "pieces"), ("R_MAWB_INCONSISTENT", "mawb")}


def test_an_invalid_value_still_takes_part_in_the_comparison():
    checked = check({"flight_number": "CX-880"}, {})
    assert errors(checked, 0) == {("R_FLIGHT", "flight_number"), ("R_MAWB_INCONSISTENT", "mawb")}
    assert only(checked, "R_MAWB_INCONSISTENT", "mawb", 1)


def test_a_mawb_that_disagrees_with_the_portal_is_inconsistent_on_every_row():
    checked = check({}, {})
    mark_manifest_conflicts(checked, {"16012345675": {"origin_airport": "HKG", "destination_airport": "LAX",
                                                      "flight_number": "CX882", "arrival_date": date(2026, 12, 2)}})
    assert all_errors(checked) == [[("R_MAWB_INCONSISTENT", "mawb")], [("R_MAWB_INCONSISTENT", "mawb")]]
    assert checked.valid.tolist() == [False, False]


def test_a_mawb_that_agrees_with_the_portal_is_consistent():
    checked = check({"flight_number": "cx 880", "arrival_date": "02DEC2026"})
    mark_manifest_conflicts(checked, {"16012345675": {"origin_airport": "HKG", "destination_airport": "LAX",
                                                      "flight_number": "CX880", "arrival_date": date(2026, 12, 2)}})
    assert clean(checked)


# ---------------------------------------------------------------------------------------------------------------
# Countries and state


@pytest.mark.parametrize("column", ["shipper_country", "country_of_origin"])
@pytest.mark.parametrize("code", ["CN", "cn", "Hk", "GB", "AX", "BQ", "CW", "SS", "SX", "EH", "AQ", "BV", "UM", "PS", "TW"])
def test_an_officially_assigned_iso_code_is_a_country(column, code):
    checked = check_one(column, code)
    assert clean(checked)
    assert checked.norm[column][0] == code.upper()


@pytest.mark.parametrize("column", ["shipper_country", "country_of_origin"])
@pytest.mark.parametrize("code", ["XK", "UK", "EU", "AN", "YU", "CS", "TP", "AC", "ZZ", "CHN", "C", "C1", "ＣＮ"])
def test_a_code_that_is_not_officially_assigned_gets_R_COUNTRY(column, code):
    assert only(check_one(column, code), "R_COUNTRY", column)


def test_there_are_249_country_codes():
    from shipments.ingest.countries import ISO_COUNTRIES

    assert len(ISO_COUNTRIES) == 249
    assert not {"XK", "UK", "EU"} & ISO_COUNTRIES


@pytest.mark.parametrize("code", ["US", "PR", "us", "pr"])
def test_the_consignee_country_may_be_us_or_pr(code):
    checked = check_one("consignee_country", code)
    assert clean(checked)
    assert checked.norm["consignee_country"][0] == code.upper()


@pytest.mark.parametrize("code", ["CA", "GU", "VI", "MX", "UK", "USA"])
def test_any_other_consignee_country_gets_R_COUNTRY(code):
    assert only(check_one("consignee_country", code), "R_COUNTRY", "consignee_country")


@pytest.mark.parametrize("state", STATES)
def test_the_50_states_dc_and_pr_are_states(state):
    checked = check_one("consignee_state", state.lower())
    assert clean(checked)
    assert checked.norm["consignee_state"][0] == state


def test_there_are_52_states():
    assert len(set(STATES)) == 52


@pytest.mark.parametrize("state", ["GU", "VI", "AS", "MP", "UM", "AA", "AE", "AP", "FM", "XX", "CAL", "California", "C"])
def test_anything_else_gets_R_STATE(state):
    assert only(check_one("consignee_state", state), "R_STATE", "consignee_state")


# ---------------------------------------------------------------------------------------------------------------
# ZIP (R_ZIP and W_ZIP_PADDED)


@pytest.mark.parametrize("text, stored", [("90210", "90210"), ("90210-1234", "90210-1234"), ("902101234", "90210-1234"),
                                          ("00501", "00501")])
def test_a_zip_of_5_digits_or_zip_plus_4_is_accepted_and_stored_with_its_dash(text, stored):
    checked = check_one("consignee_zip", text)
    assert clean(checked)
    assert list(checked.warnings[0]) == []
    assert checked.norm["consignee_zip"][0] == stored


@pytest.mark.parametrize("text, stored", [("2134", "02134"), ("501", "00501")])
def test_a_zip_of_3_or_4_digits_is_padded_with_a_warning(text, stored):
    checked = check_one("consignee_zip", text)
    assert clean(checked)
    assert list(checked.warnings[0]) == [("W_ZIP_PADDED", "consignee_zip")]
    assert checked.norm["consignee_zip"][0] == stored


def test_a_padded_zip_is_warned_about_on_an_invalid_row_too():
    checked = check({"consignee_zip": "2134", "pieces": "0"})
    assert only(checked, "R_PIECES", "pieces")
    assert list(checked.warnings[0]) == [("W_ZIP_PADDED", "consignee_zip")]


def test_a_zip_plus_4_with_a_short_first_part_is_not_padded():
    checked = check_one("consignee_zip", "2134-5678")
    assert only(checked, "R_ZIP", "consignee_zip")
    assert list(checked.warnings[0]) == []


@pytest.mark.parametrize("text", ["12", "1", "902100", "90210-123", "90210 1234", "90210–1234", "ABCDE", "9021O",
                                  "21345678", "90210-", "9O210", "９０２１０"])
def test_anything_else_gets_R_ZIP_without_padding(text):
    checked = check_one("consignee_zip", text)
    assert only(checked, "R_ZIP", "consignee_zip")
    assert list(checked.warnings[0]) == []


# ---------------------------------------------------------------------------------------------------------------
# HTS


@pytest.mark.parametrize("text", ["3926.90.9985", "3926 90 9985", "3926-90-9985", "3926909985", "3926.9099.85"])
def test_an_hts_code_of_10_digits_with_dots_spaces_or_dashes_is_accepted_and_stored_as_10_digits(text):
    checked = check_one("hts_code", text)
    assert clean(checked)
    assert checked.norm["hts_code"][0] == "3926909985"


@pytest.mark.parametrize("text", ["3926.90.99", "392690998", "39269099851", "3926/90/9985", "39269O9985", "3926_90_9985",
                                  "HS3926909985", "３９２６９０９９８５"])
def test_an_hts_code_that_is_not_10_digits_gets_R_HTS_FORMAT(text):
    assert only(check_one("hts_code", text), "R_HTS_FORMAT", "hts_code")


# ---------------------------------------------------------------------------------------------------------------
# Descriptions and Latin text


@pytest.mark.parametrize("term", VAGUE)
def test_each_vague_term_gets_R_DESCRIPTION_VAGUE(term):
    assert only(check_one("description", term), "R_DESCRIPTION_VAGUE", "description")


@pytest.mark.parametrize("text", ["GIFT", "Spare  Parts", "  general \t merchandise ", "Daily\u00a0Necessities", "PERSONAL EFFECTS"])
def test_a_vague_description_is_found_in_any_case_and_with_white_space_collapsed(text):
    assert only(check_one("description", text), "R_DESCRIPTION_VAGUE", "description")


@pytest.mark.parametrize("text", ["Gift box", "car parts", "gift!", "sample of fabric", "Bluetooth electronics kit", "sparepart"])
def test_a_description_that_only_contains_a_vague_term_is_accepted(text):
    assert clean(check_one("description", text))


def test_the_vague_terms_are_a_parameter():
    assert clean(check({"description": "gift"}, vague=("stuff",)))
    assert only(check({"description": "Silicone phone case"}, vague=("silicone phone case",)), "R_DESCRIPTION_VAGUE", "description")


@pytest.mark.parametrize("column", TEXT_COLUMNS)
def test_chinese_text_in_a_manifest_text_column_gets_R_NON_LATIN(column):
    value = "发货 gift" if column == "description" else "深圳 Bright"
    assert only(check_one(column, value), "R_NON_LATIN", column)


@pytest.mark.parametrize("column", TEXT_COLUMNS)
def test_latin_1_letters_are_allowed_in_manifest_text(column):
    assert clean(check_one(column, "Café Zoë Müller ñ ß ÿ ©"))


@pytest.mark.parametrize("text", ["Łódź", "O\u2019Brien", "Ｓｈｅｎｚｈｅｎ", "Café\u0301", "Москва", "€ store"])
def test_any_character_beyond_latin_1_gets_R_NON_LATIN(text):
    assert only(check_one("consignee_name", text), "R_NON_LATIN", "consignee_name")


def test_non_latin_text_in_other_columns_is_not_R_NON_LATIN():
    checked = check({"consignee_phone": "电话 310", "consignee_state": "加州"})
    assert error_list(checked) == [("R_STATE", "consignee_state")]


def test_several_text_columns_each_get_their_own_R_NON_LATIN():
    checked = check({"shipper_name": "深圳", "consignee_city": "洛杉矶"})
    assert errors(checked) == {("R_NON_LATIN", "shipper_name"), ("R_NON_LATIN", "consignee_city")}


# ---------------------------------------------------------------------------------------------------------------
# Pieces, weight, value, currency, e-mail


@pytest.mark.parametrize("text, number", [("1", 1), ("002", 2), ("9999", 9999), ("0010", 10)])
def test_pieces_of_digits_from_1_to_9999_are_accepted(text, number):
    checked = check_one("pieces", text)
    assert clean(checked)
    assert checked.norm["pieces"][0] == number


@pytest.mark.parametrize("text", ["0", "000", "10000", "2.0", "-1", "+1", "1,000", "two", "1e3", "٢", "２", "1 2"])
def test_other_pieces_get_R_PIECES(text):
    assert only(check_one("pieces", text), "R_PIECES", "pieces")


@pytest.mark.parametrize("text", ["0.45", "1", "1.234", "10.5", "0.001", "007.5", "12345"])
def test_a_weight_of_digits_with_up_to_3_decimals_is_accepted(text):
    assert clean(check_one("weight", text))


@pytest.mark.parametrize("text", ["0", "0.000", "1.2345", "-1", "+1", "1,5", "1,000", "1e3", "2.5e1", "2kg", "2 KG", ".5", "5.",
                                  "1.2.3", "٣", "Infinity", "NaN"])
def test_other_weights_get_R_WEIGHT(text):
    assert only(check_one("weight", text), "R_WEIGHT", "weight")


@pytest.mark.parametrize("unit, factor", [("K", 1.0), ("KG", 1.0), ("KGS", 1.0), ("kgs", 1.0), ("L", 0.45359237),
                                          ("LB", 0.45359237), ("LBS", 0.45359237), ("lb", 0.45359237), ("Lbs", 0.45359237)])
def test_each_weight_unit_is_accepted_and_converted_to_kg(unit, factor):
    checked = check({"weight": "1000", "weight_unit": unit})
    assert clean(checked)
    assert checked.norm["weight_kg"][0] == pytest.approx(1000 * factor, abs=5e-4)


@pytest.mark.parametrize("unit", ["G", "KILO", "pounds", "OZ", "K G", "T", "公斤"])
def test_another_weight_unit_gets_R_WEIGHT_on_the_unit(unit):
    assert only(check_one("weight_unit", unit), "R_WEIGHT", "weight_unit")


def test_a_blank_weight_with_a_bad_unit_gets_R_REQUIRED_and_R_WEIGHT_on_the_unit():
    checked = check({"weight": "", "weight_unit": "OZ"})
    assert errors(checked) == {("R_REQUIRED", "weight"), ("R_WEIGHT", "weight_unit")}


def test_the_original_weight_is_kept_beside_the_kilograms():
    checked = check({"weight": "2.5", "weight_unit": "LB"})
    assert "2.5" in checked.norm["weight_original"][0]
    assert "LB" in checked.norm["weight_original"][0].upper()
    assert checked.norm["weight_kg"][0] == pytest.approx(2.5 * 0.45359237, abs=5e-4)


@pytest.mark.parametrize("text, amount", [("25", 25), ("25.5", 25.5), ("25.00", 25), ("$25.00", 25), ("$1,234.50", 1234.5),
                                          ("12,500", 12500), ("1,234,567.89", 1234567.89), ("0.01", 0.01), ("$0.5", 0.5),
                                          ("007", 7)])
def test_a_positive_dollar_amount_is_accepted_and_stored_as_a_number(text, amount):
    checked = check_one("value", text)
    assert clean(checked)
    assert float(checked.norm["value_usd"][0]) == pytest.approx(amount)


@pytest.mark.parametrize("text", ["12,50", "$ 30", "-3", "+3", "-$3", "$-3", "1e3", "USD 5", "5 USD", "5USD", "0", "0.00",
                                  "$0", "1234,567", "25.001", "1,23", "$$5", "€5", "5$", ",500", "1,2345", "12.", ".5",
                                  "1 234", "٣"])
def test_other_values_get_R_VALUE(text):
    assert only(check_one("value", text), "R_VALUE", "value")


@pytest.mark.parametrize("text", ["USD", "usd", "Usd"])
def test_usd_in_any_case_is_the_currency(text):
    assert clean(check_one("currency", text))


@pytest.mark.parametrize("text", ["RMB", "CNY", "US$", "$", "EUR", "USD.", "U S D"])
def test_another_currency_gets_R_CURRENCY(text):
    assert only(check_one("currency", text), "R_CURRENCY", "currency")


@pytest.mark.parametrize("text", ["ana@example.com", "a@b.co", "first.last+tag@mail.example.org", "李@例子.中国"])
def test_an_email_of_the_simple_shape_is_accepted(text):
    assert clean(check_one("consignee_email", text))


@pytest.mark.parametrize("text", ["ana", "ana@example", "ana @example.com", "a@@b.com", "a@b@c.com", "@example.com",
                                  "ana@.", "ana@example.", "ana@example .com"])
def test_another_email_gets_R_EMAIL(text):
    assert only(check_one("consignee_email", text), "R_EMAIL", "consignee_email")


def test_the_phone_is_not_checked():
    assert clean(check_one("consignee_phone", "call me maybe"))


# ---------------------------------------------------------------------------------------------------------------
# §6 normalised values


def test_the_normalised_values_are_what_the_spec_stores():
    checked = check({"mawb": "160-1234 5675", "hawb": "hk0001", "origin_airport": "hkg", "destination_airport": "lax",
                     "flight_number": "cx 880", "arrival_date": "02dec2026", "shipper_country": "cn", "country_of_origin": "vn",
                     "consignee_state": "ny", "consignee_country": "pr", "consignee_zip": "100131234", "hts_code": "3926.90-99 85",
                     "weight": "10", "weight_unit": "lbs", "value": "$1,234.50"})
    assert clean(checked)
    row = checked.norm.iloc[0]
    assert row["mawb"] == "16012345675"
    assert row["hawb"] == "HK0001"
    assert (row["origin_airport"], row["destination_airport"]) == ("HKG", "LAX")
    assert row["flight_number"] == "CX880"
    assert row["arrival_date"].date() == date(2026, 12, 2)
    assert (row["shipper_country"], row["country_of_origin"], row["consignee_country"]) == ("CN", "VN", "PR")
    assert row["consignee_state"] == "NY"
    assert row["consignee_zip"] == "10013-1234"
    assert row["hts_code"] == "3926909985"
    assert row["weight_kg"] == pytest.approx(4.5359237, abs=5e-4)
    assert float(row["value_usd"]) == pytest.approx(1234.50)


def test_one_pound_is_0_45359237_kg():
    checked = check({"weight": "1000", "weight_unit": "LB"})
    assert checked.norm["weight_kg"][0] == pytest.approx(453.59237, abs=5e-4)


def test_kilograms_are_kept_as_they_are():
    checked = check({"weight": "12.345", "weight_unit": "KG"})
    assert checked.norm["weight_kg"][0] == pytest.approx(12.345)


# ---------------------------------------------------------------------------------------------------------------
# Trimming is Python's str.strip(): every character str.isspace() holds, and nothing else


@pytest.mark.parametrize("space", ["\x1c", "\x1f", "\x85", "\u2000", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u1680"])
def test_every_unicode_white_space_character_is_trimmed(space):
    checked = check({"hawb": f"{space}HK0001{space}", "pieces": f"{space}2", "consignee_zip": f"90210{space}"})
    assert clean(checked)
    assert checked.norm["hawb"][0] == "HK0001"
    assert checked.norm["consignee_zip"][0] == "90210"


@pytest.mark.parametrize("invisible", ["\u200b", "\ufeff", "\u2060"], ids=["zero-width-space", "bom", "word-joiner"])
def test_characters_that_are_not_white_space_are_not_trimmed(invisible):
    assert only(check_one("hawb", f"{invisible}HK0001"), "R_HAWB_FORMAT", "hawb")


@pytest.mark.parametrize("text", ["ana\u00a0lopez@example.com", "ana@example\u3000.com", "ana\u2003@example.com"])
def test_unicode_white_space_inside_an_email_gets_R_EMAIL(text):
    assert only(check_one("consignee_email", text), "R_EMAIL", "consignee_email")


@pytest.mark.parametrize("text", ["spare\u2003parts", "spare\u00a0\u00a0parts", "spare\nparts", "Spare \u3000 Parts"])
def test_any_white_space_between_the_words_of_a_vague_term_is_collapsed(text):
    assert ("R_DESCRIPTION_VAGUE", "description") in errors(check_one("description", text))  # (and R_NON_LATIN beyond U+00FF)
