import csv
import datetime
import io
import re
from collections import Counter, defaultdict

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from shipments.generator import CHINESE_HEADERS, COLUMNS, DEFECTS, manifest_rows

ARRIVAL = datetime.date(2026, 6, 9)


def generate(tmp_path, *args, name="manifest.csv", **options):
    out = io.StringIO()
    path = tmp_path / name
    call_command("generate_manifest", str(path), *args, date=ARRIVAL.isoformat(), stdout=out, **options)
    return path, out.getvalue()


def read_csv(path, encoding="utf-8"):
    with open(path, encoding=encoding, newline="") as f:
        header, *rows = list(csv.reader(f))
    return header, rows


def records(header, rows):
    return [dict(zip(header, row, strict=True)) for row in rows]


def mawb_digits(text):
    return text.replace(" ", "").replace("-", "")


# --- A second, independent reading of the row checks in shared/spec/manifest-csv.md §4 ------
# The generator promises the codes a correct validator reports; this checks the promise.

ISO_COUNTRIES = set("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO
JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR
MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO
RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV
TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
""".split())
STATES = set("""
AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA
RI SC SD TN TX UT VT VA WA WV WI WY DC PR
""".split())
VAGUE = {
    "gift", "gifts", "sample", "samples", "parts", "spare parts", "accessories", "daily necessities", "daily necessity",
    "daily use", "consolidated", "consolidation", "general merchandise", "merchandise", "goods", "item", "items",
    "product", "products", "stuff", "misc", "miscellaneous", "various", "personal effects", "apparel", "clothing",
    "electronics",
}  # fmt: skip
REQUIRED = {
    "mawb", "hawb", "origin_airport", "destination_airport", "flight_number", "arrival_date", "shipper_name",
    "shipper_address", "shipper_country", "consignee_name", "consignee_address1", "consignee_city", "consignee_state",
    "consignee_zip", "description", "hts_code", "country_of_origin", "pieces", "weight", "value",
}  # fmt: skip
LATIN_TEXT = (
    "shipper_name", "shipper_address", "shipper_city", "consignee_name", "consignee_address1", "consignee_address2",
    "consignee_city", "description",
)  # fmt: skip
MONTHS = {m: i for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split(), start=1)}
SERVED = {"LAX", "SFO", "JFK", "ATL"}
FLIGHT = r"[A-Z0-9]{2}[0-9]{1,4}[A-Z]?"
ZIP = r"[0-9]{5}(-?[0-9]{4})?"


def calendar_day(text):
    text = text.upper()
    if m := re.fullmatch(r"([0-9]{4})([-/]?)([0-9]{2})\2([0-9]{2})", text):
        year, month, day = int(m[1]), int(m[3]), int(m[4])
    elif (m := re.fullmatch(r"([0-9]{2})(-?)([A-Z]{3})\2([0-9]{4})", text)) and m[3] in MONTHS:
        year, month, day = int(m[4]), MONTHS[m[3]], int(m[1])
    else:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def row_checks(row, today):
    failed = set()

    def check(column, code, bad):
        value = row[column]
        if not value:
            if column in REQUIRED:
                failed.add("R_REQUIRED")
        elif bad(value):
            failed.add(code)

    check("mawb", "R_MAWB_FORMAT", lambda v: not re.fullmatch(r"[0-9]{11}", mawb_digits(v)))
    check("mawb", "R_MAWB_CHECK_DIGIT", lambda v: re.fullmatch(r"[0-9]{11}", m := mawb_digits(v)) and int(m[3:10]) % 7 != int(m[10]))
    check("hawb", "R_HAWB_FORMAT", lambda v: not re.fullmatch(r"[A-Z0-9]{1,12}", v.upper()))
    check("origin_airport", "R_AIRPORT", lambda v: not re.fullmatch(r"[A-Za-z]{3}", v))
    check("destination_airport", "R_AIRPORT", lambda v: v.upper() not in SERVED)
    check("flight_number", "R_FLIGHT", lambda v: not re.fullmatch(FLIGHT, v.upper().replace(" ", "")))
    latest = today + datetime.timedelta(days=365)
    check("arrival_date", "R_DATE", lambda v: not (d := calendar_day(v)) or not datetime.date(2019, 9, 28) <= d <= latest)
    for column in ("shipper_country", "country_of_origin"):
        check(column, "R_COUNTRY", lambda v: v.upper() not in ISO_COUNTRIES)
    check("consignee_country", "R_COUNTRY", lambda v: v.upper() not in {"US", "PR"})
    check("consignee_state", "R_STATE", lambda v: v.upper() not in STATES)
    check("consignee_zip", "R_ZIP", lambda v: not re.fullmatch(ZIP, v.zfill(5) if re.fullmatch(r"[0-9]{3,4}", v) else v))
    check("hts_code", "R_HTS_FORMAT", lambda v: not re.fullmatch(r"[0-9]{10}", re.sub(r"[. -]", "", v)))
    check("description", "R_DESCRIPTION_VAGUE", lambda v: " ".join(v.lower().split()) in VAGUE)
    for column in LATIN_TEXT:
        check(column, "R_NON_LATIN", lambda v: any(ord(ch) > 0xFF for ch in v))
    check("pieces", "R_PIECES", lambda v: not re.fullmatch(r"[0-9]+", v) or not 1 <= int(v) <= 9999)
    check("weight", "R_WEIGHT", lambda v: not re.fullmatch(r"[0-9]+(\.[0-9]{1,3})?", v) or float(v) <= 0)
    check("weight_unit", "R_WEIGHT", lambda v: v.upper() not in {"K", "KG", "KGS", "L", "LB", "LBS"})
    check(
        "value",
        "R_VALUE",
        lambda v: not re.fullmatch(r"\$?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]{1,2})?", v) or float(v.lstrip("$").replace(",", "")) <= 0,
    )
    check("currency", "R_CURRENCY", lambda v: v.upper() != "USD")
    check("consignee_email", "R_EMAIL", lambda v: not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v))
    return failed


def comparable(column, value):
    if column == "arrival_date":
        return calendar_day(value) or value.upper()
    return value.upper().replace(" ", "") if column == "flight_number" else value.upper()


def inconsistent_groups(rows):
    """MAWB numbers whose rows disagree on a value the spec compares."""
    rows = [{column: cell.strip() for column, cell in row.items()} for row in rows]
    groups = defaultdict(list)
    for row in rows:
        if row["mawb"]:
            groups[mawb_digits(row["mawb"])].append(row)
    bad = set()
    for mawb, members in groups.items():
        for column in ("origin_airport", "destination_airport", "flight_number", "arrival_date"):
            if len({comparable(column, row[column]) for row in members if row[column]}) > 1:
                bad.add(mawb)
    return bad


def spec_codes(header, data, *, today):
    rows = [{column: cell.strip() for column, cell in row.items()} for row in records(header, data)]
    codes = [row_checks(row, today) for row in rows]
    seen = set()
    for row, found in zip(rows, codes, strict=True):
        if row["mawb"] and row["hawb"]:
            key = (mawb_digits(row["mawb"]), row["hawb"].upper())
            if key in seen:
                found.add("R_HAWB_DUPLICATE")
            seen.add(key)
    inconsistent = inconsistent_groups(rows)
    for row, found in zip(rows, codes, strict=True):
        if row["mawb"] and mawb_digits(row["mawb"]) in inconsistent:
            found.add("R_MAWB_INCONSISTENT")
    return codes


# --- The file ------------------------------------------------------------------------------


def test_it_writes_the_requested_number_of_rows(tmp_path):
    path, out = generate(tmp_path, rows=250, seed=3)
    header, rows = read_csv(path)
    assert len(rows) == 250
    assert out.startswith(f"wrote {path}: 250 rows, ") and out.strip().endswith(", 0 rows with defects")


def test_the_header_is_the_canonical_columns_in_the_spec_order():
    header, _, _ = manifest_rows(rows=1, arrival=ARRIVAL)
    assert header == """
        mawb hawb origin_airport destination_airport flight_number arrival_date shipper_name shipper_address
        shipper_city shipper_country consignee_name consignee_address1 consignee_address2 consignee_city
        consignee_state consignee_zip consignee_country consignee_phone consignee_email description hts_code
        country_of_origin pieces weight weight_unit value currency
    """.split()


def test_mawbs_carry_a_valid_check_digit():
    header, data, _ = manifest_rows(rows=2000, arrival=ARRIVAL, seed=1)
    for row in records(header, data):
        mawb = mawb_digits(row["mawb"])
        assert re.fullmatch(r"[0-9]{11}", mawb)
        assert int(mawb[10]) == int(mawb[3:10]) % 7
        assert mawb[:3] in {"160", "297", "695", "180", "988", "784", "781", "999", "112", "618", "217", "738", "406", "023", "369"}


def test_every_mawb_group_is_consistent():
    for defects in (0.0, 0.3, 1.0):
        header, data, _ = manifest_rows(rows=3000, arrival=ARRIVAL, defects=defects, seed=7)
        assert inconsistent_groups(records(header, data)) == set()


def test_consolidations_hold_200_to_500_parcels_by_default():
    header, data, _ = manifest_rows(rows=5000, arrival=ARRIVAL, seed=2)
    sizes = Counter(mawb_digits(row["mawb"]) for row in records(header, data))
    *full, last = sizes.values()  # the last one takes what is left
    assert all(200 <= size <= 500 for size in full) and 1 <= last <= 500


def test_the_mawbs_option_gives_exactly_that_many_consolidations(tmp_path):
    path, out = generate(tmp_path, rows=1000, mawbs=3, seed=5)
    header, rows = read_csv(path)
    assert len({mawb_digits(row["mawb"]) for row in records(header, rows)}) == 3
    assert "1000 rows, 3 MAWBs, 0 rows with defects" in out


def test_defects_that_move_a_row_to_a_mawb_of_its_own_leave_the_consolidations_alone(tmp_path):
    _, out = generate(tmp_path, rows=1000, mawbs=3, defects=0.2, seed=5)
    header, data, codes = manifest_rows(rows=1000, arrival=ARRIVAL, mawbs=3, defects=0.2, seed=5)
    clean = [row for row, found in zip(records(header, data), codes, strict=True) if not found]
    assert len({mawb_digits(row["mawb"]) for row in clean}) == 3
    assert "1000 rows, 3 MAWBs, " in out


def test_destinations_come_from_the_airports_given(tmp_path):
    path, _ = generate(tmp_path, rows=3000, airports="lax,JFK", seed=4)
    header, rows = read_csv(path)
    assert {row["destination_airport"].upper() for row in records(header, rows)} <= {"LAX", "JFK"}


def test_hawbs_are_unique_and_differ_between_seeds():
    header, first, _ = manifest_rows(rows=3000, arrival=ARRIVAL, seed=1)
    _, second, _ = manifest_rows(rows=3000, arrival=ARRIVAL, seed=2, hawb_prefix="HK")
    first_hawbs = [row["hawb"] for row in records(header, first)]
    second_hawbs = [row["hawb"] for row in records(header, second)]
    assert len(set(first_hawbs)) == len(first_hawbs)
    assert all(re.fullmatch(r"GN[0-9]{10}", hawb) for hawb in first_hawbs)
    assert all(hawb.startswith("HK") and len(hawb) == 12 for hawb in second_hawbs)
    _, third, _ = manifest_rows(rows=3000, arrival=ARRIVAL, seed=2)
    assert not set(first_hawbs) & {row[1] for row in third}


def test_the_same_seed_gives_the_same_file(tmp_path):
    first, _ = generate(tmp_path, rows=500, defects=0.2, seed=11, name="a.csv")
    second, _ = generate(tmp_path, rows=500, defects=0.2, seed=11, name="b.csv")
    other, _ = generate(tmp_path, rows=500, defects=0.2, seed=12, name="c.csv")
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_some_consignees_buy_several_parcels_on_the_same_day():
    header, data, _ = manifest_rows(rows=3000, arrival=ARRIVAL, seed=6)

    def identity(row):  # policy.md: name, street and ZIP, upper-cased, letters and digits only
        return tuple(re.sub(r"[^A-Z0-9]", "", row[column].upper()) for column in ("consignee_name", "consignee_address1", "consignee_zip"))

    parcels = Counter(identity({**row, "consignee_zip": row["consignee_zip"][:5]}) for row in records(header, data))
    assert sum(1 for count in parcels.values() if count > 1) > 100


def test_chinese_headers_in_gb18030_round_trip(tmp_path):
    path, _ = generate(tmp_path, rows=300, defects=0.5, seed=8, encoding="gb18030", chinese_headers=True)
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # the defects put Chinese text in some rows
    header, rows = read_csv(path, encoding="gb18030")
    assert header[:6] == ["主单号", "分单号", "始发港", "目的港", "航班号", "到达日期"]
    assert "shipper_city" in header and "consignee_email" in header
    english = [next((k for k, v in CHINESE_HEADERS.items() if v == name), name) for name in header]
    _, expected, _ = manifest_rows(rows=300, arrival=ARRIVAL, defects=0.5, seed=8)
    assert english == list(COLUMNS) and rows == expected


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_it_writes_the_encoding_asked_for(tmp_path, encoding):
    path, _ = generate(tmp_path, rows=20, encoding=encoding)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf" if encoding == "utf-8-sig" else (b"\xff\xfe", b"\xfe\xff"))
    header, rows = read_csv(path, encoding=encoding)
    assert header == list(COLUMNS) and len(rows) == 20


def test_xlsx_output_opens_with_openpyxl(tmp_path):
    path, out = generate(tmp_path, "--xlsx", rows=120, seed=9, name="manifest")
    assert path.with_suffix(".xlsx").exists() and ".xlsx: 120 rows" in out
    sheet = openpyxl.load_workbook(path.with_suffix(".xlsx"), read_only=True).worksheets[0]
    header, *rows = [["" if cell is None else cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    _, expected, _ = manifest_rows(rows=120, arrival=ARRIVAL, seed=9)
    assert list(header) == list(COLUMNS) and [list(row) for row in rows] == expected


# --- Defects -------------------------------------------------------------------------------


def test_defects_are_injected_at_the_requested_rate(tmp_path):
    path, out = generate(tmp_path, rows=4000, defects=0.1, seed=10)
    _, _, codes = manifest_rows(rows=4000, arrival=ARRIVAL, defects=0.1, seed=10)
    defective = sum(1 for found in codes if found)
    assert 320 <= defective <= 480  # 400 expected; four standard deviations either way
    assert all(len(found) <= 1 for found in codes)  # one defect, one code
    assert out.strip().endswith(f", {defective} rows with defects")


def test_a_clean_file_has_no_vague_description_and_valid_codes():
    header, data, codes = manifest_rows(rows=5000, arrival=ARRIVAL, seed=12)
    assert not any(codes)
    for row in records(header, data):
        assert " ".join(row["description"].lower().split()) not in VAGUE
        assert row["consignee_state"].upper() in STATES
        assert row["shipper_country"] in ISO_COUNTRIES and row["country_of_origin"] in ISO_COUNTRIES
        assert row["country_of_origin"] in {"CN", "HK", "VN", "TH", "KR", "TW", "JP", "IN"}
        assert row["consignee_country"].upper() in {"", "US"}
        assert re.fullmatch(ZIP, row["consignee_zip"])
        assert re.fullmatch(r"[0-9]{10}", row["hts_code"].replace(".", ""))
        assert re.fullmatch(FLIGHT, row["flight_number"].upper().replace(" ", ""))
        assert row["origin_airport"].upper() in {"HKG", "PVG", "SZX", "CAN", "TPE", "ICN", "SGN", "BKK"}
        assert calendar_day(row["arrival_date"]) == ARRIVAL
        assert 1 <= int(row["pieces"]) <= 5 and float(row["weight"]) > 0
        assert all(ord(ch) <= 0xFF for column in LATIN_TEXT for ch in row[column])
        assert not row["consignee_phone"] or re.sub(r"[^0-9]", "", row["consignee_phone"])[-7:-2] == "55501"  # fictional


@pytest.mark.parametrize(("seed", "defects", "mawbs"), [(1, 0.0, None), (2, 0.1, None), (3, 0.5, 4), (4, 1.0, None), (5, 1.0, 1)])
def test_each_row_gets_exactly_the_codes_the_spec_gives_it(seed, defects, mawbs):
    header, data, codes = manifest_rows(rows=3000, arrival=ARRIVAL, defects=defects, seed=seed, mawbs=mawbs)
    assert codes == spec_codes(header, data, today=ARRIVAL)


def test_every_kind_of_defect_turns_up():
    _, _, codes = manifest_rows(rows=3000, arrival=ARRIVAL, defects=1.0, seed=13)
    assert {code for found in codes for code in found} == {defect.code for defect in DEFECTS}
    assert "R_MAWB_INCONSISTENT" not in {defect.code for defect in DEFECTS}


# --- Arguments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"rows": 0},
        {"rows": 10, "defects": 1.5},
        {"rows": 10, "defects": -0.1},
        {"rows": 10, "encoding": "no-such-codec"},
        {"rows": 10, "encoding": "rot13"},
        {"rows": 10, "date": "2026-02-30"},
        {"rows": 10, "date": "next week"},
        {"rows": 10, "date": "2019-01-01"},
        {"rows": 10, "airports": "LAX,CHICAGO"},
        {"rows": 10, "mawbs": 11},
        {"rows": 10, "mawbs": 0},
    ],
)
def test_it_refuses_bad_arguments(tmp_path, options):
    date = options.pop("date", ARRIVAL.isoformat())
    with pytest.raises(CommandError):
        call_command("generate_manifest", str(tmp_path / "out.csv"), date=date, stdout=io.StringIO(), **options)
    assert not (tmp_path / "out.csv").exists()


def test_it_refuses_an_encoding_that_cannot_write_the_rows_and_leaves_no_file(tmp_path):
    with pytest.raises(CommandError, match="ascii"):
        generate(tmp_path, rows=500, defects=1.0, encoding="ascii")
    assert not (tmp_path / "manifest.csv").exists()


def test_the_default_arrival_is_three_days_from_today(tmp_path):
    out = io.StringIO()
    path = tmp_path / "manifest.csv"
    call_command("generate_manifest", str(path), rows=5, stdout=out)
    header, rows = read_csv(path)
    expected = timezone.localdate() + datetime.timedelta(days=3)
    assert {calendar_day(row["arrival_date"]) for row in records(header, rows)} == {expected}
