"""Who gets what, URL by URL: the owner and a colleague at the same organization see an object; an outsider of the same
kind and of every other kind gets 404, exactly as for an object that does not exist (README: another tenant's object
answers 404). The documented exceptions are 403 for someone who may see the object but not use that page: a colleague
who is not an administrator on the API key and webhook pages, a forwarder on the support console.

The crawler in tests/calista/test_isolation.py tries every URL with every id as another tenant; this table says, for the
objects each role holds, who is an insider, and proves the insiders really get the page (so a 404 is not a broken URL).
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.calista.test_isolation import tenant_b, world_a  # noqa: F401 - fixtures this module uses

pytestmark = pytest.mark.django_db

FORWARDER_A = ("owner", "colleague")
OUTSIDERS = ("outsider", "b_forwarder", "b_broker", "b_cfs")  # another forwarder (same broker), and another tenant of each kind


def _ids(forwarder_org, cfs_org):
    from api.models import WebhookDelivery
    from customs.models import Entry, Hold, InfoRequest
    from shipments.models import Manifest, Shipment, Upload

    shipment = Shipment.objects.filter(forwarder=forwarder_org, cfs=cfs_org).order_by("pk").first()
    return {
        "upload": Upload.objects.filter(forwarder=forwarder_org).first().pk,
        "shipment": shipment.pk,
        "manifest": Manifest.objects.filter(forwarder=forwarder_org, cfs=cfs_org).first().pk,
        "entry": Entry.objects.filter(forwarder=forwarder_org).first().pk,
        "hold": Hold.objects.filter(shipment__forwarder=forwarder_org).first().pk,
        "info_request": InfoRequest.objects.filter(shipment__forwarder=forwarder_org).first().pk,
        "delivery": WebhookDelivery.objects.filter(endpoint__organization=forwarder_org).values_list("pk", flat=True).first(),
    }


# (what, URL with {ids}, who gets 200, who gets 403 although the object is in their scope)
TABLE = [
    ("an upload's result page", "/uploads/{upload}/", FORWARDER_A + ("support",), ()),
    ("an upload's progress bars (htmx polling)", "/uploads/{upload}/progress/", FORWARDER_A + ("support",), ()),
    ("an upload's error file", "/uploads/{upload}/errors/", FORWARDER_A + ("support",), ()),
    ("a shipment page", "/shipments/{shipment}/", FORWARDER_A + ("broker", "cfs", "support"), ()),
    ("a shipment's forwarder actions (htmx)", "/shipments/{shipment}/actions/", FORWARDER_A, ("broker", "cfs", "support")),
    ("a shipment's customs panel (htmx)", "/customs/shipments/{shipment}/panel/", ("broker", "support"), ()),
    ("an entry with its ACE messages", "/customs/entries/{entry}/", ("broker", "support"), ()),
    ("a MAWB at its station", "/cfs/mawb/{manifest}/", ("cfs", "support"), ()),
    ("a support timeline", "/boards/support/shipments/{shipment}/", ("support",), FORWARDER_A + ("broker", "cfs")),
    ("an API shipment", "api:/api/v1/shipments/{shipment}/", FORWARDER_A + ("broker", "cfs", "support"), ()),
    ("an API MAWB", "api:/api/v1/mawbs/{manifest}/", FORWARDER_A + ("broker", "cfs", "support"), ()),
    ("an API manifest (upload)", "api:/api/v1/manifests/{upload}/", FORWARDER_A + ("support",), ()),
]


@pytest.fixture
def people(world_a, owner, colleague, outsider, broker_user, cfs_user, support_user, tenant_b):  # noqa: F811
    return {"owner": owner, "colleague": colleague, "outsider": outsider, "broker": broker_user, "cfs": cfs_user,
            "support": support_user, "b_forwarder": tenant_b["forwarder"], "b_broker": tenant_b["broker"], "b_cfs": tenant_b["cfs"]}


def _get(user, url: str):
    if url.startswith("api:"):
        from api.keys import api_key_create

        _key, raw = api_key_create(organization=user.membership.organization, name="table")
        return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}").get(url[4:])
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client.get(url)


@pytest.mark.parametrize(("what", "url", "insiders", "in_scope_but_refused"), TABLE, ids=[row[0] for row in TABLE])
def test_insiders_get_the_object_and_outsiders_of_every_kind_get_404(people, forwarder_org, cfs_org, what, url, insiders,
                                                                     in_scope_but_refused):
    filled = url.format(**_ids(forwarder_org, cfs_org))
    got = {name: _get(user, filled) for name, user in people.items()}
    for name in insiders:
        assert got[name].status_code == 200, (what, name, got[name].status_code)
    for name in in_scope_but_refused:
        assert got[name].status_code == 403, (what, name, got[name].status_code)
    for name in OUTSIDERS:
        assert got[name].status_code == 404, (what, name, got[name].status_code)


def test_an_outsider_forwarder_gets_404_for_another_forwarders_error_file_and_no_byte_of_it(people, forwarder_org, cfs_org):
    response = _get(people["outsider"], "/uploads/{upload}/errors/".format(**_ids(forwarder_org, cfs_org)))
    assert response.status_code == 404 and "attachment" not in response.get("Content-Disposition", "")


def test_the_shipment_list_filtered_by_another_forwarders_mawb_upload_or_hawb_lists_nothing(people, forwarder_org, cfs_org):
    """Ids and numbers in the query string filter within the reader's scope: another tenant's MAWB lists nothing."""
    from shipments.models import Shipment

    ids = _ids(forwarder_org, cfs_org)
    hawb = Shipment.objects.get(pk=ids["shipment"]).hawb
    own = _get(people["owner"], f"/shipments/?q={hawb}")
    assert f">{hawb}</a>".encode() in own.content  # the check below looks for what the owner does see
    for name in OUTSIDERS:
        for url in (f"/shipments/?manifest={ids['manifest']}", f"/shipments/?upload={ids['upload']}", f"/shipments/?q={hawb}"):
            response = _get(people[name], url)
            assert response.status_code == 200 and f">{hawb}</a>".encode() not in response.content, (name, url)
        exported = _get(people[name], f"/shipments/?manifest={ids['manifest']}&export=csv")
        assert hawb.encode() not in b"".join(exported.streaming_content), name


@pytest.mark.parametrize("bad", ["abc", "99999999999999999999", "9223372036854775808", "-1", "٣", "²", "1.0", "0x10", "%20"])
@pytest.mark.parametrize("url", ["/shipments/{}/", "/uploads/{}/errors/", "/uploads/{}/progress/", "/customs/entries/{}/",
                                 "/cfs/mawb/{}/", "/boards/support/shipments/{}/", "/customs/bulk/{}/progress/",
                                 "/api/keys/{}/revoke/", "api:/api/v1/shipments/{}/", "api:/api/v1/manifests/{}/report/"])
def test_a_malformed_id_in_a_url_is_404_never_a_server_error(owner, broker_user, cfs_user, support_user, url, bad):
    for user in (owner, broker_user, cfs_user, support_user):
        response = _get(user, url.format(bad))
        assert response.status_code in (400, 403, 404, 405), (user.username, url.format(bad), response.status_code)
