"""The broker's workbench and the forwarder's replies as pages: who may see and do what, and what bad input gets."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone

from accounts.models import Notification
from calista import clocks
from customs import filing, review
from customs.models import Entry, Hold, HoldAction, InfoRequest
from shipments.models import Shipment, ShipmentEvent
from tests.customs.test_filing import file_everything, ingest
from tests.customs.test_review import waiting  # noqa: F401 - the waiting fixture is used by name
from tests.factories import OrganizationFactory, UserFactory, manifest_for, member, shipment_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(forwarder_org, broker_org, broker_user):
    """A client's shipment waiting for review, another one approved into an entry, one on hold, and a question asked."""
    waiting_one, in_entry, on_hold = waiting(forwarder_org, 3)
    review.review_approve(broker=broker_org, user=broker_user, shipment_ids=[in_entry.pk])
    filing.entries_build(broker=broker_org)
    Shipment.objects.filter(pk=on_hold.pk).update(status="on_hold", open_holds=1)
    hold = Hold.objects.create(shipment=on_hold, agency="FDA", code="FH", placed_at=timezone.now())
    question = review.info_request_ask(broker=broker_org, user=broker_user, shipment_id=waiting_one.pk, question="Fabric?",
                                       deadline=clocks.airport_today("LAX"))
    return {"shipment": Shipment.objects.get(pk=waiting_one.pk), "entry": Entry.objects.get(), "hold": hold, "question": question}


@pytest.fixture
def cfs_member(db):
    return member(UserFactory(username="cfs-person"), OrganizationFactory(kind="cfs", slug="cfs-x", airport="LAX", firms_code="X101"))


def as_user(client, user):
    client.force_login(user)
    return client


FORWARDERS = ("owner", "colleague", "outsider")


# --- Who may open the broker's pages ----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/customs/queue/", "/customs/rejections/", "/customs/holds/", "/customs/requests/"])
def test_the_workbench_lists_open_for_brokers_and_support_and_are_forbidden_to_others(request, client, case, url, broker_user,
                                                                                       other_broker_user, support_user, cfs_member):
    for user in (broker_user, other_broker_user, support_user):
        assert as_user(client, user).get(url).status_code == 200, (url, user)
    for user in [request.getfixturevalue(name) for name in FORWARDERS] + [cfs_member]:
        assert as_user(client, user).get(url).status_code == 403, (url, user)


def object_urls(case) -> list[str]:
    shipment = case["shipment"]
    return [f"/customs/shipments/{shipment.pk}/panel/", f"/customs/entries/{case['entry'].pk}/"]


def test_a_shipment_panel_and_an_entry_are_read_by_the_broker_and_support_404_for_another_broker(request, client, case, broker_user,
                                                                                               other_broker_user, support_user):
    for url in object_urls(case):
        assert as_user(client, broker_user).get(url).status_code == 200, url
        assert as_user(client, support_user).get(url).status_code == 200, url
        assert as_user(client, other_broker_user).get(url).status_code == 404, url
        for name in FORWARDERS:  # the broker's pages about an object do not exist for a forwarder
            assert as_user(client, request.getfixturevalue(name)).get(url).status_code == 404, (url, name)


def post_urls(case) -> list[tuple[str, dict]]:
    shipment, hold = case["shipment"], case["hold"]
    return [
        ("/customs/queue/act/", {"action": "approve", "ids": [shipment.pk]}),
        ("/customs/queue/file/", {}),
        ("/customs/rejections/refile/", {"ids": [shipment.pk]}),
        (f"/customs/holds/{hold.pk}/action/", {"note": "Called FDA"}),
        (f"/customs/holds/{hold.pk}/close/", {"outcome": "released"}),
        (f"/customs/shipments/{shipment.pk}/decide/", {"action": "approve"}),
        (f"/customs/shipments/{shipment.pk}/correct/", {"field": "description", "value": "Phone case"}),
        (f"/customs/shipments/{shipment.pk}/refile/", {}),
        (f"/customs/shipments/{shipment.pk}/ask/", {"question": "Invoice?", "deadline": clocks.airport_today("LAX").isoformat()}),
    ]


def test_support_and_forwarders_cannot_act_on_the_workbench(request, client, case, support_user, cfs_member):
    before = ShipmentEvent.objects.count(), HoldAction.objects.count(), InfoRequest.objects.count()
    for url, data in post_urls(case):
        about_an_object = "/holds/" in url or "/shipments/" in url
        assert as_user(client, support_user).post(url, data).status_code == 403, url  # support reads, never acts
        for user in [cfs_member, *(request.getfixturevalue(name) for name in FORWARDERS)]:
            assert as_user(client, user).post(url, data).status_code == (404 if about_an_object else 403), (url, user)
    assert (ShipmentEvent.objects.count(), HoldAction.objects.count(), InfoRequest.objects.count()) == before


def test_another_broker_gets_404_for_a_shipment_or_hold_it_does_not_broker(client, case, other_broker_user):
    client = as_user(client, other_broker_user)
    for url, data in post_urls(case):
        if "/shipments/" in url or "/holds/" in url:
            assert client.post(url, data).status_code == 404, url
    response = client.post("/customs/queue/act/", {"action": "approve", "ids": [case["shipment"].pk]})
    assert response.status_code == 400 and "not in your queue" in response.content.decode()
    assert Shipment.objects.get(pk=case["shipment"].pk).status == "received"


def test_the_entries_and_messages_are_not_the_forwarders_to_read(client, case, owner):
    assert as_user(client, owner).get(f"/customs/entries/{case['entry'].pk}/").status_code == 404


# --- The queue -------------------------------------------------------------------------------------------


@pytest.fixture
def queue(forwarder_org, other_forwarder_org, other_broker_org):
    lax = manifest_for(forwarder_org, mawb="16012345675", airport="LAX")
    jfk = manifest_for(other_forwarder_org, mawb="16012345686", airport="JFK", flight_number="CA981",
                       arrival_date=timezone.localdate() + timedelta(days=3))
    foreign = manifest_for(forwarder_org, mawb="16012345690", broker=other_broker_org)
    return {
        "plain": shipment_for(lax, hawb="LAXPLAIN"),
        "tea": shipment_for(lax, hawb="LAXTEA", pga=["FDA"], hts_code="0902100000", entry_type="01",
                            reasons=["DM_SUSPENDED", "INFORMAL_LIMIT_OVER"]),
        "jfk": shipment_for(jfk, hawb="JFKTOY", pga=["CPSC"], entry_type="86", reasons=["DM_ELIGIBLE"]),
        "approved": shipment_for(lax, hawb="LAXDONE", status="approved"),
        "foreign": shipment_for(foreign, hawb="NOTMINE"),
    }


def listed(client, query="") -> set[str]:
    page = client.get(f"/customs/queue/{query}")
    assert page.status_code == 200
    return {s.hawb for s in page.context["page"]}


def test_the_queue_shows_what_waits_for_review_from_the_brokers_clients_only(client, queue, broker_user):
    client = as_user(client, broker_user)
    assert listed(client) == {"LAXPLAIN", "LAXTEA", "JFKTOY"}
    page = client.get("/customs/queue/").content.decode()
    assert "NOTMINE" not in page and "16012345690" not in page
    assert "The consignee&#x27;s goods on this flight are worth more than $2,500" in page  # the decision's reasons, in words


@pytest.mark.parametrize(("query", "expected"), [
    ("?airport=JFK&status=received", {"JFKTOY"}),
    ("?entry_type=01&status=received", {"LAXTEA"}),
    ("?code=INFORMAL_LIMIT_OVER&status=received", {"LAXTEA"}),
    ("?code=DM_ELIGIBLE&status=received", {"JFKTOY"}),
    ("?pga=FDA&status=received", {"LAXTEA"}),
    ("?pga=any&status=received", {"LAXTEA", "JFKTOY"}),
    ("?pga=none&status=received", {"LAXPLAIN"}),
    ("?status=approved", {"LAXDONE"}),
    ("?status=", {"LAXPLAIN", "LAXTEA", "JFKTOY", "LAXDONE"}),
    ("?q=160-12345686&status=received", {"JFKTOY"}),
    ("?status=nonsense", {"LAXPLAIN", "LAXTEA", "JFKTOY"}),  # a wrong filter falls back to the queue proper
])
def test_the_queue_filters_by_airport_entry_type_reason_pga_status_and_number(client, queue, broker_user, query, expected):
    assert listed(as_user(client, broker_user), query) == expected


def test_the_queue_filters_by_arrival_date(client, queue, broker_user):
    day = (timezone.localdate() + timedelta(days=3)).isoformat()
    assert listed(as_user(client, broker_user), f"?arrival={day}&status=received") == {"JFKTOY"}
    assert listed(client, "?arrival=not-a-date&status=received") == {"LAXPLAIN", "LAXTEA", "JFKTOY"}


def test_the_queue_groups_shipments_by_mawb_with_counts(client, queue, broker_user):
    page = as_user(client, broker_user).get("/customs/queue/")
    counts = {m["mawb"]: m["count"] for m in page.context["manifests"]}
    assert counts == {"16012345675": 2, "16012345686": 1}


def test_support_reads_the_queue_without_the_buttons(client, queue, support_user):
    page = as_user(client, support_user).get("/customs/queue/").content.decode()
    assert "LAXPLAIN" in page and "NOTMINE" in page
    assert 'data-testid="approve-selected"' not in page and 'data-testid="file-approved"' not in page


# --- Acting from the queue --------------------------------------------------------------------------------


def test_the_broker_approves_the_ticked_shipments_at_once(client, queue, broker_user):
    response = as_user(client, broker_user).post("/customs/queue/act/", {
        "action": "approve", "ids": [queue["plain"].pk, queue["tea"].pk], "next": "/customs/queue/?status=received"})
    assert response.status_code == 302 and response.url == "/customs/queue/?status=received"
    assert Shipment.objects.get(pk=queue["plain"].pk).status == "approved"
    assert "2 shipments approved." in client.get(response.url).content.decode()


def test_a_rejection_without_a_reason_is_refused_and_changes_nothing(client, queue, broker_user):
    response = as_user(client, broker_user).post("/customs/queue/act/", {"action": "reject", "ids": [queue["plain"].pk], "reason": ""})
    assert response.status_code == 400 and "Please give a reason." in response.content.decode()
    assert Shipment.objects.get(pk=queue["plain"].pk).status == "received"


def test_a_selection_with_another_tenants_shipment_changes_nothing(client, queue, broker_user):
    response = as_user(client, broker_user).post("/customs/queue/act/", {
        "action": "approve", "ids": [queue["plain"].pk, queue["foreign"].pk]})
    assert response.status_code == 400
    assert "1 selected shipment is not in your queue; nothing was changed." in response.content.decode()
    assert set(Shipment.objects.values_list("status", flat=True)) == {"received", "approved"}
    assert Shipment.objects.get(pk=queue["plain"].pk).status == "received"


def test_a_huge_selection_is_refused_clearly(client, queue, broker_user):
    client = as_user(client, broker_user)
    response = client.post("/customs/queue/act/", {"action": "approve", "ids": [str(i) for i in range(1, 600)]})
    assert response.status_code == 400 and "At most 500 shipments can be selected at once" in response.content.decode()
    response = client.post("/customs/queue/act/", {"action": "approve", "ids": [str(i) for i in range(1, 5000)]})
    assert response.status_code == 400 and "The selection is too large" in response.content.decode()
    response = client.post("/customs/queue/act/", {"action": "approve", "ids": ["1", "x"]})
    assert response.status_code == 400 and "not a list of shipments" in response.content.decode()
    assert Shipment.objects.filter(status="approved").count() == 1


def test_approving_a_whole_mawb_runs_in_the_background_with_a_progress_bar(client, queue, broker_user,
                                                                             django_capture_on_commit_callbacks):
    client = as_user(client, broker_user)
    manifest = queue["plain"].manifest_id
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/customs/queue/act/", {"scope": "mawb", "manifest": manifest, "status": "received",
                                                        "action": "approve", "next": "/customs/queue/"})
    assert response.status_code == 302 and response.url.startswith("/customs/bulk/")
    assert parse_qs(urlparse(response.url).query)["next"] == ["/customs/queue/"]
    assert set(Shipment.objects.filter(manifest_id=manifest).values_list("status", flat=True)) == {"approved"}
    page = client.get(response.url).content.decode()
    assert 'data-testid="bulk-done"' in page and "2 shipments changed." in page and 'data-progress="100"' in page
    fragment = client.get(urlparse(response.url).path + "progress/")
    assert fragment.status_code == 286  # htmx stops polling
    assert Shipment.objects.get(pk=queue["jfk"].pk).status == "received"  # another MAWB: untouched


# --- What the broker saw is what the broker approves ---------------------------------------------------------


def queue_seen_at(client) -> str:
    page = client.get("/customs/queue/")
    seen_at = page.context["seen_at"]
    assert f'name="seen_at" value="{seen_at}"' in page.content.decode()
    return seen_at


def test_a_selection_corrected_after_the_page_was_opened_is_not_approved(client, queue, broker_user):
    client = as_user(client, broker_user)
    seen_at = queue_seen_at(client)
    review.decisions_recompute(shipment_ids=[queue["tea"].pk])  # a correction decides the shipment again
    response = client.post("/customs/queue/act/", {"action": "approve", "ids": [queue["plain"].pk, queue["tea"].pk],
                                                    "seen_at": seen_at})
    assert response.status_code == 400
    assert "Nothing was changed: a shipment was corrected or added after you opened this page (LAXTEA)" in response.content.decode()
    assert Shipment.objects.get(pk=queue["plain"].pk).status == "received"
    response = client.post("/customs/queue/act/", {"action": "approve", "ids": [queue["plain"].pk, queue["tea"].pk],
                                                    "seen_at": queue_seen_at(client)})  # the page opened again
    assert response.status_code == 302 and Shipment.objects.filter(hawb__in=["LAXPLAIN", "LAXTEA"], status="approved").count() == 2


def test_approving_a_mawb_refuses_rows_the_forwarder_added_after_the_page_was_opened(client, queue, broker_user):
    client = as_user(client, broker_user)
    seen_at = queue_seen_at(client)
    late = shipment_for(queue["plain"].manifest, hawb="LAXLATE")  # the fix loop adds a row to the MAWB
    response = client.post("/customs/queue/act/", {"scope": "mawb", "manifest": late.manifest_id, "status": "received",
                                                    "action": "approve", "seen_at": seen_at})
    assert response.status_code == 400 and "(LAXLATE)" in response.content.decode()
    assert not Shipment.objects.filter(manifest_id=late.manifest_id, status="approved").exclude(hawb="LAXDONE").exists()


def test_the_shipment_page_approves_only_the_shipment_it_showed(client, queue, broker_user):
    client = as_user(client, broker_user)
    shipment = queue["plain"]
    detail = client.get(f"/shipments/{shipment.pk}/")
    seen_at = detail.context["seen_at"]
    panel = client.get(f"/customs/shipments/{shipment.pk}/panel/", {"seen_at": seen_at}).content.decode()
    assert panel.count(f'name="seen_at" value="{seen_at}"') >= 2  # approve and reject
    review.decisions_recompute(shipment_ids=[shipment.pk])
    response = client.post(f"/customs/shipments/{shipment.pk}/decide/", {"action": "approve", "seen_at": seen_at})
    assert response.status_code == 400 and "after you opened this page (LAXPLAIN)" in response.content.decode()
    assert Shipment.objects.get(pk=shipment.pk).status == "received"


def test_a_form_with_a_broken_seen_at_is_refused_and_one_without_it_acts(client, queue, broker_user):
    client = as_user(client, broker_user)
    response = client.post("/customs/queue/act/", {"action": "approve", "ids": [queue["plain"].pk], "seen_at": "yesterday"})
    assert response.status_code == 400 and "This page is out of date: reload it" in response.content.decode()
    assert client.post("/customs/queue/act/", {"action": "approve", "ids": [queue["plain"].pk]}).status_code == 302
    assert Shipment.objects.get(pk=queue["plain"].pk).status == "approved"


def test_a_mawb_of_another_broker_is_refused(client, queue, broker_user):
    response = as_user(client, broker_user).post("/customs/queue/act/", {
        "scope": "mawb", "manifest": queue["foreign"].manifest_id, "status": "received", "action": "approve"})
    assert response.status_code == 400 and "This MAWB is not in your queue" in response.content.decode()
    assert Shipment.objects.get(pk=queue["foreign"].pk).status == "received"


def test_rejecting_everything_matching_the_filter_needs_a_reason_and_then_tells_each_forwarder(client, queue, broker_user, owner,
                                                                                                outsider,
                                                                                                django_capture_on_commit_callbacks):
    client = as_user(client, broker_user)
    response = client.post("/customs/queue/act/?scope=filter", {"action": "reject", "status": "received", "reason": ""})
    assert response.status_code == 400 and Shipment.objects.filter(status="rejected").count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/customs/queue/act/?scope=filter", {"action": "reject", "status": "received", "pga": "any",
                                                                    "reason": "Commercial invoice needed"})
    assert response.status_code == 302
    assert set(Shipment.objects.filter(status="rejected").values_list("hawb", flat=True)) == {"LAXTEA", "JFKTOY"}
    assert "Commercial invoice needed" in Notification.objects.get(user=owner).message
    assert "Commercial invoice needed" in Notification.objects.get(user=outsider).message  # the other client forwarder's own


def test_a_bulk_job_of_another_broker_answers_404(request, client, queue, broker_user, other_broker_user, support_user,
                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        url = as_user(client, broker_user).post("/customs/queue/act/?scope=filter", {"action": "approve", "status": "received"}).url
    path = urlparse(url).path
    assert as_user(client, other_broker_user).get(path).status_code == 404
    assert client.get(path + "progress/").status_code == 404
    assert as_user(client, support_user).get(path).status_code == 200
    assert as_user(client, broker_user).get("/customs/bulk/12345/").status_code == 404
    for name in FORWARDERS:
        for page in (path, path + "progress/"):
            assert as_user(client, request.getfixturevalue(name)).get(page).status_code == 404, (name, page)


@pytest.mark.usefixtures("ace")
def test_the_file_button_files_every_approved_entry(client, queue, broker_user, django_capture_on_commit_callbacks):
    client = as_user(client, broker_user)
    assert 'data-testid="file-approved"' in client.get("/customs/queue/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/customs/queue/file/", {"next": "/customs/queue/"})
    assert response.status_code == 302
    assert Shipment.objects.get(pk=queue["approved"].pk).status in ("accepted", "released")
    assert Shipment.objects.get(pk=queue["foreign"].pk).entry_id is None
    assert "1 approved shipment is being filed with ACE." in client.get("/customs/queue/").content.decode()


def test_a_broker_that_files_on_approval_has_no_file_button(client, queue, broker_user, broker_org):
    broker_org.auto_file = True
    broker_org.save()
    page = as_user(client, broker_user).get("/customs/queue/").content.decode()
    assert 'data-testid="file-approved"' not in page and "Entries are filed on approval" in page


def test_a_next_address_outside_the_portal_is_ignored(client, queue, broker_user):
    response = as_user(client, broker_user).post("/customs/queue/act/", {"action": "approve", "ids": [queue["plain"].pk],
                                                                         "next": "https://evil.example/"})
    assert response.url == "/customs/queue/"


# --- One shipment -----------------------------------------------------------------------------------------


def test_the_shipment_page_loads_the_customs_block_for_brokers_and_the_actions_block_for_its_forwarder(client, case, broker_user,
                                                                                                       owner):
    shipment = case["shipment"]
    page = as_user(client, broker_user).get(f"/shipments/{shipment.pk}/").content.decode()
    assert f'hx-get="/customs/shipments/{shipment.pk}/panel/?seen_at=' in page and "js/workbench.js" in page
    page = as_user(client, owner).get(f"/shipments/{shipment.pk}/").content.decode()
    assert f'hx-get="/shipments/{shipment.pk}/actions/"' in page and "/panel/" not in page


def test_the_broker_approves_rejects_and_cancels_one_shipment(client, case, broker_user, owner):
    shipment = case["shipment"]
    client = as_user(client, broker_user)
    url = f"/customs/shipments/{shipment.pk}/decide/"
    response = client.post(url, {"action": "reject", "reason": ""})
    assert response.status_code == 400 and "Please give a reason." in response.content.decode()
    assert client.post(url, {"action": "reject", "reason": "Invoice missing"}).status_code == 302
    assert Shipment.objects.get(pk=shipment.pk).status == "rejected"
    response = client.post(url, {"action": "approve"})
    assert response.status_code == 400 and "cannot go from Rejected by broker to Approved" in response.content.decode()
    assert client.post(url, {"action": "cancel", "reason": "Duplicate parcel"}).status_code == 302
    assert Shipment.objects.get(pk=shipment.pk).status == "cancelled"
    assert client.post(url, {"action": "launch"}).status_code == 400


def test_the_broker_corrects_a_field_and_bad_corrections_are_refused(client, case, broker_user):
    shipment = case["shipment"]
    client = as_user(client, broker_user)
    url = f"/customs/shipments/{shipment.pk}/correct/"
    for data, message in (({"field": "status", "value": "released"}, "This field cannot be corrected."),
                          ({"field": "hts_code", "value": "12"}, "The HTS code must have 10 digits."),
                          ({"field": "entry_type", "value": "86"}, "Type 86 is not allowed")):
        response = client.post(url, data)
        assert response.status_code == 400 and message in response.content.decode(), data
    assert not ShipmentEvent.objects.filter(shipment=shipment, data__has_key="field").exists()
    response = client.post(url, {"field": "hts_code", "value": "3926.90.9910"})
    assert response.status_code == 302
    assert ShipmentEvent.objects.get(shipment=shipment, data__field="hts_code").data == {
        "field": "hts_code", "old": "3926909985", "new": "3926909910"}


def test_the_broker_asks_with_a_deadline_that_is_not_in_the_past(client, case, broker_user, owner):
    shipment = case["shipment"]
    client = as_user(client, broker_user)
    url = f"/customs/shipments/{shipment.pk}/ask/"
    yesterday = (clocks.airport_today("LAX") - timedelta(days=1)).isoformat()
    response = client.post(url, {"question": "Invoice?", "deadline": yesterday})
    assert response.status_code == 400 and "The deadline is in the past" in response.content.decode()
    response = client.post(url, {"question": "Invoice?", "deadline": "next week"})
    assert response.status_code == 400 and "Enter a valid date." in response.content.decode()
    assert InfoRequest.objects.count() == 1
    assert client.post(url, {"question": "Invoice?", "deadline": clocks.airport_today("LAX").isoformat()}).status_code == 302
    assert InfoRequest.objects.count() == 2


@pytest.mark.usefixtures("ace")
def test_the_panel_shows_the_broker_actions_and_the_ace_messages_explained(client, broker_user, support_user, broker_org,
                                                                            forwarder_org):
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    one = shipments.first()
    Shipment.objects.filter(pk=one.pk).update(entry_type="86", reasons=["DM_ELIGIBLE"])
    review.review_approve(broker=broker_org, user=broker_user, shipment_ids=[one.pk])
    file_everything(broker_org)
    page = as_user(client, broker_user).get(f"/customs/shipments/{one.pk}/panel/").content.decode()
    assert 'data-testid="ace-rejection"' in page and "181" in page
    assert "STATUS=REJECTED|CODES=181" in page and 'data-testid="refile"' in page and 'data-testid="correct-form"' in page
    assert 'data-current="86"' in page  # the correction form shows the current value of the chosen field
    page = as_user(client, support_user).get(f"/customs/shipments/{one.pk}/panel/").content.decode()
    assert "STATUS=REJECTED|CODES=181" in page and 'data-testid="broker-actions"' not in page
    entry = as_user(client, broker_user).get(f"/customs/entries/{Shipment.objects.get(pk=one.pk).entry_id}/").content.decode()
    assert "Rejected by ACE" in entry and "STATUS=REJECTED|CODES=181" in entry and one.hawb in entry


@pytest.mark.usefixtures("ace")
def test_the_rejection_queue_lists_what_ace_refused_and_refiles_a_selection(client, broker_user, broker_org, forwarder_org,
                                                                            django_capture_on_commit_callbacks):
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    one = shipments.first()
    Shipment.objects.filter(pk=one.pk).update(entry_type="86", reasons=["DM_ELIGIBLE"])
    review.review_approve(broker=broker_org, user=broker_user, shipment_ids=[one.pk])
    file_everything(broker_org)
    client = as_user(client, broker_user)
    page = client.get("/customs/rejections/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f'data-testid="rejection-{one.hawb}"' in page and "181" in page
    client.post(f"/customs/shipments/{one.pk}/correct/", {"field": "entry_type", "value": "11"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/customs/rejections/refile/", {"ids": [one.pk]})
    assert response.status_code == 302
    assert Shipment.objects.get(pk=one.pk).status in ("accepted", "released")
    response = client.post("/customs/rejections/refile/", {"ids": []})
    assert response.status_code == 400 and "Select at least one shipment." in response.content.decode()


def test_the_broker_works_a_hold_from_the_queue(client, case, broker_user):
    hold = case["hold"]
    client = as_user(client, broker_user)
    page = client.get("/customs/holds/").content.decode()
    assert f'data-testid="hold-{hold.shipment.hawb}"' in page and "FDA" in page
    assert client.post(f"/customs/holds/{hold.pk}/action/", {"note": ""}).status_code == 400
    assert client.post(f"/customs/holds/{hold.pk}/action/", {"note": "Prior notice sent"}).status_code == 302
    assert client.post(f"/customs/holds/{hold.pk}/close/", {"outcome": "kept"}).status_code == 400
    assert client.post(f"/customs/holds/{hold.pk}/close/", {"outcome": "released"}).status_code == 302
    assert Shipment.objects.get(pk=hold.shipment_id).status == "accepted"
    assert client.post(f"/customs/holds/{hold.pk}/close/", {"outcome": "released"}).status_code == 400


def test_a_note_with_a_nul_character_is_refused_and_nothing_is_recorded(client, case, broker_user):
    hold = case["hold"]
    response = as_user(client, broker_user).post(f"/customs/holds/{hold.pk}/action/", {"note": "Prior\x00notice"})
    assert response.status_code == 400 and "NUL" in response.content.decode()
    assert not HoldAction.objects.filter(hold=hold).exists()
    assert client.post(f"/customs/holds/{hold.pk}/close/", {"outcome": "released", "note": "\x00"}).status_code == 400
    assert Hold.objects.get(pk=hold.pk).removed_at is None


# --- The forwarder's side -----------------------------------------------------------------------------------


def forwarder_urls(case) -> list[tuple[str, dict]]:
    shipment, question = case["shipment"], case["question"]
    return [
        (f"/shipments/{shipment.pk}/correct/", {"field": "description", "value": "Phone case"}),
        (f"/shipments/{shipment.pk}/resubmit/", {}),
        (f"/shipments/{shipment.pk}/cancel/", {"reason": "Sold out"}),
        (f"/requests/{question.pk}/answer/", {"answer": "Cotton"}),
    ]


def test_the_forwarders_actions_are_for_its_own_people_only(client, case, owner, colleague, outsider, broker_user, other_broker_user,
                                                            support_user):
    shipment = case["shipment"]
    for user in (owner, colleague):
        assert as_user(client, user).get(f"/shipments/{shipment.pk}/actions/").status_code == 200
    for user in (outsider, other_broker_user):
        assert as_user(client, user).get(f"/shipments/{shipment.pk}/actions/").status_code == 404
    for user in (broker_user, support_user):
        assert as_user(client, user).get(f"/shipments/{shipment.pk}/actions/").status_code == 403
    before = ShipmentEvent.objects.count()
    for url, data in forwarder_urls(case):
        assert as_user(client, outsider).post(url, data).status_code == 404, url
        assert as_user(client, other_broker_user).post(url, data).status_code == 404, url
        assert as_user(client, broker_user).post(url, data).status_code == 403, url
        assert as_user(client, support_user).post(url, data).status_code == 403, url
    assert ShipmentEvent.objects.count() == before


def test_the_forwarder_sees_the_brokers_reason_corrects_and_resubmits(client, case, owner, colleague, broker_user, broker_org):
    shipment = case["shipment"]
    review.review_reject(broker=broker_org, user=broker_user, shipment_ids=[shipment.pk], reason="HTS looks wrong")
    client = as_user(client, colleague)
    panel = client.get(f"/shipments/{shipment.pk}/actions/").content.decode()
    assert "HTS looks wrong" in panel and 'data-testid="resubmit"' in panel
    response = client.post(f"/shipments/{shipment.pk}/correct/", {"field": "hts_code", "value": "ABC"})
    assert response.status_code == 400 and "The HTS code must have 10 digits." in response.content.decode()
    assert client.post(f"/shipments/{shipment.pk}/correct/", {"field": "entry_type", "value": "01"}).status_code == 400
    assert client.post(f"/shipments/{shipment.pk}/correct/", {"field": "hts_code", "value": "3926.90.9910"}).status_code == 302
    assert client.post(f"/shipments/{shipment.pk}/resubmit/").status_code == 302
    shipment.refresh_from_db()
    assert (shipment.status, shipment.hts_code) == ("received", "3926909910")
    assert client.post(f"/shipments/{shipment.pk}/resubmit/").status_code == 400  # not rejected any more


def test_the_forwarder_cancels_before_filing_with_a_reason(client, case, owner):
    shipment = case["shipment"]
    client = as_user(client, owner)
    response = client.post(f"/shipments/{shipment.pk}/cancel/", {"reason": ""})
    assert response.status_code == 400 and "Please give a reason." in response.content.decode()
    assert client.post(f"/shipments/{shipment.pk}/cancel/", {"reason": "Order cancelled"}).status_code == 302
    assert Shipment.objects.get(pk=shipment.pk).status == "cancelled"
    in_entry = Shipment.objects.filter(entry__isnull=False).get()
    response = client.post(f"/shipments/{in_entry.pk}/cancel/", {"reason": "Order cancelled"})
    assert response.status_code == 400 and "waiting to be transmitted" in response.content.decode()


def test_the_forwarder_answers_the_brokers_question_and_the_broker_is_told(client, case, owner, colleague, outsider, broker_user):
    question = case["question"]
    for user in (owner, colleague):
        assert "Fabric?" in as_user(client, user).get("/requests/").content.decode()
    assert "Fabric?" not in as_user(client, outsider).get("/requests/").content.decode()
    client = as_user(client, owner)
    response = client.post(f"/requests/{question.pk}/answer/", {"answer": ""})
    assert response.status_code == 400 and "Please give an answer." in response.content.decode()
    response = client.post(f"/requests/{question.pk}/answer/", {"answer": "Cotton", "next": "/requests/"})
    assert response.status_code == 302 and response.url == "/requests/"
    assert "Cotton" in Notification.objects.get(user=broker_user, kind="info_answered").message
    assert "Cotton" in as_user(client, broker_user).get("/customs/requests/").content.decode()
    response = as_user(client, colleague).post(f"/requests/{question.pk}/answer/", {"answer": "Silk"})
    assert response.status_code == 400 and "already answered" in response.content.decode()


def test_the_forwarders_question_list_is_for_forwarders(client, broker_user, support_user):
    for user in (broker_user, support_user):
        assert as_user(client, user).get("/requests/").status_code == 403


def test_the_workbench_speaks_chinese(client, queue, broker_user):
    client = as_user(client, broker_user)
    page = client.get("/customs/queue/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "审核队列" in page and "批准所选" in page and "申报已批准的报关单" in page
    assert "自 2025 年 8 月 29 日起到港的货物暂停小额豁免" in page  # the decision's reasons, in Chinese
    response = client.post("/customs/queue/act/", {"action": "reject", "ids": [queue["plain"].pk]}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "请填写原因。" in response.content.decode()


# --- An entry's totals ---------------------------------------------------------------------------------


def entry_figures(client, broker_user, entry) -> dict[str, str]:
    """The figures the entry page shows, by name."""
    import re

    page = as_user(client, broker_user).get(f"/customs/entries/{entry.pk}/").content.decode()
    return dict(re.findall(r'data-testid="entry-(value|duty|mpf|owed)">\$([0-9,.]+)<', page))


def test_an_entrys_page_shows_its_value_duty_and_fee_and_they_add_up_to_its_parcels(client, forwarder_org, broker_org,
                                                                                      broker_user):
    from decimal import Decimal

    from tests.customs.test_estimates import ingest as ingest_rows
    from tests.customs.test_estimates import row

    ingest_rows(forwarder_org, row("H1", "10.00"), row("H2", "10.00"), row("H3", "1234.56", hts="6109100012"))
    parcels = Shipment.objects.filter(hawb__in=["H1", "H2", "H3"])
    review.review_approve(broker=broker_org, user=broker_user, shipment_ids=list(parcels.values_list("id", flat=True)))
    filing.entries_build(broker=broker_org)
    entry = Entry.objects.get()
    duty = sum(parcels.values_list("duty_estimate_usd", flat=True))
    mpf = sum(parcels.values_list("mpf_estimate_usd", flat=True))
    assert duty > 0 and mpf == Decimal("2.69")  # one informal entry: one fee, shared among its three parcels
    assert entry_figures(client, broker_user, entry) == {
        "value": "1,254.56", "duty": f"{duty:,}", "mpf": "2.69", "owed": f"{duty + mpf:,}"}


def test_a_type_86_entry_shows_its_value_and_no_duty_or_fee(client, forwarder_org, broker_org, broker_user):
    manifest = manifest_for(forwarder_org)
    parcel = shipment_for(manifest, entry_type="86", reasons=["DM_ELIGIBLE"], duty_estimate_usd=None, mpf_estimate_usd=None)
    review.review_approve(broker=broker_org, user=broker_user, shipment_ids=[parcel.pk])
    filing.entries_build(broker=broker_org)
    assert entry_figures(client, broker_user, Entry.objects.get()) == {"value": "25.00"}
