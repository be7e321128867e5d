"""The broker's review as services: approve, reject, cancel, file, correct and decide again, resubmit, bulk work."""

import time
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest

from accounts.models import Notification
from customs import policy, review
from customs.models import Entry
from shipments import lifecycle
from shipments.models import Shipment, ShipmentEvent
from shipments.progress import progress_get
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db

BEFORE_CHANGES = date(2025, 3, 1)  # de minimis still open to every origin



def person(name="Ana Lopez", street="4377 Maple Dr", zip_code="90210") -> dict:
    """Consignee fields with the key the policy derives from them."""
    key = policy.consignee_keys(pd.Series([name]), pd.Series([street]), pd.Series([zip_code])).iat[0]
    return {"consignee_name": name, "consignee_address1": street, "consignee_zip": zip_code, "consignee_key": key}


def waiting(forwarder, count=3, *, mawb="16012345675", **fields):
    manifest = manifest_for(forwarder, mawb=mawb, **{k: v for k, v in fields.items() if k == "arrival_date"})
    return [shipment_for(manifest, hawb=f"H{mawb[-3:]}{i}", **fields) for i in range(count)]


def ids(shipments):
    return [s.pk for s in shipments]


def statuses(shipments):
    return sorted(Shipment.objects.filter(pk__in=ids(shipments)).values_list("status", flat=True))


# --- Approve, reject, cancel -------------------------------------------------------------------------


def test_the_broker_approves_a_selection_and_each_approval_is_on_the_timeline(broker_org, broker_user, forwarder_org):
    shipments = waiting(forwarder_org)
    outcome = review.review_approve(broker=broker_org, user=broker_user, shipment_ids=ids(shipments))
    assert sorted(outcome.moved) == sorted(ids(shipments)) and outcome.ok
    assert statuses(shipments) == ["approved"] * 3
    event = ShipmentEvent.objects.get(shipment=shipments[0], to_state="approved")
    assert event.user == broker_user and event.organization == broker_org


def test_approving_twice_is_refused_with_a_reason_and_changes_nothing(broker_org, broker_user, forwarder_org):
    shipments = waiting(forwarder_org, 1)
    review.review_approve(broker=broker_org, user=broker_user, shipment_ids=ids(shipments))
    outcome = review.review_approve(broker=broker_org, user=broker_user, shipment_ids=ids(shipments))
    assert not outcome.moved and outcome.refused[shipments[0].pk] == "already Approved"
    assert ShipmentEvent.objects.filter(shipment=shipments[0], to_state="approved").count() == 1


def test_a_rejection_needs_a_reason_and_without_one_nothing_changes(broker_org, broker_user, forwarder_org):
    shipments = waiting(forwarder_org, 2)
    with pytest.raises(review.ReviewError, match="reason"):
        review.review_reject(broker=broker_org, user=broker_user, shipment_ids=ids(shipments), reason="   ")
    assert statuses(shipments) == ["received", "received"]


def test_a_rejection_goes_back_to_the_forwarder_with_the_reason(broker_org, broker_user, forwarder_org, owner, colleague, outsider):
    shipments = waiting(forwarder_org, 2)
    review.review_reject(broker=broker_org, user=broker_user, shipment_ids=ids(shipments), reason="Invoice value missing")
    assert statuses(shipments) == ["rejected", "rejected"]
    assert ShipmentEvent.objects.get(shipment=shipments[0], to_state="rejected").data == {"reason": "Invoice value missing"}
    for user in (owner, colleague):
        note = Notification.objects.get(user=user)
        assert note.kind == "rejected" and "Invoice value missing" in note.message and "2 shipment(s)" in note.message
    assert not Notification.objects.filter(user=outsider).exists()


def test_approval_files_at_once_when_the_broker_files_on_approval(ace, broker_org, broker_user, forwarder_org,
                                                                  django_capture_on_commit_callbacks):
    broker_org.auto_file = True
    broker_org.save()
    shipments = waiting(forwarder_org, 2)
    with django_capture_on_commit_callbacks(execute=True):
        review.review_approve(broker=broker_org, user=broker_user, shipment_ids=ids(shipments))
    assert Entry.objects.filter(broker=broker_org).exists()
    assert set(statuses(shipments)) <= {"accepted", "released"}


def test_without_filing_on_approval_entries_wait_for_the_broker(ace, broker_org, broker_user, forwarder_org,
                                                               django_capture_on_commit_callbacks):
    shipments = waiting(forwarder_org, 2)
    with django_capture_on_commit_callbacks(execute=True):
        review.review_approve(broker=broker_org, user=broker_user, shipment_ids=ids(shipments))
    assert not Entry.objects.exists() and review.approved_unfiled(broker=broker_org).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        review.entries_file(broker=broker_org)
    assert Entry.objects.filter(broker=broker_org).count() == 1  # one consignee on one flight: one Type 11 entry
    assert set(statuses(shipments)) <= {"accepted", "released"}


def test_the_broker_cancels_until_release_and_the_forwarder_is_told(ace, broker_org, broker_user, forwarder_org, owner,
                                                                    django_capture_on_commit_callbacks):
    received, accepted = waiting(forwarder_org, 2)
    Shipment.objects.filter(pk=accepted.pk).update(status="accepted")
    outcome = review.review_cancel(org=broker_org, user=broker_user, shipment_ids=[received.pk, accepted.pk], reason="Duplicate")
    assert sorted(outcome.moved) == sorted([received.pk, accepted.pk])
    assert "cancelled by the broker: Duplicate" in Notification.objects.get(user=owner).message
    released = waiting(forwarder_org, 1, mawb="16012345686")[0]
    Shipment.objects.filter(pk=released.pk).update(status="released")
    outcome = review.review_cancel(org=broker_org, user=broker_user, shipment_ids=[released.pk], reason="Too late")
    assert not outcome.moved and "cannot go from Released to Cancelled" in outcome.refused[released.pk]


def test_the_forwarder_cancels_only_before_filing(broker_org, broker_user, forwarder_org, owner):
    received, approved, filed = waiting(forwarder_org, 3)
    Shipment.objects.filter(pk=approved.pk).update(status="approved")
    Shipment.objects.filter(pk=filed.pk).update(status="filed")
    outcome = review.review_cancel(org=forwarder_org, user=owner, shipment_ids=[received.pk, approved.pk, filed.pk], reason="Sold out")
    assert sorted(outcome.moved) == sorted([received.pk, approved.pk]) and filed.pk in outcome.refused
    assert Notification.objects.filter(user=broker_user, kind="cancelled").exists()


def test_an_approved_shipment_whose_entry_waits_for_transmission_is_not_cancelled_under_it(broker_org, broker_user, forwarder_org,
                                                                                           owner):
    from customs import filing

    shipment = waiting(forwarder_org, 1)[0]
    review.review_approve(broker=broker_org, user=broker_user, shipment_ids=[shipment.pk])
    filing.entries_build(broker=broker_org)  # grouped into an entry; not transmitted yet
    outcome = review.review_cancel(org=forwarder_org, user=owner, shipment_ids=[shipment.pk], reason="Sold out")
    assert not outcome.moved and "waiting to be transmitted" in outcome.refused[shipment.pk]
    assert statuses([shipment]) == ["approved"]


def test_only_the_broker_approves_or_rejects(forwarder_org, owner):
    shipment = waiting(forwarder_org, 1)[0]
    with pytest.raises(review.ReviewError):
        review.review_act(org=forwarder_org, user=owner, action="approve", shipment_ids=[shipment.pk])
    assert statuses([shipment]) == ["received"]


# --- Selections --------------------------------------------------------------------------------------


def test_a_selection_with_another_tenants_shipment_is_refused_as_a_whole(broker_org, other_broker_org, forwarder_org):
    mine = waiting(forwarder_org, 2)
    other_client = manifest_for(forwarder_org, mawb="16012345686", broker=other_broker_org)
    theirs = shipment_for(other_client, hawb="T1")
    with pytest.raises(review.ReviewError, match="1 selected shipment is not in your queue; nothing was changed"):
        review.selection_resolve(org=broker_org, shipment_ids=[*ids(mine), theirs.pk])
    with pytest.raises(review.ReviewError, match="not in your queue"):
        review.selection_resolve(org=broker_org, shipment_ids=[*ids(mine), 10**9])  # missing looks the same as foreign
    assert review.selection_resolve(org=broker_org, shipment_ids=ids(mine)) == sorted(ids(mine))


def test_a_posted_selection_must_be_ids_and_not_too_many():
    with pytest.raises(review.ReviewError, match="Select at least one"):
        review.selection_parse([])
    with pytest.raises(review.ReviewError, match="not a list of shipments"):
        review.selection_parse(["12", "1; DROP TABLE"])
    with pytest.raises(review.ReviewError, match="At most 500"):
        review.selection_parse([str(i) for i in range(review.SELECTION_LIMIT + 1)])
    assert review.selection_parse(["3", "1", "3"]) == [1, 3]


# --- Bulk ----------------------------------------------------------------------------------------------


def test_a_bulk_approval_runs_as_a_task_and_reports_its_progress(broker_org, broker_user, forwarder_org, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    monkeypatch.setattr(review, "BULK_CHUNK", 2)
    shipments = waiting(forwarder_org, 5)
    with django_capture_on_commit_callbacks(execute=True):
        job = review.bulk_start(org=broker_org, user=broker_user, action="approve", shipment_ids=ids(shipments))
        assert review.bulk_state(org=broker_org, job_id=job)["phase"] == "queued"  # queued until the transaction commits
    state = review.bulk_state(org=broker_org, job_id=job)
    assert state["finished"] and state["percent"] == 100 and (state["moved"], state["refused"]) == (5, 0)
    assert statuses(shipments) == ["approved"] * 5


def test_a_bulk_rejection_notifies_once_per_mawb_and_reports_what_was_refused(broker_org, broker_user, forwarder_org, owner,
                                                                               django_capture_on_commit_callbacks):
    shipments = waiting(forwarder_org, 4)
    Shipment.objects.filter(pk=shipments[0].pk).update(status="filed")
    with django_capture_on_commit_callbacks(execute=True):
        job = review.bulk_start(org=broker_org, user=broker_user, action="reject", shipment_ids=ids(shipments), reason="Missing HTS")
    state = review.bulk_state(org=broker_org, job_id=job)
    assert (state["moved"], state["refused"]) == (3, 1) and "cannot go from Filed to Rejected by broker" in state["reasons"]
    assert Notification.objects.filter(user=owner, kind="rejected").count() == 1


def test_a_bulk_job_is_seen_only_by_its_organization_and_operators(broker_org, other_broker_org, operator_org, broker_user,
                                                                   forwarder_org, django_capture_on_commit_callbacks):
    shipments = waiting(forwarder_org, 1)
    with django_capture_on_commit_callbacks(execute=True):
        job = review.bulk_start(org=broker_org, user=broker_user, action="approve", shipment_ids=ids(shipments))
    assert review.bulk_state(org=other_broker_org, job_id=job) is None
    assert review.bulk_state(org=operator_org, job_id=job)["finished"]
    assert review.bulk_state(org=broker_org, job_id=job + 1) is None


def test_a_bulk_job_checks_the_scope_again_and_running_it_twice_changes_nothing_more(broker_org, other_broker_org, broker_user,
                                                                                    forwarder_org):
    mine = waiting(forwarder_org, 2)
    theirs = shipment_for(manifest_for(forwarder_org, mawb="16012345686", broker=other_broker_org), hawb="T1")
    arguments = {"job_id": 7, "org_id": broker_org.pk, "user_id": broker_user.pk, "action": "approve",
                 "shipment_ids": [*ids(mine), theirs.pk]}
    assert review.bulk_run(**arguments) == {"moved": 2, "refused": 1}
    assert Shipment.objects.get(pk=theirs.pk).status == "received"
    assert review.bulk_run(**arguments) == {"moved": 0, "refused": 3}
    assert ShipmentEvent.objects.filter(to_state="approved").count() == 2
    assert progress_get("bulk", 7)["phase"] == "done"


def test_a_bulk_action_refuses_bad_input_before_anything_is_queued(broker_org, broker_user, forwarder_org):
    shipments = waiting(forwarder_org, 1)
    for action, reason, message in (("approve-everything", "", "Unknown action"), ("reject", "", "reason"), ("cancel", " ", "reason")):
        with pytest.raises(review.ReviewError, match=message):
            review.bulk_start(org=broker_org, user=broker_user, action=action, shipment_ids=ids(shipments), reason=reason)
    with pytest.raises(review.ReviewError, match="At most 25,000"):
        review.bulk_start(org=broker_org, user=broker_user, action="approve", shipment_ids=list(range(1, review.BULK_LIMIT + 2)))
    with pytest.raises(review.ReviewError, match="nothing to do"):
        review.bulk_start(org=broker_org, user=broker_user, action="approve", shipment_ids=[])
    assert statuses(shipments) == ["received"]


def test_ten_thousand_shipments_are_approved_in_seconds(broker_org, broker_user, forwarder_org):
    manifest = manifest_for(forwarder_org)
    template = shipment_for(manifest, hawb="BIG0")
    fields = {f.attname: getattr(template, f.attname) for f in Shipment._meta.concrete_fields if f.attname not in ("id", "hawb")}
    Shipment.objects.bulk_create([Shipment(**{**fields, "hawb": f"BIG{i}"}) for i in range(1, 10_000)], batch_size=2000)
    every = list(Shipment.objects.filter(manifest=manifest).values_list("id", flat=True))
    started = time.monotonic()
    result = review.bulk_run(job_id=8, org_id=broker_org.pk, user_id=broker_user.pk, action="approve", shipment_ids=every)
    elapsed = time.monotonic() - started
    assert result == {"moved": 10_000, "refused": 0}
    assert elapsed < 15, f"10,000 approvals took {elapsed:.1f}s"
    assert ShipmentEvent.objects.filter(to_state="approved").count() == 10_000


# --- Corrections and decisions ------------------------------------------------------------------------


def test_a_correction_is_kept_with_who_made_it_and_the_decision_is_made_again(broker_org, broker_user, forwarder_org):
    shipment = waiting(forwarder_org, 1, arrival_date=BEFORE_CHANGES, value_usd=Decimal("900.00"), entry_type="11",
                       reasons=["DM_VALUE_OVER"], **person())[0]
    change = review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="value_usd", value="$85.50")
    assert change == {"field": "value_usd", "old": "900.00", "new": "85.50"}
    shipment.refresh_from_db()
    assert shipment.value_usd == Decimal("85.50")
    assert (shipment.entry_type, shipment.reasons) == ("86", ["DM_ELIGIBLE"])
    note = ShipmentEvent.objects.get(shipment=shipment, dimension="note", data__field="value_usd")
    assert note.data == change and note.user == broker_user and note.organization == broker_org
    assert ShipmentEvent.objects.filter(shipment=shipment, data__entry_type=["11", "86"]).exists()  # the decision's change, too


def test_a_correction_is_checked_on_the_portals_day_as_the_upload_was_not_on_the_brokers_own(broker_org, broker_user,
                                                                                                 forwarder_org, clock):
    import zoneinfo
    from datetime import UTC, datetime

    from django.utils import timezone

    from customs.models import VagueTerm

    clock(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))  # already 11 March at Kiritimati (UTC+14)
    VagueTerm.objects.create(term="gizmo", effective_from=date(2026, 3, 11))  # listed from tomorrow, the portal's
    shipment = waiting(forwarder_org, 1)[0]
    with timezone.override(zoneinfo.ZoneInfo("Pacific/Kiritimati")):  # the broker's page, read on that island's clock
        change = review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="description",
                                         value="Gizmo")
    assert change["new"] == "Gizmo"


def test_a_correction_is_normalised_like_an_upload(broker_org, broker_user, forwarder_org):
    shipment = waiting(forwarder_org, 1)[0]
    review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="hts_code", value=" 6109.10.0012 ")
    review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="country_of_origin", value="cn")
    shipment.refresh_from_db()
    assert (shipment.hts_code, shipment.country_of_origin) == ("6109100012", "CN")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("hts_code", "12AB", "The HTS code must have 10 digits."),
    ("country_of_origin", "XX", "Not a valid country code"),
    ("value_usd", "-5", "The value must be a positive amount in US dollars"),
    ("value_usd", "1" + "0" * 30, "The value must be a positive amount in US dollars"),
    ("pieces", "0", "Pieces must be a whole number from 1 to 9999."),
    ("description", "", "A value is required."),
    ("description", "电话壳", "Contains characters ACE cannot take"),
    ("consignee_zip", "ABCDE", "The ZIP code must be 5 digits or ZIP+4."),
])
def test_an_invalid_value_is_refused_with_the_checks_message_and_nothing_changes(broker_org, broker_user, forwarder_org, field,
                                                                               value, message):
    shipment = waiting(forwarder_org, 1)[0]
    before = Shipment.objects.filter(pk=shipment.pk).values().get()
    with pytest.raises(review.ReviewError) as refused:
        review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field=field, value=value)
    assert message in refused.value.message
    assert Shipment.objects.filter(pk=shipment.pk).values().get() == before
    assert not ShipmentEvent.objects.filter(shipment=shipment).exists()


def test_an_unknown_field_cannot_be_corrected(broker_org, broker_user, forwarder_org):
    shipment = waiting(forwarder_org, 1)[0]
    for field in ("status", "mawb", "forwarder_id", "nonsense"):
        with pytest.raises(review.ReviewError, match="cannot be corrected"):
            review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field=field, value="x")
    assert not ShipmentEvent.objects.filter(shipment=shipment).exists()


def test_the_same_value_is_not_a_correction(broker_org, broker_user, forwarder_org):
    shipment = waiting(forwarder_org, 1)[0]
    with pytest.raises(review.ReviewError, match="already the value"):
        review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="description",
                                value=" Silicone phone case ")


def test_a_filed_shipment_or_one_whose_entry_waits_is_not_corrected(broker_org, broker_user, forwarder_org):
    from customs import filing

    filed, approved = waiting(forwarder_org, 2)
    Shipment.objects.filter(pk=filed.pk).update(status="filed")
    with pytest.raises(review.ReviewError, match="Filed cannot be corrected"):
        review.shipment_correct(shipment_id=filed.pk, org=broker_org, user=broker_user, field="description", value="Phone case")
    review.review_approve(broker=broker_org, user=broker_user, shipment_ids=[approved.pk])
    filing.entries_build(broker=broker_org)
    with pytest.raises(review.ReviewError, match="waiting to be transmitted"):
        review.shipment_correct(shipment_id=approved.pk, org=broker_org, user=broker_user, field="description", value="Phone case")


def test_the_forwarder_corrects_before_approval_but_never_chooses_the_entry_type(broker_org, broker_user, forwarder_org, owner):
    received, approved = waiting(forwarder_org, 2)
    review.shipment_correct(shipment_id=received.pk, org=forwarder_org, user=owner, field="description", value="Phone case, silicone")
    with pytest.raises(review.ReviewError, match="Only the broker"):
        review.shipment_correct(shipment_id=received.pk, org=forwarder_org, user=owner, field="entry_type", value="01")
    review.review_approve(broker=broker_org, user=broker_user, shipment_ids=[approved.pk])
    with pytest.raises(review.ReviewError, match="Approved cannot be corrected"):
        review.shipment_correct(shipment_id=approved.pk, org=forwarder_org, user=owner, field="description", value="Phone case")


def test_the_broker_may_choose_a_stricter_entry_type_but_never_a_laxer_one(broker_org, broker_user, forwarder_org):
    shipment = waiting(forwarder_org, 1, arrival_date=date(2026, 11, 20), **person())[0]  # de minimis suspended: Type 11
    with pytest.raises(review.ReviewError, match="Type 86 is not allowed for this shipment: De minimis is suspended"):
        review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="entry_type", value="86")
    with pytest.raises(review.ReviewError, match="Choose entry type 86, 11 or 01"):
        review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="entry_type", value="99")
    review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="entry_type", value="01")
    review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="description", value="Phone case")
    shipment.refresh_from_db()
    assert shipment.entry_type == "01" and shipment.mpf_estimate_usd is not None  # the choice stays, with formal estimates
    assert shipment.reasons == ["BROKER_CHOICE"]  # not "de minimis suspended: Type 11", which no longer says why it is 01


def test_a_wrong_type_86_is_corrected_to_type_11(broker_org, broker_user, forwarder_org):
    shipment = waiting(forwarder_org, 1, arrival_date=date(2026, 11, 20), entry_type="86", reasons=["DM_ELIGIBLE"], **person())[0]
    review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="entry_type", value="11")
    shipment.refresh_from_db()
    assert (shipment.entry_type, shipment.reasons) == ("11", ["DM_SUSPENDED"])


def test_correcting_a_consignee_decides_that_persons_other_parcels_again(broker_org, broker_user, forwarder_org):
    first, second = waiting(forwarder_org, 2, arrival_date=BEFORE_CHANGES, value_usd=Decimal("500.00"), entry_type="11",
                            reasons=["DM_AGGREGATE_OVER"], **person())
    review.shipment_correct(shipment_id=second.pk, org=broker_org, user=broker_user, field="consignee_name", value="Maria Chen")
    first.refresh_from_db()
    second.refresh_from_db()
    assert second.consignee_key == person("Maria Chen")["consignee_key"]
    assert (first.entry_type, first.reasons) == ("86", ["DM_ELIGIBLE"])  # alone on her day now: $500
    assert (second.entry_type, second.reasons) == ("86", ["DM_ELIGIBLE"])


def test_decisions_are_made_again_only_before_filing(forwarder_org):
    received, filed = waiting(forwarder_org, 2, arrival_date=BEFORE_CHANGES, entry_type="11", reasons=["DM_VALUE_OVER"], **person())
    Shipment.objects.filter(pk=filed.pk).update(status="filed")
    assert review.decisions_recompute(shipment_ids=[received.pk, filed.pk]) == 1
    assert Shipment.objects.get(pk=filed.pk).entry_type == "11"


def test_the_forwarder_resubmits_a_corrected_shipment_to_the_broker(broker_org, broker_user, forwarder_org, owner):
    shipment = waiting(forwarder_org, 1, arrival_date=BEFORE_CHANGES, value_usd=Decimal("900.00"), entry_type="11",
                       reasons=["DM_VALUE_OVER"], **person())[0]
    review.review_reject(broker=broker_org, user=broker_user, shipment_ids=[shipment.pk], reason="Value looks wrong")
    review.shipment_correct(shipment_id=shipment.pk, org=forwarder_org, user=owner, field="value_usd", value="90")
    outcome = review.shipments_resubmit(forwarder=forwarder_org, user=owner, shipment_ids=[shipment.pk])
    assert outcome.moved == [shipment.pk]
    shipment.refresh_from_db()
    assert (shipment.status, shipment.entry_type) == ("received", "86")
    assert Notification.objects.filter(user=broker_user, kind="resubmitted").exists()
    again = review.shipments_resubmit(forwarder=forwarder_org, user=owner, shipment_ids=[shipment.pk])
    assert not again.moved and shipment.pk in again.refused


def test_a_rejected_shipment_is_corrected_and_resubmitted_through_the_lifecycle_only(broker_org, broker_user, forwarder_org, owner):
    shipment = waiting(forwarder_org, 1)[0]
    lifecycle.shipments_reject([shipment.pk], actor=lifecycle.Actor.of(broker_user, broker_org), reason="Check the HTS")
    review.shipments_resubmit(forwarder=forwarder_org, user=owner, shipment_ids=[shipment.pk])
    steps = list(ShipmentEvent.objects.filter(shipment=shipment, dimension="customs").values_list("to_state", flat=True))
    assert steps == ["rejected", "received"]


def test_a_parcel_moved_to_another_consignee_leaves_the_fee_to_the_approved_parcels_of_its_old_entry(
        forwarder_org, owner, broker_user):
    from decimal import Decimal

    from shipments import lifecycle
    from tests.customs.test_estimates import ingest, mpf, row

    ingest(forwarder_org, row("H1", "10.00"), row("H2", "10.00"), row("H3", "10.00"))
    lifecycle.shipments_approve(list(Shipment.objects.filter(hawb__in=["H1", "H2"]).values_list("id", flat=True)),
                                actor=lifecycle.Actor.of(broker_user))
    review.shipment_correct(shipment_id=Shipment.objects.get(hawb="H3").pk, org=forwarder_org, user=owner,
                            field="consignee_name", value="Bea Lopez")  # another person: another entry
    assert mpf("H3") == [Decimal("2.69")]
    assert mpf("H1", "H2") == [Decimal("1.35"), Decimal("1.34")]
