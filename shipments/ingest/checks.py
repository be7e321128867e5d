"""Row checks and normalisation (manifest-csv.md §4 to §6), vectorised over the whole file.

`check_table` turns a Table into a `CheckedFile`: every value trimmed, every failing
check recorded as (code, column) on its row, the warnings, and the normalised values
that are stored for valid rows. Columns are Arrow-backed pandas strings, so each check
is one pass in C over the column (regular expressions run on RE2: the patterns below
spell out ASCII digits and Python's whitespace so that they mean what the spec means).
Checks that need the portal's data come after, through `mark_existing` and
`mark_manifest_conflicts`, so this module never queries the database itself.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import chain

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from shipments.ingest.columns import BY_NAME, COLUMNS, REQUIRED
from shipments.ingest.countries import ISO_COUNTRIES, US_STATES
from shipments.ingest.reader import Table

TYPE_86_START = date(2019, 9, 28)
STORABLE = 1e27  # amounts and weights are stored with 27 integer digits; beyond that is no real parcel
LB_TO_KG = 0.45359237
MONTHS = {m: i for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
WEIGHT_UNITS = {"K": 1.0, "KG": 1.0, "KGS": 1.0, "L": LB_TO_KG, "LB": LB_TO_KG, "LBS": LB_TO_KG}
TEXT_COLUMNS = ("shipper_name", "shipper_address", "shipper_city", "consignee_name", "consignee_address1",
                "consignee_address2", "consignee_city", "description")
CONSISTENT = ("origin_airport", "destination_airport", "flight_number", "arrival_date")
# Every character Python's str.strip() removes (str.isspace()), so trimming means exactly that.
WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
STRING = pd.StringDtype("pyarrow")
ExistingLookup = Callable[[Iterable[tuple[str, str]]], set[tuple[str, str]]]


@dataclass
class CheckedFile:
    table: Table
    values: pd.DataFrame  # trimmed text of every canonical column, one row per data record
    norm: pd.DataFrame  # normalised values (meaningful on valid rows)
    errors: list[list[tuple[str, str]]]
    warnings: list[list[tuple[str, str]]]
    valid: np.ndarray
    rows: list[int] = field(default_factory=list)

    def __len__(self):
        return len(self.rows)


class _Collector:
    """Failing checks as (code, column, mask); turned into per-row lists once at the end."""

    def __init__(self, n: int):
        self.n = n
        self.found: list[tuple[str, str, np.ndarray]] = []

    def add(self, code: str, column: str, mask) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            self.found.append((code, column, mask))

    def per_row(self) -> list:
        """A list per row with failures; rows without share one empty tuple (50,000 lists cost real time)."""
        rows: list = [()] * self.n
        for code, column, mask in self.found:
            for index in np.flatnonzero(mask):
                if not rows[index]:
                    rows[index] = []
                rows[index].append((code, column))
        return rows

    def any_mask(self) -> np.ndarray:
        result = np.zeros(self.n, dtype=bool)
        for _, _, mask in self.found:
            result |= mask
        return result


def frame_of(table: Table) -> pd.DataFrame:
    """Every canonical column as trimmed text ('' where absent); columns the file lacks are all ''."""
    width = len(table.header)
    records = table.records
    if any(len(r) != width for r in records):
        records = [r if len(r) == width else (r + [""] * width)[:width] for r in records]
    n = len(records)
    # One Arrow array of every cell, row after row; a column is every width-th cell.
    cells = pa.array(list(chain.from_iterable(records)), type=pa.string())
    values = {}
    for column in COLUMNS:
        index = table.columns.get(column.name)
        if index is None:
            values[column.name] = pd.Series(pa.array([""] * n, type=pa.string()), dtype=STRING)
        else:
            picked = cells.take(pa.array(np.arange(index, n * width, width, dtype=np.int64)))
            values[column.name] = pd.Series(pc.utf8_trim(picked, WHITESPACE), dtype=STRING)
    return pd.DataFrame(values)


def _mask(result) -> np.ndarray:
    return np.asarray(result.fillna(False), dtype=bool)


def _fullmatch(series: pd.Series, pattern: str) -> np.ndarray:
    return _mask(series.str.fullmatch(pattern))


def _isin(series: pd.Series, allowed) -> np.ndarray:
    return np.asarray(series.isin(list(allowed)), dtype=bool)


def _number(text: pd.Series) -> pd.Series:
    """Text as float64 with NaN where it is not a number (or was masked out)."""
    return pd.Series(pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan), index=text.index)


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)]
    return days + ((month == 2) & leap)


def parse_dates(text: pd.Series) -> pd.Series:
    """Dates in the five accepted formats as datetime64 (NaT where not a real day in one of them)."""
    upper = pc.utf8_upper(pa.array(text, type=pa.string()))
    year = np.zeros(len(text), dtype=np.int64)
    month = np.zeros(len(text), dtype=np.int64)
    day = np.zeros(len(text), dtype=np.int64)
    patterns = (  # two-digit day and month; the same separator twice (RE2 has no back-references)
        r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})$",
        r"^(?P<y>[0-9]{4})/(?P<m>[0-9]{2})/(?P<d>[0-9]{2})$",
        r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$",
        r"^(?P<d>[0-9]{2})-(?P<mon>[A-Z]{3})-(?P<y>[0-9]{4})$",
        r"^(?P<d>[0-9]{2})(?P<mon>[A-Z]{3})(?P<y>[0-9]{4})$",
    )
    for pattern in patterns:
        parts = pc.extract_regex(upper, pattern)
        hit = np.asarray(parts.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        if not hit.any():
            continue
        found = {name: parts.field(name).filter(parts.is_valid()) for name in parts.type.names}
        if "mon" in found:
            months = np.array([MONTHS.get(m, 0) for m in found["mon"].to_pylist()], dtype=np.int64)
            found_month = months
        else:
            found_month = pc.cast(found["m"], pa.int64()).to_numpy()
        year[hit] = pc.cast(found["y"], pa.int64()).to_numpy()
        month[hit] = found_month
        day[hit] = pc.cast(found["d"], pa.int64()).to_numpy()
    real = (month >= 1) & (month <= 12) & (day >= 1) & (day <= _days_in_month(year, month)) & (year >= 1)
    stamps = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[D]")
    if real.any():
        stamps[real] = (year[real] - 1970).astype("datetime64[Y]") + (month[real] - 1).astype("timedelta64[M]")
        stamps[real] = stamps[real].astype("datetime64[M]").astype("datetime64[D]") + (day[real] - 1).astype("timedelta64[D]")
    return pd.Series(stamps.astype("datetime64[s]"), index=text.index)


def zip_normalised(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """ZIPs of 3 or 4 digits padded to 5; ZIP+4 written with its dash. Returns the ZIPs and the padded mask."""
    padded = _fullmatch(text, r"[0-9]{3,4}")
    result = text.where(~padded, text.str.zfill(5))
    nine = _fullmatch(result, r"[0-9]{9}")
    result = result.where(~nine, result.str[:5] + "-" + result.str[5:])
    return result, padded


def check_table(table: Table, *, today: date, served_airports: Iterable[str], vague_terms: Iterable[str],
                progress: Callable[[int], None] | None = None) -> CheckedFile:
    """Check every data record of the table on its own; the checks against the portal's data come after."""
    v = frame_of(table)
    n = len(v)
    out = _Collector(n)
    blank = {name: np.asarray(v[name] == "", dtype=bool) for name in v.columns}
    for name in REQUIRED:
        out.add("R_REQUIRED", name, blank[name])
    norm = pd.DataFrame(index=v.index)

    # MAWB: 11 digits once spaces and dashes are gone, the last a check digit of digits 4-10.
    mawb_key = v["mawb"].str.replace(" ", "", regex=False).str.replace("-", "", regex=False)
    mawb_digits = _fullmatch(mawb_key, r"[0-9]{11}")
    out.add("R_MAWB_FORMAT", "mawb", ~blank["mawb"] & ~mawb_digits)
    serial = _number(mawb_key.str.slice(3, 10).where(mawb_digits))
    check = _number(mawb_key.str.slice(10, 11).where(mawb_digits))
    out.add("R_MAWB_CHECK_DIGIT", "mawb", mawb_digits & np.asarray((serial % 7) != check, dtype=bool))
    norm["mawb"] = mawb_key
    norm["mawb_report"] = v["mawb"].where(~mawb_digits, mawb_key)

    hawb_up = v["hawb"].str.upper()
    hawb_ok = _fullmatch(hawb_up, r"[A-Z0-9]{1,12}")
    out.add("R_HAWB_FORMAT", "hawb", ~blank["hawb"] & ~hawb_ok)
    norm["hawb"] = hawb_up
    norm["hawb_report"] = v["hawb"].where(~hawb_ok, hawb_up)
    norm["pair_ok"] = mawb_digits & hawb_ok
    comparable = ~blank["mawb"] & ~blank["hawb"]
    pair = (mawb_key + "\x1f" + hawb_up).where(comparable)
    out.add("R_HAWB_DUPLICATE", "hawb", np.asarray(pair.duplicated(keep="first"), dtype=bool) & comparable)

    # Airports and flight.
    origin = v["origin_airport"].str.upper()
    destination = v["destination_airport"].str.upper()
    out.add("R_AIRPORT", "origin_airport", ~blank["origin_airport"] & ~_fullmatch(v["origin_airport"], r"[A-Za-z]{3}"))
    out.add("R_AIRPORT", "destination_airport", ~blank["destination_airport"] & ~_isin(destination, served_airports))
    flight = v["flight_number"].str.upper().str.replace(" ", "", regex=False)
    out.add("R_FLIGHT", "flight_number", ~blank["flight_number"] & ~_fullmatch(flight, r"[A-Z0-9]{2}[0-9]{1,4}[A-Z]?"))
    norm["origin_airport"], norm["destination_airport"], norm["flight_number"] = origin, destination, flight
    if progress:
        progress(n // 4)

    # Arrival date: a real day in an accepted format, from the start of Type 86 to a year ahead.
    days = parse_dates(v["arrival_date"])
    in_range = np.asarray((days >= pd.Timestamp(TYPE_86_START)) & (days <= pd.Timestamp(today + timedelta(days=365))), dtype=bool)
    out.add("R_DATE", "arrival_date", ~blank["arrival_date"] & ~in_range)
    norm["arrival_date"] = days

    # Rows of one MAWB must agree on where and when they fly (blank values disagree with nothing).
    compared = {
        "origin_airport": origin,
        "destination_airport": destination,
        "flight_number": flight,
        "arrival_date": days.dt.strftime("%Y-%m-%d").astype(STRING).where(days.notna(), v["arrival_date"].str.upper()),
    }
    groups = mawb_key.where(~blank["mawb"])
    inconsistent = np.zeros(n, dtype=bool)
    for name, values in compared.items():
        spread = values.where(~blank[name]).groupby(groups).transform("nunique")
        inconsistent |= _mask(spread > 1)
    out.add("R_MAWB_INCONSISTENT", "mawb", inconsistent)

    # Countries, state, ZIP.
    for name in ("shipper_country", "country_of_origin", "consignee_country"):
        code = v[name].str.upper()
        bad = ~_isin(code, ISO_COUNTRIES)
        if name == "consignee_country":
            bad |= ~_isin(code, ("US", "PR"))
        out.add("R_COUNTRY", name, ~blank[name] & bad)
        norm[name] = code
    norm["consignee_country"] = norm["consignee_country"].where(~blank["consignee_country"], BY_NAME["consignee_country"].default)
    state = v["consignee_state"].str.upper()
    out.add("R_STATE", "consignee_state", ~blank["consignee_state"] & ~_isin(state, US_STATES))
    norm["consignee_state"] = state
    zips, padded = zip_normalised(v["consignee_zip"])
    out.add("R_ZIP", "consignee_zip", ~blank["consignee_zip"] & ~_fullmatch(zips, r"[0-9]{5}(-?[0-9]{4})?"))
    norm["consignee_zip"] = zips
    warned = _Collector(n)
    warned.add("W_ZIP_PADDED", "consignee_zip", padded)
    if progress:
        progress(n // 2)

    # Goods.
    hts = v["hts_code"].str.replace(r"[. \-]", "", regex=True)
    out.add("R_HTS_FORMAT", "hts_code", ~blank["hts_code"] & ~_fullmatch(hts, r"[0-9]{10}"))
    norm["hts_code"] = hts
    collapsed = v["description"].str.lower().str.replace(f"[{WHITESPACE}]+", " ", regex=True)
    out.add("R_DESCRIPTION_VAGUE", "description", ~blank["description"] & _isin(collapsed, vague_terms))
    for name in TEXT_COLUMNS:
        out.add("R_NON_LATIN", name, ~blank[name] & _mask(v[name].str.contains(r"[^\x{0}-\x{ff}]", regex=True)))

    pieces = _number(v["pieces"].where(_fullmatch(v["pieces"], r"[0-9]+")))
    out.add("R_PIECES", "pieces", ~blank["pieces"] & ~_mask((pieces >= 1) & (pieces <= 9999)))
    norm["pieces"] = pieces

    weight = _number(v["weight"].where(_fullmatch(v["weight"], r"[0-9]+(\.[0-9]{1,3})?")))
    out.add("R_WEIGHT", "weight", ~blank["weight"] & ~_mask((weight > 0) & (weight < STORABLE)))
    unit = v["weight_unit"].str.upper().where(~blank["weight_unit"], BY_NAME["weight_unit"].default)
    factor = _number(unit.map(WEIGHT_UNITS))
    out.add("R_WEIGHT", "weight_unit", np.asarray(factor.isna(), dtype=bool))
    norm["weight_kg"] = (weight * factor).round(3)
    norm["weight_original"] = v["weight"] + " " + unit

    amount_text = v["value"].where(_fullmatch(v["value"], r"\$?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]{1,2})?"))
    plain_amount = amount_text.str.replace(r"[$,]", "", regex=True)
    amount = _number(plain_amount)
    out.add("R_VALUE", "value", ~blank["value"] & ~_mask((amount > 0) & (amount < STORABLE)))
    norm["value_usd"] = amount  # for the policy's sums
    norm["value_exact"] = plain_amount  # what is stored, to the cent whatever the size
    out.add("R_CURRENCY", "currency", ~blank["currency"] & np.asarray(v["currency"].str.upper() != "USD", dtype=bool))
    not_space = f"[^@{WHITESPACE}]+"
    out.add("R_EMAIL", "consignee_email",
            ~blank["consignee_email"] & ~_fullmatch(v["consignee_email"], f"{not_space}@{not_space}\\.{not_space}"))
    if progress:
        progress(n)

    return CheckedFile(table=table, values=v, norm=norm, errors=out.per_row(), warnings=warned.per_row(),
                       valid=~out.any_mask(), rows=list(table.row_numbers))


def _flag(checked: CheckedFile, mask: np.ndarray, code: str, column: str) -> None:
    for index in np.flatnonzero(mask):
        if (code, column) not in checked.errors[index]:
            checked.errors[index] = [*checked.errors[index], (code, column)]
    checked.valid &= ~mask


def mark_existing(checked: CheckedFile, lookup: ExistingLookup) -> None:
    """R_HAWB_EXISTS: rows whose (mawb, hawb) the portal already holds as a live shipment."""
    norm = checked.norm
    candidates = np.asarray(norm["pair_ok"], dtype=bool)
    mawbs, hawbs = norm["mawb"].tolist(), norm["hawb"].tolist()
    pairs = {(mawbs[i], hawbs[i]) for i in np.flatnonzero(candidates)}
    held = lookup(pairs) if pairs else set()
    if held:
        hit = np.array([(m, h) in held for m, h in zip(mawbs, hawbs, strict=True)], dtype=bool)
        _flag(checked, candidates & hit, "R_HAWB_EXISTS", "hawb")


def mark_manifest_conflicts(checked: CheckedFile, known: dict[str, dict]) -> None:
    """R_MAWB_INCONSISTENT also when the rows of a MAWB disagree with that MAWB as the portal holds it.

    `known` maps an 11-digit MAWB to its origin_airport, destination_airport, flight_number and
    arrival_date (a date). Every row of a disagreeing MAWB gets the error, as within a file.
    """
    if not known:
        return
    norm, values = checked.norm, checked.values
    conflicting = set()
    for mawb, held in known.items():
        rows = np.asarray(norm["mawb"] == mawb, dtype=bool)
        if not rows.any():
            continue
        for name in CONSISTENT:
            given = np.asarray(values[name] != "", dtype=bool) & rows
            expected = pd.Timestamp(held[name]) if name == "arrival_date" else held[name]
            if (given & np.asarray(norm[name] != expected, dtype=bool)).any():
                conflicting.add(mawb)
    if conflicting:
        _flag(checked, np.asarray(norm["mawb"].isin(list(conflicting)), dtype=bool), "R_MAWB_INCONSISTENT", "mawb")
