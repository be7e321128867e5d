"""The customs decision: entry type 86, 11 or 01 with its reasons, PGA flags, duty and fee estimates (policy.md).

The only code that decides entry types. The law is data (customs/models.py); this module
reads a snapshot of it and applies it to whole frames of shipments at once. A decision
uses the law in force on the arrival date, unless the operator pinned a regime.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from customs.models import DutyRate, FeeRate, PgaPrefix, PolicyLimit, PolicyRule, RegimePin, VagueTerm

REASONS = {
    "DM_ELIGIBLE": _("Eligible for de minimis: enters duty-free as Type 86 (Section 321)."),
    "DM_SUSPENDED": _("De minimis is suspended for arrivals from 29 August 2025: a formal or informal entry with duties is required."),
    "DM_EXCLUDED_GOODS": _("Alcohol and tobacco (HTS chapters 22 and 24) never qualify for de minimis."),
    "DM_ORIGIN_EXCLUDED": _("Goods made in China or Hong Kong lost de minimis for arrivals from 2 May 2025."),
    "DM_VALUE_OVER": _("The parcel is worth more than the $800 de minimis limit."),
    "DM_AGGREGATE_OVER": _("The consignee's parcels arriving that day are worth more than $800 together."),
    "INFORMAL_LIMIT_OVER": _("The consignee's goods on this flight are worth more than $2,500: a formal entry (Type 01) is required."),
    "BROKER_CHOICE": _("The broker chose this entry type, stricter than the law alone requires for this parcel."),
}
BROKER_CHOICE = "BROKER_CHOICE"  # not a rule of policy.md: the reason of an entry type the broker chose (customs/review.py)
ENTRY_86, ENTRY_11, ENTRY_01 = "86", "11", "01"


@dataclass(frozen=True)
class Snapshot:
    """The policy tables as they are now, read once for a batch of decisions."""

    rules: tuple
    limits: tuple
    pga: tuple
    fees: tuple
    duties: tuple
    pinned: date | None


def snapshot() -> Snapshot:
    pin = RegimePin.objects.filter(active=True).order_by("-set_at").first()
    return Snapshot(
        rules=tuple(PolicyRule.objects.all()),
        limits=tuple(PolicyLimit.objects.all()),
        pga=tuple(PgaPrefix.objects.order_by("position", "hts_prefix")),
        fees=tuple(FeeRate.objects.all()),
        duties=tuple(DutyRate.objects.all()),
        pinned=pin.as_of if pin else None,
    )


def vague_terms(on: date) -> set[str]:
    """The vague descriptions CBP refuses, as listed on that day."""
    active = VagueTerm.objects.filter(effective_from__lte=on).filter(Q(effective_to__isnull=True) | Q(effective_to__gt=on))
    return {term.lower() for term in active.values_list("term", flat=True)}


def _active(row, days: pd.Series) -> np.ndarray:
    """Where a dated row of the policy tables applies, for each day."""
    mask = days >= pd.Timestamp(row.effective_from)
    if row.effective_to:
        mask &= days < pd.Timestamp(row.effective_to)
    return mask.fillna(False).to_numpy(dtype=bool)


def _limit(snap: Snapshot, name: str, days: pd.Series) -> np.ndarray:
    amount = np.full(len(days), np.inf)
    for row in sorted((r for r in snap.limits if r.name == name), key=lambda r: r.effective_from):
        amount = np.where(_active(row, days), float(row.amount), amount)
    return amount


def _starts_with_any(codes: pd.Series, prefixes: list[str]) -> np.ndarray:
    prefixes = [p for p in prefixes if p]
    if not prefixes:
        return np.zeros(len(codes), dtype=bool)
    return codes.str.startswith(tuple(prefixes)).fillna(False).to_numpy(dtype=bool)


def consignee_keys(name: pd.Series, address1: pd.Series, zip_code: pd.Series) -> pd.Series:
    """The consignee identity: upper-cased name, street and 5-digit ZIP, keeping only A-Z and 0-9.

    Stored as a SHA-1 of that triple, so that a very long name still fits an index.
    """
    def clean(series):
        return series.str.upper().str.replace(r"[^A-Z0-9]", "", regex=True)

    identity = clean(name) + "|" + clean(address1) + "|" + clean(zip_code.str[:5])
    hashed = [hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest() for text in identity.tolist()]
    return pd.Series(hashed, index=identity.index, dtype=object)


def decide(frame: pd.DataFrame, *, snap: Snapshot, day_totals: np.ndarray, conveyance_totals: np.ndarray) -> pd.DataFrame:
    """Decide every row of `frame` (arrival_date, country_of_origin, hts_code, value_usd).

    The totals are the consignee-day and consignee-conveyance sums for each row, counted across
    the portal. Returns entry_type, reasons, pga, duty_estimate and mpf_estimate per row.
    """
    n = len(frame)
    if snap.pinned:
        days = pd.Series(pd.Timestamp(snap.pinned), index=frame.index)
    else:
        days = pd.to_datetime(frame["arrival_date"])
    hts = frame["hts_code"].astype(str)
    origin = frame["country_of_origin"].astype(str)
    value = frame["value_usd"].astype(float).to_numpy()

    suspended = np.zeros(n, dtype=bool)
    goods = np.zeros(n, dtype=bool)
    origin_out = np.zeros(n, dtype=bool)
    for rule in snap.rules:
        active = _active(rule, days)
        if rule.kind == PolicyRule.Kind.SUSPENDED:
            suspended |= active
        elif rule.kind == PolicyRule.Kind.GOODS_EXCLUDED:
            goods |= active & _starts_with_any(hts, [p.strip() for p in rule.hts_prefixes.split(",")])
        elif rule.kind == PolicyRule.Kind.ORIGIN_EXCLUDED:
            countries = [c.strip().upper() for c in rule.countries.split(",") if c.strip()]
            origin_out |= active & origin.isin(countries).to_numpy()
    de_minimis = _limit(snap, PolicyLimit.Name.DE_MINIMIS, days)
    informal = _limit(snap, PolicyLimit.Name.INFORMAL, days)

    reason = np.select(
        [suspended, goods, origin_out, value > de_minimis, day_totals > de_minimis],
        ["DM_SUSPENDED", "DM_EXCLUDED_GOODS", "DM_ORIGIN_EXCLUDED", "DM_VALUE_OVER", "DM_AGGREGATE_OVER"],
        default="DM_ELIGIBLE",
    )
    eligible = reason == "DM_ELIGIBLE"
    formal = ~eligible & (conveyance_totals > informal)
    entry_type = np.where(eligible, ENTRY_86, np.where(formal, ENTRY_01, ENTRY_11))
    shared: dict[tuple, list] = {}  # one list per distinct verdict, shared by its rows (read-only)
    reasons = [shared.get((r, f)) or shared.setdefault((r, f), [r, "INFORMAL_LIMIT_OVER"] if f else [r])
               for r, f in zip(reason.tolist(), formal.tolist(), strict=True)]

    result = pd.DataFrame(index=frame.index)
    result["entry_type"] = entry_type
    result["reasons"] = reasons
    result["pga"] = pga_flags(hts, days, snap)
    duty, mpf = estimates(frame, days, entry_type, conveyance_totals, snap)
    result["duty_estimate"] = duty
    result["mpf_estimate"] = mpf
    return result


def pga_flags(hts: pd.Series, days: pd.Series, snap: Snapshot) -> list[list[str]]:
    """The agencies whose HTS prefixes match, in the order of the PGA table."""
    agencies: dict[str, np.ndarray] = {}
    for row in snap.pga:
        hit = _active(row, days) & _starts_with_any(hts, [row.hts_prefix])
        agencies[row.agency] = agencies.get(row.agency, np.zeros(len(hts), dtype=bool)) | hit
    if not agencies:
        return [[] for _ in range(len(hts))]
    names = list(agencies)
    combined = np.zeros(len(hts), dtype=np.int64)  # a bit per agency, in table order
    for bit, name in enumerate(names):
        combined |= agencies[name].astype(np.int64) << bit
    shared = {code: [name for bit, name in enumerate(names) if code >> bit & 1] for code in np.unique(combined).tolist()}
    return [shared[code] for code in combined.tolist()]


def _rate(hts: pd.Series, days: pd.Series, rows: list) -> np.ndarray:
    """The rate of the longest matching prefix among `rows`, per shipment (0 where none matches)."""
    rate = np.zeros(len(hts))
    length = np.full(len(hts), -1)
    for row in rows:
        hit = _active(row, days) & _starts_with_any(hts, [row.hts_prefix]) if row.hts_prefix else _active(row, days)
        better = hit & (len(row.hts_prefix) > length)
        rate = np.where(better, float(row.rate_percent), rate)
        length = np.where(better, len(row.hts_prefix), length)
    return rate


def estimates(frame, days, entry_type, conveyance_totals, snap) -> tuple[list, list]:
    """Duty (base rate plus any additional rate for the origin) and this shipment's share of its entry's MPF.

    Estimates only, for Type 11 and 01, in dollars rounded to cents; NaN for Type 86.
    """
    hts = frame["hts_code"].astype(str)
    origin = frame["country_of_origin"].astype(str)
    value = frame["value_usd"].astype(float).to_numpy()
    base = _rate(hts, days, [r for r in snap.duties if not r.country])
    extra = np.zeros(len(frame))
    for country in {r.country for r in snap.duties if r.country}:
        mine = (origin == country).to_numpy()
        if mine.any():
            extra = np.where(mine, _rate(hts, days, [r for r in snap.duties if r.country == country]), extra)
    duty = value * (base + extra) / 100

    informal_fee = np.zeros(len(frame))
    formal_rate, formal_min, formal_max = np.zeros(len(frame)), np.zeros(len(frame)), np.full(len(frame), np.inf)
    for fee in sorted(snap.fees, key=lambda f: f.effective_from):
        active = _active(fee, days)
        if fee.kind == FeeRate.Kind.MPF_INFORMAL:
            informal_fee = np.where(active, float(fee.amount), informal_fee)
        else:
            formal_rate = np.where(active, float(fee.rate_percent) / 100, formal_rate)
            formal_min = np.where(active, float(fee.minimum), formal_min)
            formal_max = np.where(active, float(fee.maximum) if fee.maximum is not None else np.inf, formal_max)
    share = np.divide(value, conveyance_totals, out=np.ones(len(frame)), where=conveyance_totals > 0)
    entry_fee = np.where(entry_type == ENTRY_11, informal_fee,
                         np.clip(conveyance_totals * formal_rate, formal_min, formal_max))
    mpf = entry_fee * share
    type86 = entry_type == ENTRY_86
    return np.where(type86, np.nan, np.round(duty, 2)), np.where(type86, np.nan, np.round(mpf, 2))


def money(amount: float) -> Decimal | None:
    """A float estimate as dollars and cents for a DecimalField (None for NaN: no estimate)."""
    if amount is None or np.isnan(amount):
        return None
    return Decimal(f"{amount:.2f}")


# --- Totals across the portal ------------------------------------------------------------------


def portal_totals(keys: pd.Series, days: pd.Series) -> tuple[dict, dict]:
    """Sums of value of every live shipment the portal holds, per (consignee, day) and (consignee, flight, day).

    Deliberately across every forwarder: the law counts the person, not the forwarder. Only
    sums leave this function; no other tenant's shipment is ever shown.
    """
    from shipments.models import CustomsStatus, Shipment

    key_list = sorted(set(keys.tolist()))
    day_list = sorted(set(days.dropna().dt.date.tolist()))
    day_sum: dict[tuple, float] = {}
    flight_sum: dict[tuple, float] = {}
    if not key_list or not day_list:
        return day_sum, flight_sum
    if connection.vendor == "postgresql":
        table = Shipment._meta.db_table  # the model's own name, not input
        query = (f"SELECT consignee_key, arrival_date, flight_number, SUM(value_usd) FROM {table} "  # noqa: S608
                 "WHERE consignee_key = ANY(string_to_array(%s, ',')) AND arrival_date = ANY(%s) AND status <> %s "
                 "GROUP BY consignee_key, arrival_date, flight_number")
        with connection.cursor() as cursor:
            cursor.execute(query, [",".join(key_list), day_list, CustomsStatus.CANCELLED])  # keys are hex: no commas
            found = cursor.fetchall()
    else:
        found = []
        live = Shipment.objects.exclude(status=CustomsStatus.CANCELLED).order_by()
        for start in range(0, len(key_list), 500):
            found += list(live.filter(consignee_key__in=key_list[start:start + 500], arrival_date__in=day_list)
                          .values_list("consignee_key", "arrival_date", "flight_number").annotate(total=Sum("value_usd")))
    for key, day, flight, value in found:
        cents = int((Decimal(value) * 100).to_integral_value())
        day_sum[(key, day)] = day_sum.get((key, day), 0) + cents
        flight_sum[(key, flight, day)] = flight_sum.get((key, flight, day), 0) + cents
    return day_sum, flight_sum


def totals_for(frame: pd.DataFrame, *, include_rows: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Consignee-day and consignee-conveyance totals of each row, counted across the portal.

    include_rows: the rows are new (not yet stored), so their own values are added to what the
    portal holds; False when the rows are stored shipments, already in the portal's sums.
    The third array says which rows' consignee already had parcels that day on the portal.
    """
    n = len(frame)
    day = frame["arrival_date"]
    # Summed in whole cents (values have at most two decimals): $310.68 + $380.67 + $42.95 + $65.70 is exactly $800.00,
    # not the 800.0000000000001 that adding floats gives, which rule 5 would read as over $800.
    by_day, by_flight, held = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64), np.zeros(n, dtype=bool)
    if include_rows and n:
        cents = pd.Series(np.rint(frame["value_usd"].to_numpy(dtype=float) * 100).astype(np.int64), index=frame.index)
        by_day = cents.groupby([frame["consignee_key"], day]).transform("sum").to_numpy(dtype=np.int64)
        by_flight = cents.groupby([frame["consignee_key"], frame["flight_number"], day]).transform("sum").to_numpy(dtype=np.int64)
    if n:
        day_sum, flight_sum = portal_totals(frame["consignee_key"], day)
        if day_sum:
            dates = day.dt.date.tolist()
            keys = frame["consignee_key"].tolist()
            flights = frame["flight_number"].tolist()
            held = np.array([(k, d) in day_sum for k, d in zip(keys, dates, strict=True)], dtype=bool)
            by_day = by_day + np.array([day_sum.get((k, d), 0) for k, d in zip(keys, dates, strict=True)], dtype=np.int64)
            by_flight = by_flight + np.array([flight_sum.get((k, f, d), 0) for k, f, d in zip(keys, flights, dates, strict=True)],
                                             dtype=np.int64)
    return by_day / 100, by_flight / 100, held


def reason_text(code: str) -> str:
    return str(REASONS.get(code, code))

