"""Every error the API answers has one shape, and its `field` names what was wrong."""

import pytest
from rest_framework.exceptions import ErrorDetail

from api.errors import flatten
from tests.api.conftest import codes_of, errors_of, fields_of

pytestmark = pytest.mark.django_db


def test_an_error_of_a_list_as_a_whole_names_the_list_and_of_the_whole_request_nothing():
    detail = {"items": {"non_field_errors": [ErrorDetail("Ensure this field has at least 1 elements.", code="min_length")]}}
    assert flatten(detail) == [{"code": "min_length", "field": "items", "message": "Ensure this field has at least 1 elements."}]
    assert fields_of_detail({"non_field_errors": [ErrorDetail("Bad request.", code="invalid")]}) == [None]


def test_an_error_of_one_item_as_a_whole_names_the_item():
    detail = {"items": [{}, {"non_field_errors": [ErrorDetail("Bad item.", code="invalid")]}]}
    assert fields_of_detail(detail) == ["items[1]"]


def test_an_empty_hand_off_names_its_items(api, cfs_key):
    response = api(cfs_key).post("/api/v1/shipments/hand-off/", {"carrier": "ups", "items": []}, format="json")
    assert response.status_code == 400 and fields_of(response) == ["items"]


@pytest.mark.parametrize("path", ["/api/v1/shipments/", "/api/v1/manifests/", "/api/v1/mawbs/"])
def test_a_format_the_api_does_not_speak_answers_406_in_its_error_shape(api, owner_key, path):
    response = api(owner_key).get(path, {"format": "xml"})
    assert response.status_code == 406 and response["Content-Type"].startswith("application/json")
    assert codes_of(response) == ["not_acceptable"] and fields_of(response) == ["format"] and errors_of(response)[0]["message"]
    assert api(owner_key).get(path, {"format": "json"}).status_code == 200


def fields_of_detail(detail) -> list:
    return [error["field"] for error in flatten(detail)]
