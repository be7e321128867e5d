"""Duty and MPF estimates: the fee of the entry the portal will file, shared among its parcels in whole cents (policy.md)."""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from django.core.files.base import ContentFile

from customs import filing, policy, review
from shipments import lifecycle, services
from shipments.models import Shipment

pytestmark = pytest.mark.django_db

SUSPENDED = "2026-11-20"  # de minimis suspended: every parcel is Type 11 or 01
HEADER = ("mawb,hawb,origin,destination,flight,arrival_date,shipper,shipper_address,shipper_country,consignee,"
          "consignee_address,consignee_city,state,zip,description,hts,coo,pieces,weight,value\n")


def row(hawb, value, *, mawb="16012345675", flight="CX880", day=SUSPENDED, consignee="Ana Lopez", coo="VN", hts="3926909985"):
    return (f"{mawb},{hawb},HKG,LAX,{flight},{day},Kowloon Gadget Supply Ltd,12 Nathan Road,HK,{consignee},"
            f"4377 Maple Dr,Fairview,CA,90210,Silicone phone case,{hts},{coo},1,0.5,{value}\n")


def ingest(forwarder, *rows, name="m.csv"):
    upload = services.upload_create(forwarder=forwarder, user=None, file=ContentFile((HEADER + "".join(rows)).encode()),
                                    name=name, queue=False)
    services.manifest_ingest(upload_id=upload.pk, today=date(2026, 11, 27))
    upload.refresh_from_db()
    assert upload.rows_invalid == 0
    return upload


def mpf(*hawbs):
    found = dict(Shipment.objects.filter(hawb__in=hawbs).values_list("hawb", "mpf_estimate_usd"))
    return [found[h] for h in hawbs]


def decide(values, *, arrival=SUSPENDED, hts="3926909985", consignee="c1"):
    """The policy's decision of rows of one consignee on one flight (a file not yet stored)."""
    n = len(values)
    frame = pd.DataFrame({
        "arrival_date": pd.to_datetime([arrival] * n), "country_of_origin": ["VN"] * n, "hts_code": [hts] * n,
        "value_usd": [float(v) for v in values], "consignee_key": [consignee] * n, "flight_number": ["CX880"] * n,
    })
    total = np.full(n, float(sum(Decimal(str(v)) for v in values)))
    return policy.decide(frame, snap=policy.snapshot(), day_totals=total, conveyance_totals=total)


def cents(series):
    return [Decimal(f"{v:.2f}") for v in series]


def test_three_type_11_parcels_of_one_consignee_share_one_informal_fee_to_the_cent(forwarder_org):
    ingest(forwarder_org, row("H1", "10.00"), row("H2", "10.00"), row("H3", "10.00"))
    assert mpf("H1", "H2", "H3") == [Decimal("0.90"), Decimal("0.90"), Decimal("0.89")]  # the odd cent to the first rows


@pytest.mark.parametrize("values", [
    [10, 10, 10], [0.01, 0.01, 0.01, 0.01], [33.33, 33.33, 33.34], [1, 2, 3, 4, 5, 6, 7], [799.99, 0.01],
    [1000, 999.99, 500.01], [2000, 1000, 123.45, 0.55],  # formal, floor
    [150000, 99999.99, 42.42, 0.01],  # formal, cap
])
def test_the_shares_of_an_entry_add_up_to_its_fee_exactly(values):
    result = decide(values)
    total = sum(Decimal(str(v)) for v in values)
    formal = (total * Decimal("0.003464")).quantize(Decimal("0.01"), ROUND_HALF_UP)
    fee = Decimal("2.69") if total <= 2500 else min(max(formal, Decimal("33.58")), Decimal("651.50"))
    assert set(result["entry_type"]) == {"11" if total <= 2500 else "01"}
    assert sum(cents(result["mpf_estimate"])) == fee


def test_other_forwarders_parcels_and_type_86_parcels_do_not_change_a_forwarders_estimate(forwarder_org, other_forwarder_org):
    day = "2025-06-10"  # Chinese goods have lost de minimis, Vietnamese goods still have it
    ingest(other_forwarder_org, row("B1", "100.00", mawb="16012345686", day=day, coo="CN"))
    ingest(forwarder_org, row("A1", "100.00", day=day, coo="CN"), row("A2", "50.00", day=day, coo="VN"))
    assert Shipment.objects.get(hawb="A2").entry_type == "86"
    assert mpf("A1", "A2", "B1") == [Decimal("2.69"), None, Decimal("2.69")]  # each forwarder's entry has its own fee


def test_a_formal_entry_pays_the_floor_on_its_own_parcels_not_on_the_consignees_whole_flight(forwarder_org, other_forwarder_org):
    ingest(other_forwarder_org, row("B1", "3000.00", mawb="16012345686"))
    ingest(forwarder_org, row("A1", "100.00"))
    assert Shipment.objects.get(hawb="A1").entry_type == "01"  # the person's goods on the flight are over $2,500
    assert mpf("A1", "B1") == [Decimal("33.58"), Decimal("33.58")]


def test_a_formal_entry_pays_at_most_the_cap_on_its_own_parcels(forwarder_org, other_forwarder_org):
    ingest(other_forwarder_org, row("B1", "300000.00", mawb="16012345686"))
    ingest(forwarder_org, row("A1", "100000.00"), row("A2", "100000.00"))  # 0.3464 % of $200,000 is $692.80
    assert mpf("A1", "A2", "B1") == [Decimal("325.75"), Decimal("325.75"), Decimal("651.50")]


def test_duty_and_fee_round_half_up_to_the_cent():
    duty = decide([1], hts="6109100012")  # 16.5 % of $1.00 is 16.5 cents
    assert cents(duty["duty_estimate"]) == [Decimal("0.17")]
    fee = decide([10625])  # 0.3464 % of $10,625 is $36.805
    assert cents(fee["mpf_estimate"]) == [Decimal("36.81")]


def test_a_parcel_that_joins_an_entry_later_shares_the_fee_with_the_earlier_ones(forwarder_org,
                                                                                 django_capture_on_commit_callbacks):
    ingest(forwarder_org, row("H1", "10.00"))
    assert mpf("H1") == [Decimal("2.69")]
    with django_capture_on_commit_callbacks(execute=True):  # the earlier parcels are shared again once the upload commits
        ingest(forwarder_org, row("H2", "10.00"), row("H3", "10.00"), name="fix.csv")
    assert mpf("H1", "H2", "H3") == [Decimal("0.90"), Decimal("0.90"), Decimal("0.89")]


def test_a_cancelled_parcel_leaves_the_fee_to_the_other_parcels_of_its_entry(forwarder_org, owner,
                                                                             django_capture_on_commit_callbacks):
    ingest(forwarder_org, row("H1", "10.00"), row("H2", "10.00"), row("H3", "10.00"))
    with django_capture_on_commit_callbacks(execute=True):
        review.review_cancel(org=forwarder_org, user=owner, shipment_ids=[Shipment.objects.get(hawb="H3").pk],
                             reason="Withdrawn")
    assert mpf("H1", "H2") == [Decimal("1.35"), Decimal("1.34")]


def test_a_stricter_type_the_broker_chooses_takes_the_parcel_out_of_the_others_informal_entry(forwarder_org, broker_org,
                                                                                               broker_user):
    ingest(forwarder_org, row("H1", "10.00"), row("H2", "10.00"), row("H3", "10.00"))
    review.shipment_correct(shipment_id=Shipment.objects.get(hawb="H1").pk, org=broker_org, user=broker_user,
                            field="entry_type", value="01")
    assert mpf("H1", "H2", "H3") == [Decimal("33.58"), Decimal("1.35"), Decimal("1.34")]


def test_the_entries_filed_are_the_entries_the_estimates_shared(forwarder_org, other_forwarder_org, broker_org, broker_user):
    ingest(other_forwarder_org, row("B1", "10.00", mawb="16012345686"))
    ingest(forwarder_org, row("A1", "10.00"), row("A2", "10.00"), row("A3", "10.00"),
           row("A4", "10.00", mawb="16012345690", flight="CX882"))
    lifecycle.shipments_approve(list(Shipment.objects.values_list("id", flat=True)), actor=lifecycle.Actor.of(broker_user))
    filing.entries_build(broker=broker_org)
    entries = {}
    for entry_id, fee in Shipment.objects.values_list("entry_id", "mpf_estimate_usd"):
        entries[entry_id] = entries.get(entry_id, Decimal(0)) + fee
    assert sorted(entries.values()) == [Decimal("2.69")] * 3  # A1-A3, A4 (another flight), B1 (another forwarder)


def test_a_group_filed_in_part_gives_each_entry_filed_and_the_parcels_left_their_own_fee(forwarder_org, broker_org,
                                                                                         broker_user,
                                                                                         django_capture_on_commit_callbacks):
    ingest(forwarder_org, row("H1", "10.00"), row("H2", "10.00"), row("H3", "10.00"))
    first_two = list(Shipment.objects.filter(hawb__in=["H1", "H2"]).values_list("id", flat=True))
    lifecycle.shipments_approve(first_two, actor=lifecycle.Actor.of(broker_user))  # H3 waits for the forwarder's answer
    with django_capture_on_commit_callbacks(execute=True):  # the parcels left behind are shared again after the commit
        filing.entries_build(broker=broker_org)
    assert mpf("H1", "H2", "H3") == [Decimal("1.35"), Decimal("1.34"), Decimal("2.69")]  # two entries, two fees
    lifecycle.shipments_approve([Shipment.objects.get(hawb="H3").pk], actor=lifecycle.Actor.of(broker_user))
    with django_capture_on_commit_callbacks(execute=True):
        filing.entries_build(broker=broker_org)
    assert mpf("H3") == [Decimal("2.69")]
    assert Shipment.objects.values("entry_id").distinct().count() == 2
