"""The customs decision: entry type 86, 11 or 01 with its reasons, PGA flags, duty and fee estimates (policy.md).

The only code that decides entry types. The law is data (customs/models.py); this module
reads a snapshot of it and applies it to whole frames of shipments at once. A decision
uses the law in force on the arrival date, unless the operator pinned a regime.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet, Sum, Value
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


def pinned_regime() -> date | None:
    """The day whose law the operator pinned every decision to (training, simulation), or None: the law of the arrival date."""
    pin = RegimePin.objects.filter(active=True).order_by("-set_at", "-id").first()
    return pin.as_of if pin else None


def snapshot() -> Snapshot:
    return Snapshot(
        rules=tuple(PolicyRule.objects.all()),
        limits=tuple(PolicyLimit.objects.all()),
        pga=tuple(PgaPrefix.objects.order_by("position", "hts_prefix")),
        fees=tuple(FeeRate.objects.all()),
        duties=tuple(DutyRate.objects.all()),
        pinned=pinned_regime(),
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


def decide(frame: pd.DataFrame, *, snap: Snapshot, day_totals: np.ndarray, conveyance_totals: np.ndarray,
           peers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Decide every row of `frame` (arrival_date, country_of_origin, hts_code, value_usd).

    The totals are the consignee-day and consignee-conveyance sums for each row, counted across
    the portal: they decide the entry type (the law counts the person). The MPF estimate is shared
    within the entry the portal will file, which also needs the entry key's columns (entry_groups)
    and the stored shipments of the same entries (`peers`, entry_peers). Returns entry_type,
    reasons, pga, duty_estimate and mpf_estimate per row.
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
    duty, mpf = estimates(frame, days, entry_type, snap, peers)
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
    """The rate of the longest matching prefix among `rows`, per shipment, in RATE_UNITS (0 where none matches)."""
    rate = np.zeros(len(hts), dtype=np.int64)
    length = np.full(len(hts), -1)
    for row in rows:
        hit = _active(row, days) & _starts_with_any(hts, [row.hts_prefix]) if row.hts_prefix else _active(row, days)
        better = hit & (len(row.hts_prefix) > length)
        rate = np.where(better, _units(row.rate_percent), rate)
        length = np.where(better, len(row.hts_prefix), length)
    return rate


# --- Entries and estimates ---------------------------------------------------------------------
# Money is counted in whole cents (int64, or Python integers where int64 could overflow) and rounded half up,
# as money is: never in floats, never half-even. Rates are kept to four decimals of a percent (FeeRate, DutyRate).

RATE_UNITS = 10_000  # 0.3464 % is 3464 units
PER_UNIT = 100 * RATE_UNITS  # amount * units // PER_UNIT is that percentage of the amount
ENTRY_KEY = ("broker_id", "forwarder_id", "consignee_key", "flight_number", "arrival_date")


def _units(rate_percent) -> int:
    return int(Decimal(rate_percent) * RATE_UNITS)


def _cents(dollars) -> int:
    return int((Decimal(dollars) * 100).to_integral_value(rounding=ROUND_HALF_UP))


def cents_of(dollars) -> np.ndarray:
    """Dollar amounts (two decimals at most, as a manifest has them) as whole cents: int64, or Python integers if need be."""
    cents = np.rint(np.asarray(dollars, dtype=float) * 100)
    if not len(cents) or np.abs(cents).max() < 2 ** 53:  # every real parcel: exact, and no loop
        return cents.astype(np.int64)
    return np.array([int(c) for c in cents.tolist()], dtype=object)


def _integers(bound: int):
    """The dtype for integer arithmetic on numbers up to `bound`: int64 where it cannot overflow, else Python integers."""
    return np.int64 if bound < 2 ** 62 else object


def _half_up(numerator: np.ndarray, denominator: int) -> np.ndarray:
    """numerator / denominator to a whole number, halves rounded up (the amounts are never negative)."""
    return (2 * numerator + denominator) // (2 * denominator)


def entry_groups(frame: pd.DataFrame, entry_type) -> np.ndarray:
    """Which shipments form one entry: a number per row, the same for the rows filed in one entry.

    The one definition, used by customs/filing.py to build entries and by the MPF estimate. Type 86:
    one bill per entry. Type 11 and 01: one entry per broker, forwarder, entry type, consignee and
    conveyance (flight and arrival date); parcels ACE rejected are filed again apart from the parcels
    never filed (their `status`). A key column the frame lacks is one value for all its rows (a file not yet
    stored has no forwarder; filing builds one broker's entries at a time).
    """
    n = len(frame)
    entry_type = np.asarray(entry_type, dtype=object)
    key = _entry_key(frame).assign(entry_type=entry_type)
    codes = key.groupby(list(key.columns), sort=False, dropna=False).ngroup().to_numpy()
    return np.where(entry_type == ENTRY_86, n + np.arange(n), codes)  # ngroup numbers stay below n


def _entry_key(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns entry_groups groups by, alike whatever the frame came from (stored rows, a file, a query)."""
    from shipments.models import CustomsStatus

    n = len(frame)
    key = pd.DataFrame(index=pd.RangeIndex(n))
    for name in ENTRY_KEY:
        if name not in frame:
            key[name] = 0
        elif name.endswith("_id"):
            key[name] = pd.to_numeric(frame[name]).fillna(-1).astype("int64").to_numpy()  # -1: no broker
        elif name == "arrival_date":
            key[name] = pd.to_datetime(frame[name]).to_numpy(dtype="datetime64[ns]")
        else:
            key[name] = frame[name].to_numpy()
    status = frame["status"] if "status" in frame else pd.Series(index=frame.index, dtype=object)
    key["refiled"] = (status == CustomsStatus.ACE_REJECTED).to_numpy(dtype=bool)
    return key


def to_be_filed() -> Q:
    """Shipments whose entry is still to be built: not yet in one (received, rejected by the broker, approved), or rejected by ACE."""
    from shipments.models import CustomsStatus as S

    return Q(status__in=(S.RECEIVED, S.REJECTED, S.APPROVED), entry__isnull=True) | Q(status=S.ACE_REJECTED)


def of_consignees(shipments: QuerySet, keys: list[str]) -> Iterator[QuerySet]:
    """`shipments` of these consignee keys, as querysets to read one after the other: on PostgreSQL one query, the keys
    sent as one text parameter (50,000 keys as `IN (%s, ...)` cost more to build and plan than to read); elsewhere
    chunks of 500 (SQLite's limit on parameters)."""
    if connection.vendor == "postgresql":
        array = Func(Value(",".join(keys)), Value(","), function="string_to_array")  # the keys are hex: no commas
        yield shipments.filter(Func(F("consignee_key"), array, arg_joiner=" = ANY(", template="(%(expressions)s))",
                                    output_field=BooleanField()))
        return
    for start in range(0, len(keys), 500):
        yield shipments.filter(consignee_key__in=keys[start:start + 500])


def entry_peers(frame: pd.DataFrame) -> pd.DataFrame:
    """Stored shipments, other than the rows of `frame`, that will be filed in one entry with a row of `frame`.

    Those not yet in an entry (received, rejected by the broker, approved), or rejected by ACE and to
    be filed again, of the same broker, forwarder, consignee and conveyance, whatever their entry type
    (entry_groups sorts them by type). The rows need broker_id and forwarder_id: a file not yet stored
    gets its forwarder's; without them there are no peers.
    """
    from shipments.models import Shipment

    columns = ["id", "value_usd", "entry_type", "status", *ENTRY_KEY]
    empty = pd.DataFrame(columns=columns)
    if frame.empty or "forwarder_id" not in frame or "broker_id" not in frame:
        return empty
    mine = _entry_key(frame)
    keys = sorted(set(mine["consignee_key"].tolist()))
    pending = (Shipment.objects.filter(to_be_filed())
               .filter(forwarder_id__in=set(mine["forwarder_id"].tolist()), arrival_date__in=set(mine["arrival_date"].dt.date))
               .order_by())
    found = []
    for part in of_consignees(pending, keys):
        found += list(part.values_list(*columns))
    peers = pd.DataFrame.from_records(found, columns=columns)
    if "id" in frame:
        peers = peers[~peers["id"].isin(frame["id"].dropna().astype("int64").tolist())]
    if peers.empty:
        return empty
    peers = peers.reset_index(drop=True)
    peers["arrival_date"] = pd.to_datetime(peers["arrival_date"])
    peers["value_usd"] = peers["value_usd"].astype(float)
    wanted = pd.MultiIndex.from_frame(mine.drop_duplicates())
    return peers[pd.MultiIndex.from_frame(_entry_key(peers)).isin(wanted)].reset_index(drop=True)


def estimates(frame, days, entry_type, snap, peers: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Duty (base rate plus any additional rate for the origin) and this shipment's share of its entry's MPF.

    Estimates only, for Type 11 and 01, in dollars (floats of whole cents, rounded half up); NaN for Type 86.
    The entry is the one filing will build (entry_groups) from the rows of `frame` and their `peers`
    (entry_peers, with their stored entry types). Its fee, informal flat or formal a percentage of
    the entry's own value between floor and cap, is shared by value in whole cents; the largest
    remainders take the odd cents, so that the shares add up to the fee exactly (ties: the shipment
    stored first, then the rows not yet stored, in order).
    """
    entry_type = np.asarray(entry_type, dtype=object)
    hts = frame["hts_code"].astype(str)
    origin = frame["country_of_origin"].astype(str)
    base = _rate(hts, days, [r for r in snap.duties if not r.country])
    extra = np.zeros(len(frame), dtype=np.int64)
    for country in {r.country for r in snap.duties if r.country}:
        mine = (origin == country).to_numpy()
        if mine.any():
            extra = np.where(mine, _rate(hts, days, [r for r in snap.duties if r.country == country]), extra)
    value = cents_of(frame["value_usd"])
    rate = base + extra
    kind = _integers(2 * (int(np.abs(value).max(initial=0)) + 1) * (int(rate.max(initial=0)) + 1) + PER_UNIT)  # no overflow
    duty = _half_up(value.astype(kind) * rate.astype(kind), PER_UNIT)

    mpf = mpf_shares(frame, entry_type, snap, peers)
    type86 = entry_type == ENTRY_86
    return np.where(type86, np.nan, (duty / 100).astype(float)), np.where(type86, np.nan, (mpf / 100).astype(float))


def mpf_shares(frame: pd.DataFrame, entry_type, snap: Snapshot, peers: pd.DataFrame | None = None) -> np.ndarray:
    """Each row's share of its entry's merchandise processing fee, in whole cents (0 for Type 86); see estimates."""
    entry_type = np.asarray(entry_type, dtype=object)
    members = frame.reset_index(drop=True)
    if peers is not None and not peers.empty:
        members = pd.concat([members, peers], ignore_index=True)
        entry_type = np.concatenate([entry_type, peers["entry_type"].to_numpy(dtype=object)])
    if snap.pinned:
        days = pd.Series(pd.Timestamp(snap.pinned), index=members.index)
    else:
        days = pd.to_datetime(members["arrival_date"])
    n = len(members)
    informal, rate, floor, cap = np.zeros(n, dtype=object), np.zeros(n, dtype=object), np.zeros(n, dtype=object), np.full(n, None)
    for fee in sorted(snap.fees, key=lambda f: f.effective_from):
        active = _active(fee, days)
        if fee.kind == FeeRate.Kind.MPF_INFORMAL:
            informal = np.where(active, _cents(fee.amount), informal)
        else:
            rate = np.where(active, _units(fee.rate_percent), rate)
            floor = np.where(active, _cents(fee.minimum), floor)
            cap = np.where(active, _cents(fee.maximum) if fee.maximum is not None else None, cap)
    value = cents_of(members["value_usd"])
    everything = int(np.abs(value).astype(float).sum() * 1.01) + 1  # a bound, not a sum: no overflow on the way
    most_fee = everything * int(rate.max(initial=0)) // PER_UNIT + 1 + int(informal.max(initial=0)) + int(floor.max(initial=0))
    kind = _integers(2 * everything * max(most_fee, int(rate.max(initial=0)) + 1) + PER_UNIT)
    value, informal, rate, floor = (a.astype(kind) for a in (value, informal, rate, floor))
    cap = np.where(cap == None, most_fee, cap).astype(kind)  # noqa: E711 - elementwise: no maximum
    group = entry_groups(members, entry_type)
    total = pd.Series(value).groupby(group).transform("sum").to_numpy(dtype=kind)
    formal = np.minimum(np.maximum(_half_up(total * rate, PER_UNIT), floor), cap)
    fee = np.where(entry_type == ENTRY_11, informal, np.where(entry_type == ENTRY_01, formal, 0))
    weight = np.where(total > 0, value, 1)  # never on valid rows (value > 0); an even split rather than a division by 0
    base = np.where(total > 0, total, pd.Series(group).groupby(group).transform("size").to_numpy()).astype(kind)
    share, remainder = fee * weight // base, fee * weight % base
    short = fee - pd.Series(share).groupby(group).transform("sum").to_numpy(dtype=kind)  # the odd cents, fewer than the members
    ids = pd.to_numeric(members["id"]) if "id" in members else pd.Series(np.nan, index=members.index)
    order = np.where(ids.isna(), 2 ** 62 + np.arange(n, dtype=np.int64), ids.fillna(0).to_numpy(dtype=np.int64))
    ranked = pd.DataFrame({"group": group, "remainder": remainder, "order": order}).sort_values(
        ["group", "remainder", "order"], ascending=[True, False, True])
    place = np.empty(n, dtype=np.int64)
    place[ranked.index.to_numpy()] = ranked.groupby("group", sort=False).cumcount().to_numpy()
    return (share + (place < short))[:len(frame)]


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
    found = []
    live = Shipment.objects.exclude(status=CustomsStatus.CANCELLED).filter(arrival_date__in=day_list).order_by()
    for part in of_consignees(live, key_list):
        found += list(part.values_list("consignee_key", "arrival_date", "flight_number").annotate(total=Sum("value_usd")))
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

