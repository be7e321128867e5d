"""The CFS pages as the station (owner), a colleague at the same station, the other airport's station (outsider),
the forwarder, the broker and the platform's support staff."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from calista import clocks
from cfs import services
from cfs.models import Carrier, Handoff, HandoffBatch
from shipments import lifecycle
from shipments.models import Manifest, Shipment
from tests.cfs.conftest import broken_down, collect, hold, mawb_at, parcel, receive, release

pytestmark = pytest.mark.django_db

UPS_TRACKING = "1Z999AA10123456784"
PAGES = ["/cfs/", "/cfs/collect/", "/cfs/ready/", "/cfs/held/", "/cfs/general-order/", "/cfs/scan/", "/cfs/handoffs/",
         "/cfs/handoffs/upload/", "/cfs/pick-list/", "/cfs/carriers/"]


@pytest.fixture
def ups():
    return Carrier.objects.get(cfs=None, code="ups")


@pytest.fixture
def station_world(forwarder_org, cfs_org, cfs_user, ups):
    """At LAX: a broken-down MAWB with one parcel handed off to UPS, one released, one held; a second MAWB to collect."""
    from cfs import services

    manifest = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, hawbs=("H0001", "H0002", "H0003")))
    release(parcel(manifest, "H0001"), parcel(manifest, "H0002"))
    hold(parcel(manifest, "H0003"))
    services.shipment_hand_off(cfs=cfs_org, user=cfs_user, shipment_id=parcel(manifest, "H0001").pk, carrier_id=ups.pk,
                               tracking_number=UPS_TRACKING)
    waiting = mawb_at(forwarder_org, cfs_org, mawb="16012345686", hawbs=("J0001",))
    return manifest, waiting


def object_urls(manifest, carrier):
    return [f"/cfs/mawb/{manifest.pk}/", f"/cfs/ready/?mawb={manifest.pk}", f"/cfs/scan/?mawb={manifest.pk}",
            f"/cfs/pick-list/?mawb={manifest.pk}", f"/cfs/handoffs/manifest/?carrier={carrier.pk}"]


# --- Access ------------------------------------------------------------------------------------


def test_the_station_and_a_colleague_see_every_page_and_the_stations_mawbs(client, station_world, cfs_user, cfs_colleague):
    manifest, waiting = station_world
    local = Carrier.objects.create(cfs=manifest.cfs, code="lax-local", name="LAX Local")
    for user in (cfs_user, cfs_colleague):
        client.force_login(user)
        for url in PAGES + object_urls(manifest, local):
            assert client.get(url).status_code == 200, (user, url)
        queues = client.get("/cfs/").content.decode()
        assert "160-12345686" in queues and 'data-testid="count-to_collect">1<' in queues


def test_the_other_airports_station_gets_404_for_every_object_and_sees_none_of_it(client, station_world, other_cfs_user):
    manifest, waiting = station_world
    local = Carrier.objects.create(cfs=manifest.cfs, code="lax-local", name="LAX Local")
    client.force_login(other_cfs_user)
    for url in object_urls(manifest, local) + [f"/cfs/mawb/{waiting.pk}/"]:
        assert client.get(url).status_code == 404, url
    for url in (f"/cfs/mawb/{waiting.pk}/receive/", f"/cfs/mawb/{manifest.pk}/break-down/"):
        assert client.post(url, {"pieces_received": 1}).status_code == 404, url
    assert client.get(f"/shipments/{parcel(manifest, 'H0001').pk}/").status_code == 404
    for url in PAGES:
        page = client.get(url).content.decode()
        assert "160-12345686" not in page and "H0001" not in page and "H0002" not in page and "LAX Local" not in page, url
    assert 'data-testid="count-to_collect">0<' in client.get("/cfs/").content.decode()


def test_the_other_station_cannot_act_on_this_stations_parcels_by_posting_their_ids(client, station_world, other_cfs_user, ups):
    manifest, waiting = station_world
    released = parcel(manifest, "H0002")
    client.force_login(other_cfs_user)
    client.post("/cfs/collect/", {"manifests": [waiting.pk], "driver": "X", "truck": "Y", "bonded_carrier": "Z"})
    client.post("/cfs/ready/", {"shipment": [released.pk], "carrier": ups.pk, f"tracking-{released.pk}": "1Z999AA10123456785"})
    client.post("/cfs/scan/", {"code": "1Z999AA10123456785", "pending": released.pk, "carrier": ups.pk})
    client.post("/cfs/held/back-from-exam/", {"shipment": [released.pk]})
    report = client.post("/cfs/handoffs/upload/", {"file": SimpleUploadedFile(
        "h.csv", b"hawb,carrier,tracking_number\nH0002,UPS,1Z999AA10123456785\n")}).content.decode()
    assert "no such HAWB at this station" in report
    waiting.refresh_from_db()
    released.refresh_from_db()
    assert waiting.custody == "transfer_authorized" and released.custody == "broken_down"


@pytest.mark.parametrize("who", ["owner", "broker_user"])
def test_forwarders_and_brokers_get_403_on_every_cfs_page_and_404_on_its_objects(client, station_world, who, request, ups):
    manifest, _waiting = station_world
    client.force_login(request.getfixturevalue(who))
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    for url in object_urls(manifest, ups):  # a station's object named in the path does not exist for another tenant
        assert client.get(url).status_code == (403 if "?" in url else 404), url
    assert client.post(f"/cfs/mawb/{manifest.pk}/break-down/").status_code == 404


def test_support_staff_read_any_station_but_change_nothing(client, station_world, support_user, other_cfs_org, ups):
    manifest, waiting = station_world
    client.force_login(support_user)
    for url in PAGES + object_urls(manifest, ups):
        assert client.get(url + ("&" if "?" in url else "?") + "station=cfs-lax").status_code == 200, url
    assert "160-12345686" in client.get("/cfs/?station=cfs-lax").content.decode()
    assert "160-12345686" not in client.get("/cfs/?station=cfs-jfk").content.decode()
    assert client.post("/cfs/collect/", {"manifests": [waiting.pk], "driver": "X", "truck": "Y", "bonded_carrier": "Z"}).status_code == 403
    assert client.post("/cfs/scan/", {"code": "H0002"}).status_code == 403
    assert client.post("/cfs/carriers/", {"name": "Mine"}).status_code == 403
    waiting.refresh_from_db()
    assert waiting.custody == "transfer_authorized"


def test_the_work_queues_are_in_the_navigation_of_a_cfs_user(client, cfs_user):
    client.force_login(cfs_user)
    page = client.get("/").content.decode()
    assert 'href="/cfs/"' in page and "Work queues" in page


# --- Pick-up, arrival, breakdown ------------------------------------------------------------------


def test_a_colleague_at_the_station_does_the_same_work(client, forwarder_org, cfs_org, cfs_colleague):
    manifest = mawb_at(forwarder_org, cfs_org)
    client.force_login(cfs_colleague)
    client.post("/cfs/collect/", {"manifests": [manifest.pk], "driver": "Ann", "truck": "T1", "bonded_carrier": "B"})
    client.post(f"/cfs/mawb/{manifest.pk}/receive/", {"pieces_received": 3})
    client.post(f"/cfs/mawb/{manifest.pk}/break-down/")
    manifest.refresh_from_db()
    assert manifest.custody == "broken_down"
    event = parcel(manifest, "H0001").events.get(to_state="broken_down")
    assert event.user == cfs_colleague and event.organization == cfs_org


def test_the_station_records_a_collection_of_several_mawbs(client, forwarder_org, cfs_org, cfs_user):
    first = mawb_at(forwarder_org, cfs_org, mawb="16012345675")
    second = mawb_at(forwarder_org, cfs_org, mawb="16012345686")
    client.force_login(cfs_user)
    response = client.post("/cfs/collect/", {"manifests": [first.pk, second.pk], "driver": "Jane Roe", "truck": "7ABC123",
                                             "bonded_carrier": "Pacific Bonded"})
    assert response.status_code == 302 and response.url == "/cfs/"
    assert set(Manifest.objects.values_list("custody", flat=True)) == {"in_transit"}
    page = client.get(response.url).content.decode()
    assert "Collection recorded: 2 MAWB(s) in transit" in page and 'data-testid="count-in_transit">2<' in page


def test_a_collection_without_a_driver_is_refused(client, forwarder_org, cfs_org, cfs_user):
    manifest = mawb_at(forwarder_org, cfs_org)
    client.force_login(cfs_user)
    response = client.post("/cfs/collect/", {"manifests": [manifest.pk], "truck": "7ABC123", "bonded_carrier": "Pacific Bonded"})
    assert response.status_code == 400
    manifest.refresh_from_db()
    assert manifest.custody == "transfer_authorized"


def test_collecting_a_mawb_a_colleague_collected_a_moment_ago_says_so_and_changes_nothing(client, forwarder_org, cfs_org,
                                                                                           cfs_user, cfs_colleague):
    manifest = mawb_at(forwarder_org, cfs_org)
    collect(cfs_org, cfs_colleague, manifest)  # the colleague was quicker, from a page shown to both
    client.force_login(cfs_user)
    response = client.post("/cfs/collect/", {"manifests": [manifest.pk], "driver": "Ann", "truck": "T1", "bonded_carrier": "B"},
                           follow=True)
    page = response.content.decode()
    assert response.redirect_chain == [("/cfs/", 302)]
    assert f"Not collected: MAWB {manifest} was already collected" in page and "Collection recorded" not in page
    assert manifest.cfs_collections.count() == 1


def test_a_mawb_scanned_on_the_collection_page_is_ticked_and_what_was_typed_stays(client, forwarder_org, cfs_org, cfs_user):
    first = mawb_at(forwarder_org, cfs_org, mawb="16012345675")
    second = mawb_at(forwarder_org, cfs_org, mawb="02304726304", hawbs=("J0001",))
    client.force_login(cfs_user)
    page = client.get("/cfs/collect/").content.decode()
    assert re.search(r'<input id="scan-code"[^>]*autofocus[^>]*data-scan-input', page)
    answer = client.post("/cfs/collect/", {"code": "023-04726304", "manifests": [first.pk], "driver": "Jane Roe"},
                         HTTP_HX_REQUEST="true").content.decode()
    assert 'data-scan-result="ok"' in answer and "data-scan-answered" in answer and "<html" not in answer
    assert "MAWB 023-04726304 chosen for this truck" in answer
    choice = answer[answer.index('<div id="collect-choice" hx-swap-oob="true">'):]
    assert re.search(rf'value="{first.pk}"\s+checked', choice) and re.search(rf'value="{second.pk}"\s+checked', choice)
    assert 'name="driver" value="Jane Roe"' in choice and "This field is required" not in choice
    assert set(Manifest.objects.values_list("custody", flat=True)) == {"transfer_authorized"}


def test_an_airline_piece_label_scanned_on_the_collection_page_ticks_its_mawb(client, forwarder_org, cfs_org, cfs_user):
    manifest = mawb_at(forwarder_org, cfs_org, mawb="16012345675")
    client.force_login(cfs_user)
    page = client.get("/cfs/collect/").content.decode()
    assert "or a piece label of the MAWB" in page
    answer = client.post("/cfs/collect/", {"code": "160-12345675 00003"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-scan-result="ok"' in answer and "MAWB 160-12345675 chosen for this truck" in answer
    assert re.search(rf'value="{manifest.pk}"\s+checked', answer[answer.index('<div id="collect-choice"'):])


def test_a_refused_mawb_scan_says_why_and_without_javascript_the_page_comes_back(client, forwarder_org, cfs_org, cfs_user):
    waiting = mawb_at(forwarder_org, cfs_org, mawb="16012345675")
    mawb_at(forwarder_org, cfs_org, mawb="16012345686", permit=False)
    client.force_login(cfs_user)
    response = client.post("/cfs/collect/", {"code": "16012345686", "manifests": [waiting.pk], "truck": "7ABC123"})
    page = response.content.decode()
    assert response.status_code == 200 and "<html" in page and 'data-scan-result="bad"' in page
    assert "MAWB 160-12345686 has no permit to transfer to this station yet" in page
    assert re.search(rf'value="{waiting.pk}"\s+checked', page) and 'name="truck" value="7ABC123"' in page
    assert not Manifest.objects.filter(custody="in_transit").exists()


def test_the_operators_staff_see_the_collection_list_without_a_scan_field(client, station_world, support_user):
    client.force_login(support_user)
    page = client.get("/cfs/collect/?station=cfs-lax").content.decode()
    assert 'data-testid="collect-16012345686"' in page and "data-scan-input" not in page and "collect-submit" not in page


def test_receiving_a_mawb_a_colleague_received_a_moment_ago_says_so_and_changes_nothing(client, forwarder_org, cfs_org,
                                                                                        cfs_user, cfs_colleague):
    manifest = mawb_at(forwarder_org, cfs_org)
    collect(cfs_org, cfs_user, manifest)
    receive(cfs_org, cfs_colleague, manifest)
    client.force_login(cfs_user)
    response = client.post(f"/cfs/mawb/{manifest.pk}/receive/", {"pieces_received": 3}, follow=True)
    assert response.redirect_chain == [(f"/cfs/mawb/{manifest.pk}/", 302)]
    assert f"was already received by {cfs_colleague}" in response.content.decode()
    assert Shipment.objects.filter(manifest=manifest).first().events.filter(to_state="at_cfs").count() == 1


def test_a_shortage_needs_a_note_and_then_shows_on_the_mawb(client, forwarder_org, cfs_org, cfs_user):
    manifest = mawb_at(forwarder_org, cfs_org)
    collect(cfs_org, cfs_user, manifest)
    client.force_login(cfs_user)
    response = client.post(f"/cfs/mawb/{manifest.pk}/receive/", {"pieces_received": 2})
    assert response.status_code == 400
    assert "2 pieces counted against 3 on the manifest: add a note" in response.content.decode()
    response = client.post(f"/cfs/mawb/{manifest.pk}/receive/", {"pieces_received": 2, "note": "One carton short"})
    assert response.status_code == 302
    page = client.get(f"/cfs/mawb/{manifest.pk}/").content.decode()
    assert re.search(r'data-testid="discrepancy">shortage of 1<', page) and "One carton short" in page
    manifest.refresh_from_db()
    assert manifest.custody == "at_cfs" and manifest.pieces_received == 2


def test_the_mawb_page_says_when_the_flight_landed_against_its_schedule(client, forwarder_org, cfs_org, cfs_user):
    from datetime import date

    landed = mawb_at(forwarder_org, cfs_org, arrival_date=date(2026, 11, 20), arrived_on=date(2026, 11, 19))
    waiting = mawb_at(forwarder_org, cfs_org, mawb="16012345686", arrival_date=date(2026, 11, 22), arrived=False)
    client.force_login(cfs_user)
    assert re.search(r'data-testid="arrival">landed 2026-11-19 \(scheduled 2026-11-20\)<',
                     client.get(f"/cfs/mawb/{landed.pk}/").content.decode())
    assert re.search(r'data-testid="arrival">scheduled 2026-11-22, not landed yet<',
                     client.get(f"/cfs/mawb/{waiting.pk}/").content.decode())


def test_the_held_page_lists_the_parcels_nearest_to_general_order_first_by_the_day_their_flight_landed(
        client, forwarder_org, cfs_org, cfs_user):
    from datetime import date

    early_schedule = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, hawbs=("LATE1",), arrival_date=date(
        2026, 11, 10), arrived_on=date(2026, 11, 14)))  # scheduled first, landed four days late
    late_schedule = broken_down(cfs_org, cfs_user, mawb_at(forwarder_org, cfs_org, mawb="16012345686", hawbs=("EARLY1",),
                                arrival_date=date(2026, 11, 12), arrived_on=date(2026, 11, 11)))  # landed a day early
    hold(parcel(early_schedule, "LATE1"))
    hold(parcel(late_schedule, "EARLY1"))
    client.force_login(cfs_user)
    page = client.get("/cfs/held/").content.decode()
    assert page.index("EARLY1") < page.index("LATE1")


def test_the_station_breaks_a_mawb_down(client, forwarder_org, cfs_org, cfs_user):
    manifest = mawb_at(forwarder_org, cfs_org)
    collect(cfs_org, cfs_user, manifest)
    receive(cfs_org, cfs_user, manifest)
    client.force_login(cfs_user)
    response = client.post(f"/cfs/mawb/{manifest.pk}/break-down/", follow=True)
    assert "broken down into its 3 HAWBs" in response.content.decode()
    assert set(Shipment.objects.values_list("custody", flat=True)) == {"broken_down"}
    again = client.post(f"/cfs/mawb/{manifest.pk}/break-down/", follow=True).content.decode()
    assert "was not broken down: already Broken down" in again


# --- Hand-off: scanning, selection, CSV --------------------------------------------------------------


def scan(client, code, pending="", carrier=None, mawb=None):
    url = "/cfs/scan/" + (f"?mawb={mawb.pk}" if mawb else "")
    return client.post(url, {"code": code, "pending": pending, "carrier": carrier.pk if carrier else ""}, HTTP_HX_REQUEST="true")


def test_scanning_a_hawb_then_its_tracking_number_hands_it_off_with_instant_feedback(client, station_world, cfs_user, ups):
    manifest, _waiting = station_world
    released = parcel(manifest, "H0002")
    client.force_login(cfs_user)
    first = scan(client, "H0002", carrier=ups).content.decode()
    assert 'data-scan-result="wait"' in first and f'name="pending" value="{released.pk}"' in first
    assert "now scan its tracking number" in first and "<html" not in first
    second = scan(client, "1Z999AA10123456785", pending=released.pk, carrier=ups).content.decode()
    assert 'data-scan-result="ok"' in second and "scan-ok" in second
    assert 'hx-swap-oob="afterbegin:#scan-log"' in second and 'data-testid="log-H0002"' in second
    assert 'id="scan-count" hx-swap-oob="true"' in second and ">2</span>" in second
    released.refresh_from_db()
    assert released.custody == "handed_off" and released.handoff.method == "scan"


def test_an_answer_to_a_scan_is_marked_to_sound_and_start_over_is_not(client, station_world, cfs_user, ups):
    client.force_login(cfs_user)
    assert "data-scan-answered" in scan(client, "H0002", carrier=ups).content.decode()
    reset = client.post("/cfs/scan/", {"reset": "1", "carrier": ups.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-scan-result="wait"' in reset and "data-scan-answered" not in reset
    page = client.get("/cfs/scan/").content.decode()
    assert "data-scan-answered" not in page and re.search(r'<div[^>]*hidden data-scan-sound-switch>', page)


def test_a_hawb_of_another_mawb_scanned_on_a_mawbs_scan_page_offers_that_mawbs_scan_keeping_the_carrier(
        client, station_world, cfs_user, ups):
    manifest, waiting = station_world
    client.force_login(cfs_user)
    answer = scan(client, "J0001", carrier=ups, mawb=manifest).content.decode()
    assert 'data-scan-result="bad"' in answer and 'name="pending" value=""' in answer
    assert ("HAWB J0001 is on MAWB 160-12345686, not this one: open that MAWB&#x27;s scan, or the station&#x27;s scan page"
            in answer)
    assert f'href="/cfs/scan/?mawb={waiting.pk}&amp;carrier={ups.pk}" data-testid="scan-elsewhere-16012345686"' in answer
    assert f'href="/cfs/scan/?carrier={ups.pk}" data-testid="scan-station"' in answer
    assert "scan-elsewhere" not in scan(client, "H0002", carrier=ups, mawb=manifest).content.decode()


def test_another_stations_hawb_scanned_on_a_mawbs_scan_page_is_unknown_and_offers_no_mawb(
        client, station_world, forwarder_org, other_cfs_org, other_cfs_user, ups):
    theirs = mawb_at(forwarder_org, other_cfs_org, mawb="16012345690", hawbs=("K0001",))
    client.force_login(other_cfs_user)
    answer = scan(client, "H0002", carrier=ups, mawb=theirs).content.decode()
    assert "H0002: no such HAWB at this station" in answer
    assert "scan-elsewhere" not in answer and "160-12345675" not in answer


def test_scanning_a_held_parcel_says_which_condition_is_missing(client, station_world, cfs_user, ups):
    client.force_login(cfs_user)
    page = scan(client, "H0003", carrier=ups).content.decode()
    assert 'data-scan-result="bad"' in page and "scan-bad" in page
    assert "HAWB H0003 may not be handed off: not released by CBP; a hold is still open" in page
    assert 'name="pending" value=""' in page


def test_the_scan_page_lists_todays_hand_offs_and_works_without_javascript(client, station_world, cfs_user, ups):
    manifest, _waiting = station_world
    client.force_login(cfs_user)
    page = client.get("/cfs/scan/").content.decode()
    assert 'data-testid="log-H0001"' in page and UPS_TRACKING in page and 'data-scan-input' in page
    assert "js/cfs.js" in page
    whole = client.post("/cfs/scan/", {"code": "H0002", "carrier": ups.pk}).content.decode()
    assert "<html" in whole and 'data-scan-result="wait"' in whole


def test_scanning_a_carriers_name_ticks_that_carrier_on_the_screen(client, station_world, cfs_user, ups):
    manifest, _waiting = station_world
    released = parcel(manifest, "H0002")
    dhl = Carrier.objects.get(cfs=None, code="dhl")
    client.force_login(cfs_user)
    answer = scan(client, "DHL", pending=released.pk, carrier=ups).content.decode()
    assert 'data-scan-result="wait"' in answer and f'name="pending" value="{released.pk}"' in answer
    chooser = re.search(r'<fieldset[^>]*id="carrier-choice"[^>]*>.*?</fieldset>', answer, re.S).group(0)
    assert 'hx-swap-oob="true"' in chooser
    assert re.search(rf'value="{dhl.pk}"[^>]*checked', chooser) and not re.search(rf'value="{ups.pk}"[^>]*checked', chooser)
    assert "carrier-choice" not in scan(client, "H0002", carrier=ups).content.decode()  # only a carrier scan redraws it
    whole = client.post("/cfs/scan/", {"code": "fedex", "carrier": ups.pk}).content.decode()  # without JavaScript
    fedex = Carrier.objects.get(cfs=None, code="fedex")
    assert re.search(rf'value="{fedex.pk}"[^>]*checked', whole) and "Carrier: FedEx. Scan a HAWB." in whole


def test_the_scan_page_prints_a_barcode_of_each_carriers_name_to_scan_from_a_card(client, cfs_org, cfs_user):
    from cfs import services

    services.carrier_add(cfs=cfs_org, name="West Coast Express")
    services.carrier_add(cfs=cfs_org, name="顺丰速运")  # Code 128 prints no Chinese: tapped, not scanned
    client.force_login(cfs_user)
    page = client.get("/cfs/scan/").content.decode()
    card = re.search(r'data-testid="carrier-card".*?</section>', page, re.S).group(0)
    assert re.findall(r'data-barcode="([^"]+)"', card) == ["DHL", "FEDEX", "UPS", "USPS", "WESTCOASTEXPRESS"]
    assert "顺丰速运" not in card and 'data-print="card"' in card


def test_released_parcels_are_handed_off_by_selection(client, station_world, cfs_user):
    manifest, _waiting = station_world
    released, held = parcel(manifest, "H0002"), parcel(manifest, "H0003")
    fedex = Carrier.objects.get(code="fedex")
    client.force_login(cfs_user)
    page = client.get("/cfs/ready/").content.decode()
    assert 'data-testid="ready-H0002"' in page and 'data-testid="ready-H0003"' not in page
    response = client.post("/cfs/ready/", {"carrier": fedex.pk, "shipment": [released.pk, held.pk],
                                           f"tracking-{released.pk}": "123456789012", f"tracking-{held.pk}": "123456789013"},
                           follow=True)
    content = response.content.decode()
    assert "1 parcel(s) handed off." in content and "HAWB H0003: not released by CBP; a hold is still open" in content
    assert Handoff.objects.get(shipment=released).tracking_number == "123456789012"
    held.refresh_from_db()
    assert held.custody == "broken_down"


def test_a_csv_of_hawb_carrier_and_tracking_hands_off_and_reports_each_line(client, station_world, cfs_user):
    client.force_login(cfs_user)
    content = b"hawb,carrier,tracking_number\nH0002,USPS,9400111899223197428490\nH0003,UPS,1Z999AA10123456799\n"
    page = client.post("/cfs/handoffs/upload/", {"file": SimpleUploadedFile("handoffs.csv", content)}).content.decode()
    assert "1 handed off, 1 refused." in page
    assert re.search(r'data-testid="csv-line-3".*?not released by CBP; a hold is still open', page, re.S)
    assert Shipment.objects.get(hawb="H0002").custody == "handed_off"


def long_csv(lines: int) -> bytes:
    return ("hawb,carrier,tracking_number\nH0002,USPS,9400111899223197428490\n"
            + "".join(f"NOPE{n:04d},UPS,1Z999AA1{n:010d}\n" for n in range(lines))).encode()


def test_a_long_csv_is_worked_in_the_background_and_its_page_names_every_refused_line(
        client, station_world, cfs_user, django_capture_on_commit_callbacks):
    client.force_login(cfs_user)
    with django_capture_on_commit_callbacks(execute=True):  # then the worker's turn (tasks run eagerly in tests)
        response = client.post("/cfs/handoffs/upload/", {"file": SimpleUploadedFile("big.csv", long_csv(305))})
    batch = HandoffBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cfs/handoffs/files/{batch.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "1 handed off, 305 refused." in page and "hx-get" not in page
    assert re.search(r'data-testid="csv-line-3".*?NOPE0000.*?no such HAWB at this station', page, re.S)
    assert 'data-testid="csv-line-307"' in page and 'data-testid="csv-line-2"' not in page
    listed = client.get("/cfs/handoffs/").content.decode()
    assert re.search(rf'data-testid="batch-row-{batch.pk}".*?>1<.*?>305<.*?href="/cfs/handoffs/files/{batch.pk}/"', listed, re.S)


def test_a_file_still_being_worked_shows_its_progress_and_the_page_polls_until_it_is_done(client, station_world, cfs_user):
    from cfs.services import handoff_batch_run
    from shipments.progress import progress_set

    batch = HandoffBatch.objects.create(cfs=cfs_user.membership.organization, uploaded_by=cfs_user, content=long_csv(305),
                                        state="processing")
    progress_set("handoff_batch", batch.pk, phase="work", done=150, total=306)
    client.force_login(cfs_user)
    page = client.get(f"/cfs/handoffs/files/{batch.pk}/").content.decode()
    assert f'hx-get="/cfs/handoffs/files/{batch.pk}/progress/"' in page
    assert re.search(r'data-testid="batch-count">150 / 306<', page) and "Working…" in page
    assert client.get(f"/cfs/handoffs/files/{batch.pk}/progress/").status_code == 200
    handoff_batch_run(batch_id=batch.pk)
    done = client.get(f"/cfs/handoffs/files/{batch.pk}/progress/")
    assert done.status_code == 286 and "1 handed off, 305 refused." in done.content.decode()


def test_a_stations_hand_off_files_are_seen_by_its_staff_and_by_no_other_station(client, station_world, cfs_user, cfs_colleague,
                                                                                 other_cfs_user, owner):
    batch = HandoffBatch.objects.create(cfs=cfs_user.membership.organization, uploaded_by=cfs_user, content=long_csv(1))
    urls = [f"/cfs/handoffs/files/{batch.pk}/", f"/cfs/handoffs/files/{batch.pk}/progress/"]
    for user in (cfs_user, cfs_colleague):
        client.force_login(user)
        assert [client.get(url).status_code for url in urls] == [200, 200], user
        assert f'data-testid="batch-row-{batch.pk}"' in client.get("/cfs/handoffs/").content.decode()
    for user in (other_cfs_user, owner):
        client.force_login(user)
        assert [client.get(url).status_code for url in urls] == [404, 404], user
    client.force_login(other_cfs_user)
    assert "batch-row" not in client.get("/cfs/handoffs/").content.decode()


def test_receiving_a_mawb_not_in_transit_by_a_direct_post_says_why(client, station_world, cfs_user):
    _manifest, waiting = station_world
    client.force_login(cfs_user)
    response = client.post(f"/cfs/mawb/{waiting.pk}/receive/", {"pieces_received": 1})
    assert response.status_code == 400
    assert re.search(r'data-testid="receive-error">MAWB 160-12345686 is not in transit to the station \(Transfer authorized\)',
                     response.content.decode())


def test_back_from_exam_says_to_select_a_parcel_and_names_a_parcel_not_at_exam(client, station_world, cfs_user):
    manifest, _waiting = station_world
    client.force_login(cfs_user)
    assert "Select at least one parcel." in client.post("/cfs/held/back-from-exam/", follow=True).content.decode()
    page = client.post("/cfs/held/back-from-exam/", {"shipment": [parcel(manifest, "H0002").pk]}, follow=True).content.decode()
    assert "Not moved: HAWB H0002 is not at exam." in page


def test_the_station_brings_parcels_back_from_exam(client, station_world, cfs_user):
    manifest, _waiting = station_world
    released = parcel(manifest, "H0002")
    lifecycle.shipments_to_exam([released.pk], message="1X transfer for exam")
    client.force_login(cfs_user)
    page = client.get("/cfs/held/").content.decode()
    assert 'data-testid="hawb-row-H0002"' in page and 'data-testid="hawb-row-H0003"' in page and "FDA H1" in page
    response = client.post("/cfs/held/back-from-exam/", {"shipment": [released.pk]}, follow=True)
    assert "1 parcel(s) back from exam." in response.content.decode()
    released.refresh_from_db()
    assert released.custody == "broken_down"


def test_the_general_order_page_shows_the_countdown(client, forwarder_org, cfs_org, cfs_user):
    from datetime import timedelta

    today = clocks.airport_today("LAX")
    mawb_at(forwarder_org, cfs_org, mawb="16012345675", hawbs=("OLD1",), arrival_date=today - timedelta(days=16))
    mawb_at(forwarder_org, cfs_org, mawb="16012345686", hawbs=("WARN1",), arrival_date=today - timedelta(days=11))
    mawb_at(forwarder_org, cfs_org, mawb="16012345690", hawbs=("NEW1",), arrival_date=today - timedelta(days=2))
    client.force_login(cfs_user)
    page = client.get("/cfs/general-order/").content.decode()
    assert re.search(r'data-testid="hawb-row-OLD1".*?data-testid="go-overdue">day 16: general order<', page, re.S)
    assert re.search(r'data-testid="hawb-row-WARN1".*?data-testid="go-warning">day 11: 4 days left<', page, re.S)
    assert "NEW1" in page
    assert "NEW1" not in client.get("/cfs/general-order/?level=warning").content.decode()
    overdue = client.get("/cfs/general-order/?level=overdue").content.decode()
    assert "OLD1" in overdue and "WARN1" not in overdue
    queues = client.get("/cfs/").content.decode()
    assert 'data-testid="count-go_overdue">1<' in queues and 'data-testid="go-alert"' in queues


def test_the_general_order_page_counts_from_the_day_each_flight_actually_arrived(client, forwarder_org, cfs_org, cfs_user):
    from datetime import timedelta

    today = clocks.airport_today("LAX")
    # Scheduled nine days ago, landed three days early: day 12. Scheduled sixteen days ago, landed five days late: day 11.
    mawb_at(forwarder_org, cfs_org, mawb="16012345675", hawbs=("EARLY1",), arrival_date=today - timedelta(days=9),
            arrived_on=today - timedelta(days=12))
    mawb_at(forwarder_org, cfs_org, mawb="16012345686", hawbs=("LATE1",), arrival_date=today - timedelta(days=16),
            arrived_on=today - timedelta(days=11))
    # Scheduled twenty days ago and still not landed: off the clock.
    mawb_at(forwarder_org, cfs_org, mawb="16012345690", hawbs=("AWAIT1",), arrival_date=today - timedelta(days=20), arrived=False)
    client.force_login(cfs_user)
    page = client.get("/cfs/general-order/").content.decode()
    assert re.search(r'data-testid="hawb-row-EARLY1".*?data-testid="go-warning">day 12: 3 days left<', page, re.S)
    assert re.search(r'data-testid="hawb-row-LATE1".*?data-testid="go-warning">day 11: 4 days left<', page, re.S)
    assert page.index("hawb-row-EARLY1") < page.index("hawb-row-LATE1")  # the oldest clock first, not the oldest schedule
    assert "AWAIT1" not in page
    warning = client.get("/cfs/general-order/?level=warning").content.decode()
    assert "EARLY1" in warning and "LATE1" in warning
    assert "hawb-row-" not in client.get("/cfs/general-order/?level=overdue").content.decode()
    queues = client.get("/cfs/").content.decode()
    assert 'data-testid="count-go_warning">2<' in queues and 'data-testid="count-go_overdue">0<' in queues
    assert "EARLY1" in queues and "LATE1" in queues  # the alert's list of parcels running out of time


# --- The station's clock: its day is the day at its airport --------------------------------------

FIVE_PM_AT_LAX = datetime(2026, 3, 10, 0, 0, tzinfo=UTC)  # 17:00 PDT on 9 March: already the 10th in UTC


@pytest.mark.parametrize("who", ["cfs_user", "support_user"])  # the station's staff, and support (on UTC) looking at it
def test_at_five_in_the_afternoon_at_lax_the_general_order_clock_counts_on_lax_s_date(client, clock, forwarder_org, cfs_org, who,
                                                                                      request):
    clock(FIVE_PM_AT_LAX)
    # Landed on 23 February: day 14 on 9 March at LAX, one day left (UTC's 10 March would already say general order).
    mawb_at(forwarder_org, cfs_org, hawbs=("FEB23",), arrival_date=date(2026, 2, 23))
    client.force_login(request.getfixturevalue(who))
    page = client.get("/cfs/general-order/?station=cfs-lax").content.decode()
    assert re.search(r'data-testid="hawb-row-FEB23".*?data-testid="go-warning">day 14: 1 day left<', page, re.S)
    queues = client.get("/cfs/?station=cfs-lax").content.decode()
    assert 'data-testid="count-go_warning">1<' in queues and 'data-testid="count-go_overdue">0<' in queues
    clock(FIVE_PM_AT_LAX + timedelta(hours=7))  # midnight at LAX: now it is day 15
    assert 'data-testid="count-go_overdue">1<' in client.get("/cfs/?station=cfs-lax").content.decode()


def handed_at(shipment, moment):
    Handoff.objects.filter(shipment=shipment).update(handed_at=moment)


def test_at_five_in_the_afternoon_at_lax_today_s_hand_offs_are_those_since_lax_s_midnight(client, clock, station_world, cfs_org,
                                                                                        cfs_user, support_user, ups):
    manifest, _waiting = station_world
    clock(FIVE_PM_AT_LAX)
    handed_at(parcel(manifest, "H0001"), datetime(2026, 3, 9, 7, 30, tzinfo=UTC))  # 00:30 PDT on the 9th: today
    services.shipment_hand_off(cfs=cfs_org, user=cfs_user, shipment_id=parcel(manifest, "H0002").pk, carrier_id=ups.pk,
                               tracking_number="1Z999AA10123456795")
    handed_at(parcel(manifest, "H0002"), datetime(2026, 3, 9, 6, 30, tzinfo=UTC))  # 23:30 PDT on the 8th: yesterday
    client.force_login(cfs_user)
    scan = client.get("/cfs/scan/").content.decode()
    assert 'data-testid="scan-count">1<' in scan and 'data-testid="log-H0001"' in scan and 'data-testid="log-H0002"' not in scan
    day = client.get("/cfs/handoffs/").content.decode()
    assert "Hand-offs · 2026-03-09" in day and "H0001" in day and "1Z999AA10123456795" not in day
    assert "<td>00:30</td>" in day  # the time at the station
    assert "1Z999AA10123456795" in client.get("/cfs/handoffs/?date=2026-03-08").content.decode()
    client.force_login(support_user)  # support reads the station's day on the station's clock, from anywhere
    day = client.get("/cfs/handoffs/?station=cfs-lax").content.decode()
    assert "Hand-offs · 2026-03-09" in day and "<td>00:30</td>" in day and "1Z999AA10123456795" not in day


def test_the_day_the_clocks_go_forward_holds_the_hand_offs_of_its_23_hours(client, clock, station_world, cfs_user, ups):
    manifest, _waiting = station_world
    clock(datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    handed_at(parcel(manifest, "H0001"), datetime(2026, 3, 9, 6, 59, tzinfo=UTC))  # 23:59 PDT on 8 March
    client.force_login(cfs_user)
    assert "H0001" in client.get("/cfs/handoffs/?date=2026-03-08").content.decode()
    assert "H0001" not in client.get("/cfs/handoffs/?date=2026-03-09").content.decode()
    sheet = client.get(f"/cfs/handoffs/manifest/?carrier={ups.pk}&date=2026-03-08").content.decode()
    assert re.findall(r'data-barcode="(\w+)"', sheet) == ["H0001"] and "<td>23:59</td>" in sheet
    assert "printed 2026-03-09 05:00 PDT" in sheet  # printed on the station's clock, and says which


# --- Printables, carriers ----------------------------------------------------------------------


def test_the_pick_list_has_a_barcode_for_each_parcel_ready(client, station_world, cfs_user):
    manifest, _waiting = station_world
    client.force_login(cfs_user)
    page = client.get(f"/cfs/pick-list/?mawb={manifest.pk}").content.decode()
    assert re.findall(r'<svg class="barcode"[^>]*data-barcode="(\w+)"', page) == ["H0002"]
    assert "style=" not in re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert "data-print" in page


def test_the_hand_off_manifest_lists_one_carriers_parcels_with_barcodes_and_tracking(client, station_world, cfs_user, ups):
    client.force_login(cfs_user)
    page = client.get("/cfs/handoffs/").content.decode()
    assert f'href="/cfs/handoffs/manifest/?carrier={ups.pk}&amp;date=' in page
    manifest_page = client.get(f"/cfs/handoffs/manifest/?carrier={ups.pk}").content.decode()
    assert re.findall(r'data-barcode="(\w+)"', manifest_page) == ["H0001"] and UPS_TRACKING in manifest_page
    usps = Carrier.objects.get(code="usps")
    assert "H0001" not in client.get(f"/cfs/handoffs/manifest/?carrier={usps.pk}").content.decode()


def test_a_station_adds_a_carrier_that_only_it_sees(client, cfs_user, other_cfs_user):
    client.force_login(cfs_user)
    response = client.post("/cfs/carriers/", {"name": "OnTrac", "tracking_pattern": "C[0-9]{14}"})
    assert response.status_code == 302
    assert 'data-testid="carrier-ontrac"' in client.get("/cfs/scan/").content.decode()
    client.force_login(other_cfs_user)
    assert "OnTrac" not in client.get("/cfs/carriers/").content.decode()
    assert "OnTrac" not in client.get("/cfs/scan/").content.decode()


def test_a_station_adds_a_carrier_with_a_chinese_name(client, cfs_user):
    client.force_login(cfs_user)
    assert client.post("/cfs/carriers/", {"name": "顺丰速运", "tracking_pattern": "SF[0-9]{12}"}).status_code == 302
    assert 'data-testid="carrier-row-顺丰速运"' in client.get("/cfs/carriers/").content.decode()


def test_a_carrier_pattern_that_would_hang_the_scan_is_refused_with_the_reason(client, cfs_user):
    client.force_login(cfs_user)
    response = client.post("/cfs/carriers/", {"name": "Slowpoke", "tracking_pattern": "(A|AA)+B"})
    assert response.status_code == 400 and "takes too long to check" in response.content.decode()


def test_choosing_a_parcel_no_longer_here_says_so_without_a_blank_hawb(client, station_world, cfs_user, ups):
    client.force_login(cfs_user)
    page = client.post("/cfs/ready/", {"shipment": [987654], "carrier": ups.pk, "tracking-987654": "1Z999AA10123456785"},
                       follow=True).content.decode()
    assert "One of the parcels chosen is not at this station." in page and "HAWB —" not in page


# --- What the forwarder sees ----------------------------------------------------------------------


def test_the_forwarder_sees_the_custody_and_carrier_events_of_its_handed_off_parcel(client, station_world, owner, colleague, outsider):
    manifest, _waiting = station_world
    shipment = parcel(manifest, "H0001")
    for user in (owner, colleague):
        client.force_login(user)
        page = client.get(f"/shipments/{shipment.pk}/").content.decode()
        assert re.search(r'data-testid="custody">\s*Handed off\s*<', page)
        assert "Collected at the LAX airline terminal for CFS LAX (FIRMS L101, LAX)" in page
        assert "Received at CFS LAX (FIRMS L101, LAX): 3 of 3 pieces" in page
        assert f"Handed off to UPS, tracking number {UPS_TRACKING}, at CFS LAX (FIRMS L101, LAX)" in page
    client.force_login(outsider)
    assert client.get(f"/shipments/{shipment.pk}/").status_code == 404


def test_the_station_works_in_chinese(client, station_world, cfs_user, ups):
    client.force_login(cfs_user)
    page = client.get("/cfs/scan/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "先扫描分单号，再扫描运单号" in page and "今日已交付" in page
    refused = client.post("/cfs/scan/", {"code": "H0003", "carrier": ups.pk}, HTTP_HX_REQUEST="true",
                          HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "分单 H0003 不能交付：CBP 尚未放行; 仍有未解除的扣留" in refused
    assert "作业队列" in client.get("/cfs/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_a_selection_without_a_carrier_hands_nothing_off(client, station_world, cfs_user):
    manifest, _waiting = station_world
    released = parcel(manifest, "H0002")
    client.force_login(cfs_user)
    response = client.post("/cfs/ready/", {"shipment": [released.pk], f"tracking-{released.pk}": "123456789012"}, follow=True)
    assert "Choose the carrier." in response.content.decode()
    released.refresh_from_db()
    assert released.custody == "broken_down"
