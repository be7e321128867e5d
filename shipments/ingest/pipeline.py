"""Read, check and decide a manifest file, and report on it (manifest-csv.md §8).

`manifest_evaluate` is shared by `validate_manifest` (stores nothing) and the ingest
(which stores the result): the same file always gives the same report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from django.conf import settings

from calista import clocks
from customs import policy
from shipments.ingest.checks import CheckedFile, check_table, mark_existing, mark_manifest_conflicts
from shipments.ingest.codes import message_for
from shipments.ingest.reader import FileProblem, Table, read_table

Progress = Callable[[str, int, int], None]  # phase, done, total


@dataclass
class Evaluation:
    """A file read, checked and decided; or the file-level problem that stopped it."""

    problem: FileProblem | None = None
    table: Table | None = None
    checked: CheckedFile | None = None
    decisions: pd.DataFrame | None = None  # indexed like the valid rows of checked.norm
    decided: pd.DataFrame | None = None  # the valid rows' normalised values, with consignee_key and totals

    @property
    def exit_code(self) -> int:
        if self.problem is not None:
            return 2
        return 0 if bool(self.checked.valid.all()) else 1


def existing_pairs(pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """(mawb, hawb) pairs the portal already holds as live shipments, whoever holds them."""
    from shipments.models import CustomsStatus, Shipment

    pairs = set(pairs)
    held: set[tuple[str, str]] = set()
    mawbs = sorted({m for m, _ in pairs})
    for start in range(0, len(mawbs), 500):
        rows = (Shipment.objects.exclude(status=CustomsStatus.CANCELLED)
                .filter(mawb__in=mawbs[start:start + 500]).values_list("mawb", "hawb"))
        held.update(pair for pair in rows if pair in pairs)
    return held


def decision_frame(checked: CheckedFile) -> pd.DataFrame:
    """The valid rows' normalised values with the consignee identity the policy aggregates on."""
    valid = checked.norm[checked.valid].copy()
    values = checked.values[checked.valid]
    valid["consignee_key"] = policy.consignee_keys(values["consignee_name"], values["consignee_address1"], valid["consignee_zip"])
    return valid


def manifest_evaluate(data: bytes, *, filename: str, encoding: str | None = None, today: date | None = None,
                      progress: Progress | None = None, against_portal: bool = True) -> Evaluation:
    """Read, check and (for valid rows) decide a file against the portal's current data. Stores nothing.

    With against_portal=False it stops after the checks each row can pass on its own; the ingest
    runs the rest (portal_checks_apply) while it holds the ingest lock.
    """
    today = today or clocks.portal_today()

    def report(phase):
        return (lambda done, total=0: progress(phase, done, total)) if progress else None

    try:
        table = read_table(data, filename=filename, encoding=encoding or None, max_bytes=settings.MANIFEST_MAX_BYTES,
                           max_records=settings.MANIFEST_MAX_RECORDS, progress=report("read"))
    except FileProblem as problem:
        return Evaluation(problem=problem)
    if progress:
        progress("read", len(table.records), len(table.records))
    checked = check_table(table, today=today, served_airports=settings.SERVED_AIRPORTS, vague_terms=policy.vague_terms(today),
                          progress=(lambda done: progress("check", done, len(table.records))) if progress else None)
    evaluation = Evaluation(table=table, checked=checked)
    if against_portal:
        portal_checks_apply(evaluation)
    return evaluation


def held_manifests(mawbs: Iterable[str]) -> dict[str, dict]:
    """Where and when the MAWBs the portal already holds fly (whoever holds them: a MAWB is one flight)."""
    from shipments.models import Manifest

    held = Manifest.objects.filter(mawb__in=set(mawbs)).values(
        "mawb", "origin_airport", "destination_airport", "flight_number", "arrival_date")
    return {row["mawb"]: row for row in held}


def portal_checks_apply(evaluation: Evaluation, *, forwarder=None) -> None:
    """The checks that need the portal's data, then the decision of every valid row (as `forwarder`'s, if given)."""
    checked = evaluation.checked
    mark_existing(checked, existing_pairs)
    mark_manifest_conflicts(checked, held_manifests(checked.norm["mawb"][checked.norm["pair_ok"]].unique().tolist()))
    decision_decide(evaluation, forwarder=forwarder)


def decision_decide(evaluation: Evaluation, *, forwarder=None) -> None:
    """Decide the valid rows, counting totals across this file and everything the portal holds.

    With the forwarder who stores them, each row's MPF estimate is its share of the entry it will
    be filed in, with the forwarder's parcels already on the portal (their shares are brought in
    line by decisions_refresh after the store); without one (a file only checked) the file's rows
    are taken as one forwarder's.
    """
    frame = decision_frame(evaluation.checked)
    day_totals, conveyance_totals, held = policy.totals_for(frame)
    frame["day_total"] = day_totals
    frame["conveyance_total"] = conveyance_totals
    frame["portal_held"] = held  # the consignee already had parcels that day: their decisions may change
    peers = None
    if forwarder is not None:
        frame["forwarder_id"] = forwarder.pk
        frame["broker_id"] = brokers_of(forwarder, frame["mawb"])
        peers = policy.entry_peers(frame)
    evaluation.decided = frame
    evaluation.decisions = policy.decide(frame, snap=policy.snapshot(), day_totals=day_totals, conveyance_totals=conveyance_totals,
                                         peers=peers)


def brokers_of(forwarder, mawbs: pd.Series) -> pd.Series:
    """The broker of each row's MAWB: the forwarder's MAWB's broker if it holds that MAWB, else its default broker."""
    from shipments.models import Manifest

    held = dict(Manifest.objects.filter(forwarder=forwarder, mawb__in=set(mawbs.tolist())).values_list("mawb", "broker_id"))
    return mawbs.map(held).fillna(forwarder.default_broker_id if forwarder.default_broker_id else -1).astype("int64")


def _row_error(code: str, column: str) -> dict:
    return {"code": code, "column": column, "message": message_for(code)}


def file_part(evaluation: Evaluation) -> dict:
    if evaluation.problem is not None:
        facts = evaluation.problem.facts
        return {"encoding": facts.get("encoding"), "delimiter": facts.get("delimiter"), "records": facts.get("records", 0),
                "columns": facts.get("columns", {}), "errors": evaluation.problem.errors, "warnings": evaluation.problem.warnings}
    table = evaluation.table
    return {"encoding": table.encoding, "delimiter": table.delimiter, "records": len(table.records),
            "columns": table.column_headers, "errors": [], "warnings": table.warnings}


def report_rows(evaluation: Evaluation) -> list[dict]:
    """One entry per non-blank data record, in file order."""
    checked = evaluation.checked
    decisions = evaluation.decisions
    mawbs = checked.norm["mawb_report"].tolist()
    hawbs = checked.norm["hawb_report"].tolist()
    decided = {}
    if decisions is not None:
        for index, entry, reasons, pga in zip(decisions.index, decisions["entry_type"], decisions["reasons"], decisions["pga"],
                                              strict=True):
            decided[index] = (entry, reasons, pga)
    rows = []
    for i, number in enumerate(checked.rows):
        valid = bool(checked.valid[i])
        entry, reasons, pga = decided.get(i, (None, [], [])) if valid else (None, [], [])
        rows.append({
            "row": number, "mawb": mawbs[i], "hawb": hawbs[i], "valid": valid,
            "errors": [_row_error(code, column) for code, column in checked.errors[i]],
            "warnings": [{"code": code, "column": column} for code, column in checked.warnings[i]],
            "entry_type": entry, "reasons": list(reasons), "pga": list(pga),
        })
    return rows


def summary_part(evaluation: Evaluation) -> dict:
    if evaluation.problem is not None:
        return {"rows": 0, "valid": 0, "invalid": 0, "entry_types": {}}
    valid = int(np.count_nonzero(evaluation.checked.valid))
    total = len(evaluation.checked)
    types = {}
    if evaluation.decisions is not None and len(evaluation.decisions):
        counts = evaluation.decisions["entry_type"].value_counts()
        types = {code: int(counts[code]) for code in ("86", "11", "01") if code in counts}
    return {"rows": total, "valid": valid, "invalid": total - valid, "entry_types": types}


def manifest_report(evaluation: Evaluation) -> dict:
    """The validate_manifest --json document."""
    return {
        "file": file_part(evaluation),
        "summary": summary_part(evaluation),
        "rows": [] if evaluation.problem is not None else report_rows(evaluation),
    }
