"""Row checks and normalisation (manifest-csv.md §4 to §6), vectorised over the whole file with pandas.

`check_table` turns a Table into a `CheckedFile`: every value trimmed, every failing
check recorded as (code, column) on its row, the warnings, and the normalised values
that are stored for valid rows. Checks that need the portal's data (R_HAWB_EXISTS)
take a lookup function, so this module never queries the database itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from shipments.ingest.columns import BY_NAME, COLUMNS, REQUIRED
from shipments.ingest.countries import ISO_COUNTRIES, US_STATES
from shipments.ingest.reader import Table

TYPE_86_START = date(2019, 9, 28)
LB_TO_KG = 0.45359237
MONTHS = {m: f"{i:02d}" for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
WEIGHT_UNITS = {"K": 1.0, "KG": 1.0, "KGS": 1.0, "L": LB_TO_KG, "LB": LB_TO_KG, "LBS": LB_TO_KG}
TEXT_COLUMNS = ("shipper_name", "shipper_address", "shipper_city", "consignee_name", "consignee_address1",
                "consignee_address2", "consignee_city", "description")
CONSISTENT = ("origin_airport", "destination_airport", "flight_number", "arrival_date")
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

    def per_row(self) -> list[list[tuple[str, str]]]:
        rows: list[list[tuple[str, str]]] = [[] for _ in range(self.n)]
        for code, column, mask in self.found:
            for index in np.flatnonzero(mask):
                rows[index].append((code, column))
        return rows

    def any_mask(self) -> np.ndarray:
        result = np.zeros(self.n, dtype=bool)
        for _, _, mask in self.found:
            result |= mask
        return result


def frame_of(table: Table) -> pd.DataFrame:
    """Every canonical column as trimmed text ('' where absent); columns the file lacks take their default."""
    raw = pd.DataFrame(table.records, dtype=object)
    values = {}
    for column in COLUMNS:
        index = table.columns.get(column.name)
        if index is None or index >= raw.shape[1]:
            values[column.name] = pd.Series([""] * len(raw), dtype=object)
        else:
            values[column.name] = raw[index].fillna("").astype(str).str.strip()
    return pd.DataFrame(values)


def _blank(series: pd.Series) -> np.ndarray:
    return (series == "").to_numpy()


def _fullmatch(series: pd.Series, pattern: str) -> np.ndarray:
    return series.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)


def parse_dates(text: pd.Series) -> pd.Series:
    """Dates in the five accepted formats as datetime64 (NaT where not a real day in one of them)."""
    upper = text.str.upper()
    iso = upper.str.extract(r"^([0-9]{4})([-/])([0-9]{2})\2([0-9]{2})$")
    compact = upper.str.extract(r"^([0-9]{4})([0-9]{2})([0-9]{2})$")
    dmy = upper.str.extract(r"^([0-9]{2})(-?)([A-Z]{3})\2([0-9]{4})$")
    months = dmy[2].map(MONTHS)
    composed = pd.Series(np.nan, index=text.index, dtype=object)
    composed = composed.where(iso[0].isna(), iso[0] + "-" + iso[2] + "-" + iso[3])
    composed = composed.where(compact[0].isna(), compact[0] + "-" + compact[1] + "-" + compact[2])
    has_dmy = dmy[0].notna() & months.notna()
    composed = composed.where(~has_dmy, dmy[3] + "-" + months + "-" + dmy[0])
    return pd.to_datetime(composed, format="%Y-%m-%d", errors="coerce")


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
    blank = {name: _blank(v[name]) for name in v.columns}
    for name in REQUIRED:
        out.add("R_REQUIRED", name, blank[name])
    norm = pd.DataFrame(index=v.index)

    # MAWB: 11 digits once spaces and dashes are gone, the last a check digit of digits 4-10.
    mawb_key = v["mawb"].str.replace(" ", "", regex=False).str.replace("-", "", regex=False)
    mawb_digits = _fullmatch(mawb_key, r"[0-9]{11}")
    out.add("R_MAWB_FORMAT", "mawb", ~blank["mawb"] & ~mawb_digits)
    serial = pd.to_numeric(mawb_key.str[3:10].where(mawb_digits), errors="coerce")
    check = pd.to_numeric(mawb_key.str[10:11].where(mawb_digits), errors="coerce")
    out.add("R_MAWB_CHECK_DIGIT", "mawb", mawb_digits & ((serial % 7) != check).to_numpy())
    norm["mawb"] = mawb_key
    norm["mawb_report"] = v["mawb"].where(~mawb_digits, mawb_key)

    hawb_up = v["hawb"].str.upper()
    hawb_ok = _fullmatch(hawb_up, r"[A-Z0-9]{1,12}")
    out.add("R_HAWB_FORMAT", "hawb", ~blank["hawb"] & ~hawb_ok)
    norm["hawb"] = hawb_up
    norm["hawb_report"] = v["hawb"].where(~hawb_ok, hawb_up)
    comparable = ~blank["mawb"] & ~blank["hawb"]
    pair = mawb_key + "\x1f" + hawb_up
    duplicate = pair.where(comparable).duplicated(keep="first").to_numpy() & comparable
    out.add("R_HAWB_DUPLICATE", "hawb", duplicate)
    norm["pair_ok"] = mawb_digits & hawb_ok

    # Airports and flight.
    origin = v["origin_airport"].str.upper()
    destination = v["destination_airport"].str.upper()
    out.add("R_AIRPORT", "origin_airport", ~blank["origin_airport"] & ~_fullmatch(v["origin_airport"], r"[A-Za-z]{3}"))
    out.add("R_AIRPORT", "destination_airport", ~blank["destination_airport"] & ~destination.isin(list(served_airports)).to_numpy())
    flight = v["flight_number"].str.upper().str.replace(" ", "", regex=False)
    out.add("R_FLIGHT", "flight_number", ~blank["flight_number"] & ~_fullmatch(flight, r"[A-Z0-9]{2}[0-9]{1,4}[A-Z]?"))
    norm["origin_airport"], norm["destination_airport"], norm["flight_number"] = origin, destination, flight
    if progress:
        progress(n // 4)

    # Arrival date: a real day in an accepted format, from the start of Type 86 to a year ahead.
    days = parse_dates(v["arrival_date"])
    in_range = (days >= pd.Timestamp(TYPE_86_START)) & (days <= pd.Timestamp(today + timedelta(days=365)))
    out.add("R_DATE", "arrival_date", ~blank["arrival_date"] & ~in_range.fillna(False).to_numpy(dtype=bool))
    norm["arrival_date"] = days

    # Rows of one MAWB must agree on where and when they fly (blank values disagree with nothing).
    compared = {
        "origin_airport": origin,
        "destination_airport": destination,
        "flight_number": flight,
        "arrival_date": days.dt.strftime("%Y-%m-%d").where(days.notna(), v["arrival_date"].str.upper()),
    }
    groups = mawb_key.where(~blank["mawb"])
    inconsistent = np.zeros(n, dtype=bool)
    for name, values in compared.items():
        spread = values.where(~blank[name]).groupby(groups).transform("nunique")
        inconsistent |= (spread > 1).fillna(False).to_numpy(dtype=bool)
    out.add("R_MAWB_INCONSISTENT", "mawb", inconsistent)

    # Countries, state, ZIP.
    for name in ("shipper_country", "country_of_origin", "consignee_country"):
        code = v[name].str.upper()
        bad = ~code.isin(ISO_COUNTRIES).to_numpy()
        if name == "consignee_country":
            bad |= ~code.isin(["US", "PR"]).to_numpy()
        out.add("R_COUNTRY", name, ~blank[name] & bad)
        norm[name] = code
    norm["consignee_country"] = norm["consignee_country"].where(~blank["consignee_country"], BY_NAME["consignee_country"].default)
    state = v["consignee_state"].str.upper()
    out.add("R_STATE", "consignee_state", ~blank["consignee_state"] & ~state.isin(US_STATES).to_numpy())
    norm["consignee_state"] = state
    zips, padded = zip_normalised(v["consignee_zip"])
    out.add("R_ZIP", "consignee_zip", ~blank["consignee_zip"] & ~_fullmatch(zips, r"[0-9]{5}(-?[0-9]{4})?"))
    norm["consignee_zip"] = zips
    warned = _Collector(n)
    warned.add("W_ZIP_PADDED", "consignee_zip", padded)
    if progress:
        progress(n // 2)

    # Goods.
    hts = v["hts_code"].str.replace(r"[.\- ]", "", regex=True)
    out.add("R_HTS_FORMAT", "hts_code", ~blank["hts_code"] & ~_fullmatch(hts, r"[0-9]{10}"))
    norm["hts_code"] = hts
    vague = v["description"].str.lower().str.split().str.join(" ")
    out.add("R_DESCRIPTION_VAGUE", "description", ~blank["description"] & vague.isin(list(vague_terms)).to_numpy())
    for name in TEXT_COLUMNS:
        out.add("R_NON_LATIN", name, ~blank[name] & v[name].str.contains(r"[^\x00-\xff]", regex=True).fillna(False).to_numpy(dtype=bool))

    pieces_digits = _fullmatch(v["pieces"], r"[0-9]+")
    pieces = pd.to_numeric(v["pieces"].where(pieces_digits), errors="coerce")
    out.add("R_PIECES", "pieces", ~blank["pieces"] & ~((pieces >= 1) & (pieces <= 9999)).to_numpy())
    norm["pieces"] = pieces

    weight_text_ok = _fullmatch(v["weight"], r"[0-9]+(\.[0-9]{1,3})?")
    weight = pd.to_numeric(v["weight"].where(weight_text_ok), errors="coerce")
    out.add("R_WEIGHT", "weight", ~blank["weight"] & ~(weight > 0).to_numpy())
    unit = v["weight_unit"].str.upper().where(~blank["weight_unit"], BY_NAME["weight_unit"].default)
    factor = unit.map(WEIGHT_UNITS)
    out.add("R_WEIGHT", "weight_unit", factor.isna().to_numpy())
    norm["weight_kg"] = (weight * factor).round(3)
    norm["weight_original"] = v["weight"] + " " + unit

    value_ok = _fullmatch(v["value"], r"\$?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]{1,2})?")
    amount = pd.to_numeric(v["value"].where(value_ok).str.replace(r"[$,]", "", regex=True), errors="coerce")
    out.add("R_VALUE", "value", ~blank["value"] & ~(amount > 0).to_numpy())
    norm["value_usd"] = amount
    out.add("R_CURRENCY", "currency", ~blank["currency"] & (v["currency"].str.upper() != "USD").to_numpy())
    out.add("R_EMAIL", "consignee_email",
            ~blank["consignee_email"] & ~_fullmatch(v["consignee_email"], r"[^@\s]+@[^@\s]+\.[^@\s]+"))
    if progress:
        progress(n)

    return CheckedFile(table=table, values=v, norm=norm, errors=out.per_row(), warnings=warned.per_row(),
                       valid=~out.any_mask(), rows=list(table.row_numbers))


def _flag(checked: CheckedFile, mask: np.ndarray, code: str, column: str) -> None:
    for index in np.flatnonzero(mask):
        if (code, column) not in checked.errors[index]:
            checked.errors[index].append((code, column))
    checked.valid &= ~mask


def mark_existing(checked: CheckedFile, lookup: ExistingLookup) -> None:
    """R_HAWB_EXISTS: rows whose (mawb, hawb) the portal already holds as a live shipment."""
    norm = checked.norm
    candidates = norm["pair_ok"].to_numpy(dtype=bool)
    pairs = set(zip(norm["mawb"][candidates], norm["hawb"][candidates], strict=True))
    held = lookup(pairs) if pairs else set()
    if held:
        pair = pd.Series(list(zip(norm["mawb"], norm["hawb"], strict=True)), index=norm.index)
        _flag(checked, candidates & pair.isin(held).to_numpy(), "R_HAWB_EXISTS", "hawb")


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
        rows = norm["mawb"] == mawb
        if not rows.any():
            continue
        for name in CONSISTENT:
            column = norm.loc[rows, name]
            given = (values.loc[rows, name] != "").to_numpy()
            expected = pd.Timestamp(held[name]) if name == "arrival_date" else held[name]
            if (given & (column != expected).to_numpy()).any():
                conflicting.add(mawb)
    if conflicting:
        _flag(checked, norm["mawb"].isin(conflicting).to_numpy(), "R_MAWB_INCONSISTENT", "mawb")
