"""Shipments and MAWBs by API: scoped lists with filters and cursor pages, and a shipment's timeline."""

from datetime import date

import pytest

from shipments import lifecycle
from tests.api.conftest import codes_of, fields_of
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def parcels(forwarder_org, other_forwarder_org, cfs_org):
    """Three parcels of the owner's forwarder at LAX (one approved), one of another forwarder."""
    mawb = manifest_for(forwarder_org, mawb="16012345675", cfs=cfs_org)
    mine = [shipment_for(mawb, hawb=f"H000{i}") for i in (1, 2, 3)]
    lifecycle.shipments_approve([mine[0].pk], actor=lifecycle.SYSTEM)
    other = shipment_for(manifest_for(other_forwarder_org, mawb="16099999990", airport="JFK"), hawb="X0001")
    return mine, other


def ids(response):
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_the_owner_and_a_colleague_list_their_shipments_and_an_outsider_only_theirs(api, parcels, owner_key, colleague_key,
                                                                                   outsider_key):
    mine, other = parcels
    assert ids(api(owner_key).get("/api/v1/shipments/")) == [s.pk for s in mine]
    assert ids(api(colleague_key).get("/api/v1/shipments/")) == [s.pk for s in mine]
    assert ids(api(outsider_key).get("/api/v1/shipments/")) == [other.pk]


def test_the_broker_sees_its_clients_shipments_and_the_station_what_arrives_there(api, parcels, broker_key, other_broker_key,
                                                                                   cfs_key, other_cfs_key):
    mine, other = parcels
    assert ids(api(broker_key).get("/api/v1/shipments/")) == [*[s.pk for s in mine], other.pk]
    assert ids(api(other_broker_key).get("/api/v1/shipments/")) == []
    assert ids(api(cfs_key).get("/api/v1/shipments/")) == [s.pk for s in mine]
    assert ids(api(other_cfs_key).get("/api/v1/shipments/")) == []


@pytest.mark.parametrize(("query", "expected"), [
    ({"status": "approved"}, [0]),
    ({"status": "received"}, [1, 2]),
    ({"hawb": " h0002 "}, [1]),
    ({"mawb": "160-1234 5675"}, [0, 1, 2]),
    ({"mawb": "160-99999990"}, []),
    ({"custody": "awaiting_arrival", "entry_type": "11"}, [0, 1, 2]),
    ({"arrival_from": "2026-11-21"}, []),
    ({"arrival_to": "2026-11-20"}, [0, 1, 2]),
])
def test_the_shipment_list_filters(api, parcels, owner_key, query, expected):
    mine, _other = parcels
    assert ids(api(owner_key).get("/api/v1/shipments/", query)) == [mine[i].pk for i in expected]


def test_a_filter_on_a_mawb_or_upload_id_stays_in_scope(api, parcels, owner_key, outsider_key):
    mine, _other = parcels
    assert ids(api(owner_key).get("/api/v1/shipments/", {"mawb_id": mine[0].manifest_id})) == [s.pk for s in mine]
    assert ids(api(outsider_key).get("/api/v1/shipments/", {"mawb_id": mine[0].manifest_id})) == []


@pytest.mark.parametrize(("query", "field"), [
    ({"status": "lost"}, "status"), ({"mawb_id": "abc"}, "mawb_id"), ({"arrival_from": "27/11/2026"}, "arrival_from"),
    ({"page_size": "0"}, "page_size"), ({"stauts": "received"}, "stauts"),
    ({"cursor": "cD1hYmM="}, "cursor"), ({"cursor": "cj14"}, "cursor"),  # p=abc, r=x
])
def test_a_bad_filter_is_a_field_level_400(api, parcels, owner_key, query, field):
    response = api(owner_key).get("/api/v1/shipments/", query)
    assert response.status_code == 400, response.content
    assert fields_of(response) == [field]


def test_the_list_pages_with_a_cursor(api, parcels, owner_key):
    mine, _other = parcels
    first = api(owner_key).get("/api/v1/shipments/", {"page_size": 2}).json()
    assert [s["id"] for s in first["results"]] == [mine[0].pk, mine[1].pk] and first["previous"] is None
    second = api(owner_key).get(first["next"]).json()
    assert [s["id"] for s in second["results"]] == [mine[2].pk] and second["next"] is None


def test_the_list_reads_a_page_in_a_fixed_number_of_queries(api, forwarder_org, owner_key, django_assert_max_num_queries):
    mawb = manifest_for(forwarder_org)
    for i in range(60):
        shipment_for(mawb, hawb=f"N{i:04d}")
    api(owner_key).get("/api/v1/shipments/")  # the key's last use is written on the first call only
    with django_assert_max_num_queries(3):
        response = api(owner_key).get("/api/v1/shipments/", {"page_size": 50})
    assert len(response.json()["results"]) == 50


def test_a_shipment_has_its_timeline_for_the_owner_and_a_colleague_and_is_404_for_an_outsider(api, parcels, owner_key,
                                                                                             colleague_key, outsider_key):
    mine, _other = parcels
    approved = mine[0]
    for key in (owner_key, colleague_key):
        detail = api(key).get(f"/api/v1/shipments/{approved.pk}/").json()
        assert detail["hawb"] == "H0001" and detail["status"] == "approved" and detail["value_usd"] == "25.00"
        assert [(e["dimension"], e["from_state"], e["to_state"]) for e in detail["timeline"]] == [("customs", "received", "approved")]
    response = api(outsider_key).get(f"/api/v1/shipments/{approved.pk}/")
    assert response.status_code == 404 and codes_of(response) == ["not_found"]


def test_mawbs_are_listed_and_read_in_scope(api, parcels, owner_key, colleague_key, outsider_key, cfs_key):
    mine, other = parcels
    mawb_id = mine[0].manifest_id
    for key in (owner_key, colleague_key, cfs_key):
        assert ids(api(key).get("/api/v1/mawbs/")) == [mawb_id]
        assert api(key).get(f"/api/v1/mawbs/{mawb_id}/").json()["mawb"] == "16012345675"
    assert ids(api(outsider_key).get("/api/v1/mawbs/")) == [other.manifest_id]
    assert api(outsider_key).get(f"/api/v1/mawbs/{mawb_id}/").status_code == 404
    assert ids(api(owner_key).get("/api/v1/mawbs/", {"mawb": "160-12345675", "custody": "awaiting_arrival"})) == [mawb_id]
    assert ids(api(owner_key).get("/api/v1/mawbs/", {"arrival_from": date(2026, 12, 1).isoformat()})) == []


def test_a_mawb_and_its_shipments_say_the_day_the_flight_landed_once_ace_said_so(api, parcels, owner_key):
    mine, _other = parcels
    mawb_id = mine[0].manifest_id
    assert api(owner_key).get(f"/api/v1/mawbs/{mawb_id}/").json()["arrived_on"] is None  # not landed yet
    lifecycle.manifests_arrived([mawb_id], on=date(2026, 11, 19))  # a day early
    assert api(owner_key).get(f"/api/v1/mawbs/{mawb_id}/").json()["arrived_on"] == "2026-11-19"
    shipment = api(owner_key).get(f"/api/v1/shipments/{mine[1].pk}/").json()
    assert (shipment["arrival_date"], shipment["arrived_on"]) == ("2026-11-20", "2026-11-19")
