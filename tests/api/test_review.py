"""The broker's approve, reject and correct by API (and the forwarder's corrections), scoped like the workbench."""

import pytest

from shipments import lifecycle
from shipments.models import CustomsStatus, Shipment
from tests.api.conftest import codes_of, errors_of, fields_of
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(forwarder_org):
    """Two parcels of the broker's client waiting for review, and one already approved."""
    mawb = manifest_for(forwarder_org)
    parcels = [shipment_for(mawb, hawb=f"H000{i}") for i in (1, 2, 3)]
    lifecycle.shipments_approve([parcels[2].pk], actor=lifecycle.SYSTEM)
    return parcels


def status(shipment) -> str:
    return Shipment.objects.get(pk=shipment.pk).status


def test_the_broker_approves_its_clients_shipments_and_hears_which_could_not_move(api, waiting, broker_key):
    response = api(broker_key).post("/api/v1/shipments/approve/", {"shipments": [s.pk for s in waiting]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["moved"] == [waiting[0].pk, waiting[1].pk]
    assert [r["shipment"] for r in body["refused"]] == [waiting[2].pk] and "Approved" in body["refused"][0]["reason"]
    assert status(waiting[0]) == CustomsStatus.APPROVED


def test_an_approval_through_the_api_names_the_key_on_the_timeline(api, client, waiting, broker_key, broker_user, owner):
    api(broker_key).post("/api/v1/shipments/approve/", {"shipments": [waiting[0].pk]}, format="json")
    event = Shipment.objects.get(pk=waiting[0].pk).events.last()
    assert (event.actor, event.api_key.name, event.api_key.prefix in broker_key) == ("api", "Test integration", True)
    client.force_login(owner)
    page = client.get(f"/shipments/{waiting[0].pk}/").content.decode()
    assert f"API key · Test integration ({event.api_key.prefix})" in page


def test_the_key_acts_only_during_its_own_request(api, client, waiting, broker_key, broker_user):
    api(broker_key).post("/api/v1/shipments/approve/", {"shipments": [waiting[0].pk]}, format="json")
    client.force_login(broker_user)
    client.post("/customs/queue/act/", {"action": "approve", "ids": [waiting[1].pk]})
    event = Shipment.objects.get(pk=waiting[1].pk).events.last()
    assert (event.actor, event.user, event.api_key_id) == ("user", broker_user, None)


def test_the_broker_rejects_with_a_reason_the_forwarder_reads(api, waiting, broker_key):
    response = api(broker_key).post("/api/v1/shipments/reject/", {"shipments": [waiting[0].pk], "reason": "Invoice missing"},
                                    format="json")
    assert response.json() == {"moved": [waiting[0].pk], "refused": []}
    assert Shipment.objects.get(pk=waiting[0].pk).events.last().message == "Invoice missing"


def test_a_reject_without_a_reason_is_a_field_error(api, waiting, broker_key):
    response = api(broker_key).post("/api/v1/shipments/reject/", {"shipments": [waiting[0].pk], "reason": "  "}, format="json")
    assert response.status_code == 400 and fields_of(response) == ["reason"]
    assert status(waiting[0]) == CustomsStatus.RECEIVED


def test_a_read_only_broker_key_cannot_approve(api, waiting, broker_read_key):
    response = api(broker_read_key).post("/api/v1/shipments/approve/", {"shipments": [waiting[0].pk]}, format="json")
    assert response.status_code == 403 and status(waiting[0]) == CustomsStatus.RECEIVED


def test_another_brokers_ids_in_the_body_are_field_errors_and_nothing_moves(api, waiting, other_broker_key, broker_key,
                                                                             other_forwarder_org):
    response = api(other_broker_key).post("/api/v1/shipments/approve/", {"shipments": [waiting[0].pk]}, format="json")
    assert response.status_code == 400
    assert errors_of(response)[0]["field"] == "shipments[0]" and codes_of(response) == ["not_found"]
    response = api(other_broker_key).post("/api/v1/shipments/reject/", {"shipments": [waiting[0].pk], "reason": "x"}, format="json")
    assert response.status_code == 400 and fields_of(response) == ["shipments[0]"]
    assert api(other_broker_key).get(f"/api/v1/shipments/{waiting[0].pk}/").status_code == 404
    foreign = shipment_for(manifest_for(other_forwarder_org, mawb="16099999990", broker=None), hawb="X0001")
    response = api(broker_key).post("/api/v1/shipments/approve/", {"shipments": [waiting[0].pk, foreign.pk, 10**9]}, format="json")
    assert fields_of(response) == ["shipments[1]", "shipments[2]"]
    assert status(waiting[0]) == CustomsStatus.RECEIVED


def test_only_a_broker_approves_or_rejects(api, waiting, owner_key, cfs_key):
    for key in (owner_key, cfs_key):
        for path in ("/api/v1/shipments/approve/", "/api/v1/shipments/reject/"):
            response = api(key).post(path, {"shipments": [waiting[0].pk], "reason": "x"}, format="json")
            assert response.status_code == 403 and codes_of(response) == ["wrong_organization_kind"]


@pytest.mark.parametrize(("body", "field"), [
    ({}, "shipments"), ({"shipments": []}, "shipments"), ({"shipments": ["one"]}, "shipments[0]"),
    ({"shipments": list(range(1, 502))}, "shipments"), ({"shipments": [1], "note": "x"}, "note"), ({"shipments": [0]}, "shipments[0]"),
])
def test_a_bad_selection_is_a_field_error(api, waiting, broker_key, body, field):
    response = api(broker_key).post("/api/v1/shipments/approve/", body, format="json")
    assert response.status_code == 400 and fields_of(response)[0] == field


def test_the_broker_corrects_a_field_and_the_entry_is_decided_again(api, waiting, broker_key):
    response = api(broker_key).post(f"/api/v1/shipments/{waiting[0].pk}/correct/", {"field": "hts_code", "value": "6109.10.0012"},
                                    format="json")
    assert response.status_code == 200
    assert response.json() == {"field": "hts_code", "old": "3926909985", "new": "6109100012"}


def test_a_correction_that_fails_the_manifest_checks_answers_with_the_specs_code(api, waiting, broker_key):
    response = api(broker_key).post(f"/api/v1/shipments/{waiting[0].pk}/correct/", {"field": "consignee_zip", "value": "ABCDE"},
                                    format="json")
    assert response.status_code == 400
    assert errors_of(response)[0]["code"] == "R_ZIP" and fields_of(response) == ["value"]


def test_a_correction_the_status_no_longer_allows_answers_409(api, waiting, broker_key):
    lifecycle.shipments_file({"BRK00000011": [waiting[2].pk]})
    response = api(broker_key).post(f"/api/v1/shipments/{waiting[2].pk}/correct/", {"field": "description", "value": "Phone case"},
                                    format="json")
    assert response.status_code == 409 and codes_of(response) == ["refused"]


def test_the_forwarder_corrects_its_own_parcel_but_not_the_entry_type_and_an_outsider_gets_404(api, waiting, owner_key,
                                                                                              colleague_key, outsider_key):
    url = f"/api/v1/shipments/{waiting[0].pk}/correct/"
    response = api(owner_key).post(url, {"field": "description", "value": "Silicone phone cover"}, format="json")
    assert response.status_code == 200 and response.json()["new"] == "Silicone phone cover"
    response = api(owner_key).post(url, {"field": "entry_type", "value": "01"}, format="json")
    assert response.status_code == 400 and fields_of(response) == ["field"]
    assert api(colleague_key).post(url, {"field": "description", "value": "x"}, format="json").status_code == 403
    assert api(outsider_key).post(url, {"field": "description", "value": "x"}, format="json").status_code == 404


def test_the_broker_may_choose_a_stricter_entry_type_only(api, waiting, broker_key):
    url = f"/api/v1/shipments/{waiting[0].pk}/correct/"
    assert api(broker_key).post(url, {"field": "entry_type", "value": "01"}, format="json").status_code == 200
    response = api(broker_key).post(url, {"field": "entry_type", "value": "86"}, format="json")
    assert response.status_code == 400 and fields_of(response) == ["value"]


def test_a_correction_names_a_known_field(api, waiting, broker_key):
    response = api(broker_key).post(f"/api/v1/shipments/{waiting[0].pk}/correct/", {"field": "status", "value": "released"},
                                    format="json")
    assert response.status_code == 400 and codes_of(response) == ["invalid_choice"] and status(waiting[0]) == "received"
