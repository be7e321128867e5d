"""The station's collection, arrival, breakdown and bulk hand-off by API: its own MAWBs and parcels only."""

import pytest

from cfs.models import Handoff
from shipments.models import Custody
from tests.api.conftest import codes_of, errors_of, fields_of
from tests.cfs.conftest import mawb_at, parcel, release

pytestmark = pytest.mark.django_db


@pytest.fixture
def permitted(forwarder_org, cfs_org):
    """A MAWB of three HAWBs with a permit to transfer to the LAX station."""
    return mawb_at(forwarder_org, cfs_org)


def custody(manifest) -> str:
    manifest.refresh_from_db()
    return manifest.custody


COLLECT = {"driver": "Li Wei", "truck": "CA 7XYZ123", "bonded_carrier": "Bay Bonded Trucking"}


def test_the_station_records_a_collection_and_the_mawb_goes_in_transit(api, permitted, cfs_key):
    response = api(cfs_key).post("/api/v1/mawbs/collect/", {"mawbs": [permitted.pk], **COLLECT}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["moved"] == [permitted.pk] and body["refused"] == [] and body["collection"]
    assert custody(permitted) == Custody.IN_TRANSIT
    event = permitted.shipments.first().events.last()
    assert event.get_actor_display() == "API key" and event.api_key.name == "Test integration"  # not "System"


def test_a_mawb_without_a_permit_is_refused_with_the_reason(api, forwarder_org, cfs_org, cfs_key):
    waiting = mawb_at(forwarder_org, cfs_org, mawb="16011111112", permit=False)
    body = api(cfs_key).post("/api/v1/mawbs/collect/", {"mawbs": [waiting.pk], **COLLECT}, format="json").json()
    assert body["moved"] == [] and body["refused"][0]["mawb"] == waiting.pk and body["collection"] is None


def test_another_stations_mawb_in_a_collection_is_a_field_error(api, permitted, other_cfs_key, cfs_read_key, owner_key):
    response = api(other_cfs_key).post("/api/v1/mawbs/collect/", {"mawbs": [permitted.pk], **COLLECT}, format="json")
    assert response.status_code == 400 and fields_of(response) == ["mawbs[0]"] and codes_of(response) == ["not_found"]
    assert api(cfs_read_key).post("/api/v1/mawbs/collect/", {"mawbs": [permitted.pk], **COLLECT}, format="json").status_code == 403
    response = api(owner_key).post("/api/v1/mawbs/collect/", {"mawbs": [permitted.pk], **COLLECT}, format="json")
    assert response.status_code == 403 and codes_of(response) == ["wrong_organization_kind"]
    assert custody(permitted) == Custody.TRANSFER_AUTHORIZED


def test_a_collection_needs_the_driver_truck_and_carrier(api, permitted, cfs_key):
    response = api(cfs_key).post("/api/v1/mawbs/collect/", {"mawbs": [permitted.pk], "driver": ""}, format="json")
    assert response.status_code == 400 and set(fields_of(response)) == {"driver", "truck", "bonded_carrier"}


def test_arrival_counts_the_pieces_and_a_shortage_needs_a_note(api, permitted, cfs_key, cfs_read_key, other_cfs_key):
    api(cfs_key).post("/api/v1/mawbs/collect/", {"mawbs": [permitted.pk], **COLLECT}, format="json")
    url = f"/api/v1/mawbs/{permitted.pk}/arrival/"
    assert api(other_cfs_key).post(url, {"pieces_received": 3}, format="json").status_code == 404
    assert api(cfs_read_key).post(url, {"pieces_received": 3}, format="json").status_code == 403
    response = api(cfs_key).post(url, {"pieces_received": 2}, format="json")
    assert response.status_code == 409 and codes_of(response) == ["refused"] and "note" in errors_of(response)[0]["message"]
    response = api(cfs_key).post(url, {"pieces_received": 2, "note": "one carton crushed, kept at terminal"}, format="json")
    assert response.status_code == 200
    assert response.json()["difference"] == -1 and response.json()["mawb"]["custody"] == Custody.AT_CFS


def test_a_bad_piece_count_is_a_field_error(api, permitted, cfs_key):
    response = api(cfs_key).post(f"/api/v1/mawbs/{permitted.pk}/arrival/", {"pieces_received": -1}, format="json")
    assert response.status_code == 400 and fields_of(response) == ["pieces_received"]


def test_breakdown_after_arrival_and_not_before(api, permitted, cfs_key, other_cfs_key):
    url = f"/api/v1/mawbs/{permitted.pk}/breakdown/"
    response = api(cfs_key).post(url, {}, format="json")
    assert response.status_code == 409 and codes_of(response) == ["refused"]
    api(cfs_key).post("/api/v1/mawbs/collect/", {"mawbs": [permitted.pk], **COLLECT}, format="json")
    api(cfs_key).post(f"/api/v1/mawbs/{permitted.pk}/arrival/", {"pieces_received": 3}, format="json")
    assert api(other_cfs_key).post(url, {}, format="json").status_code == 404
    assert api(cfs_key).post(url, {"force": True}, format="json").status_code == 400
    response = api(cfs_key).post(url, format="json")
    assert response.status_code == 200 and response.json()["custody"] == Custody.BROKEN_DOWN


@pytest.fixture
def broken_down(api, permitted, cfs_key):
    api(cfs_key).post("/api/v1/mawbs/collect/", {"mawbs": [permitted.pk], **COLLECT}, format="json")
    api(cfs_key).post(f"/api/v1/mawbs/{permitted.pk}/arrival/", {"pieces_received": 3}, format="json")
    api(cfs_key).post(f"/api/v1/mawbs/{permitted.pk}/breakdown/", {}, format="json")
    return permitted


def test_the_station_hands_released_parcels_off_in_bulk_and_hears_why_others_stay(api, broken_down, cfs_key):
    first, second, held_back = (parcel(broken_down, h) for h in ("H0001", "H0002", "H0003"))
    release(first, second)
    items = [{"shipment": first.pk, "tracking_number": "1Z999AA10123456784"},
             {"shipment": second.pk, "tracking_number": "1z999aa1-0123456795"},
             {"shipment": held_back.pk, "tracking_number": "1Z999AA10123456806"}]
    response = api(cfs_key).post("/api/v1/shipments/hand-off/", {"carrier": "UPS", "items": items}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(d["shipment"], d["tracking_number"]) for d in body["handed_off"]] == [(first.pk, "1Z999AA10123456784"),
                                                                                    (second.pk, "1Z999AA10123456795")]
    assert [r["shipment"] for r in body["refused"]] == [held_back.pk] and "released" in body["refused"][0]["reason"]
    assert Handoff.objects.count() == 2


def test_a_hand_off_names_a_known_carrier_and_the_stations_own_parcels_once(api, broken_down, cfs_key, other_cfs_key, cfs_read_key,
                                                                             broker_key):
    first = parcel(broken_down, "H0001")
    release(first)
    item = {"shipment": first.pk, "tracking_number": "1Z999AA10123456784"}
    response = api(cfs_key).post("/api/v1/shipments/hand-off/", {"carrier": "pigeon", "items": [item]}, format="json")
    assert response.status_code == 400 and fields_of(response) == ["carrier"]
    response = api(other_cfs_key).post("/api/v1/shipments/hand-off/", {"carrier": "ups", "items": [item]}, format="json")
    assert response.status_code == 400 and fields_of(response) == ["items[0].shipment"]
    response = api(cfs_key).post("/api/v1/shipments/hand-off/", {"carrier": "ups", "items": [item, item]}, format="json")
    assert response.status_code == 400 and fields_of(response) == ["items[1].shipment"]
    response = api(cfs_key).post("/api/v1/shipments/hand-off/", {"carrier": "ups", "items": [{**item, "label": "x"}]}, format="json")
    assert response.status_code == 400 and fields_of(response) == ["items[0].label"]
    assert api(cfs_read_key).post("/api/v1/shipments/hand-off/", {"carrier": "ups", "items": [item]}, format="json").status_code == 403
    assert api(broker_key).post("/api/v1/shipments/hand-off/", {"carrier": "ups", "items": [item]}, format="json").status_code == 403
    assert Handoff.objects.count() == 0
