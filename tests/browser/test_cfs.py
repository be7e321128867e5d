"""A CFS operator on a tablet collects a MAWB, receives it, breaks it down and hands off released parcels by scanning."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from cfs.models import Carrier, Collection, Handoff
from shipments.models import Shipment
from tests.browser.conftest import TABLET, log_in, screenshot
from tests.cfs.conftest import broken_down, collect, hold, mawb_at, parcel, release
from tests.factories import PASSWORD, OrganizationFactory, UserFactory, member

User = get_user_model()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

UPS_1 = "1Z999AA10123456784"
UPS_2 = "1Z999AA10123456785"


@pytest.fixture
def national_carriers(db):
    """Earlier transactional tests flush every table, the carriers migration 0002 seeded too: put them back."""
    if not Carrier.objects.filter(cfs=None).exists():
        call_command("loaddata", "carriers", verbosity=0)


@pytest.fixture
def lax(national_carriers):
    """At LAX, a MAWB with a permit to transfer: two parcels released by CBP, one held by the FDA."""
    broker = OrganizationFactory(kind="broker", slug="broker", name="Broker", filer_code="BRK")
    forwarder = OrganizationFactory(kind="forwarder", slug="fwd-a", name="Forwarder A", default_broker=broker)
    station = OrganizationFactory(kind="cfs", slug="cfs-lax", name="LAX Bonded Warehouse", airport="LAX", firms_code="L101")
    member(UserFactory(username="cfs-operator"), station, "member")
    manifest = mawb_at(forwarder, station, hawbs=("H0001", "H0002", "H0003"))
    release(parcel(manifest, "H0001"), parcel(manifest, "H0002"))
    hold(parcel(manifest, "H0003"))
    return manifest


# Listens to the page's real Web Audio tones: each oscillator's frequency as it starts.
TONE_LISTENER = """
window.tones = [];
window.AudioContext = class extends window.AudioContext {
  createOscillator() {
    const oscillator = super.createOscillator();
    const start = oscillator.start.bind(oscillator);
    oscillator.start = (when) => { window.tones.push(oscillator.frequency.value); start(when); };
    return oscillator;
  }
};
"""


def tones_after(page, answer):
    """The frequencies sounded for the answer saying `answer` (its cue is played once the answer settles)."""
    state = page.get_by_test_id("scan-state")
    expect(state).to_contain_text(answer)
    expect(state).to_have_attribute("data-cued", "1")
    return page.evaluate("window.tones.splice(0)")


def high_beep(frequencies):
    return len(frequencies) == 1 and frequencies[0] >= 1000


def low_buzz(frequencies):
    return len(frequencies) == 2 and all(f <= 300 for f in frequencies)


def scanner(page, code):
    """What a barcode scanner does: types the code fast, then Enter."""
    page.keyboard.type(code, delay=8)
    page.keyboard.press("Enter")


def test_a_cfs_operator_on_a_tablet_takes_a_mawb_from_the_terminal_to_hand_off(lax, new_page):
    page = new_page(viewport=TABLET)
    log_in(page, "cfs-operator", PASSWORD)
    page.get_by_role("button", name="Menu").click()  # the navigation folds away on a tablet
    page.get_by_role("link", name="Work queues").click()
    expect(page.get_by_test_id("count-to_collect")).to_have_text("1")
    screenshot(page, "cfs-queues-tablet")

    # Pick-up at the airline terminal.
    page.get_by_test_id("record-collection").click()
    page.get_by_test_id("collect-16012345675").click()
    page.fill("#id_driver", "Jane Roe")
    page.fill("#id_truck", "7ABC123")
    page.fill("#id_bonded_carrier", "Pacific Bonded Trucking")
    screenshot(page, "cfs-collect-tablet")
    page.get_by_test_id("collect-submit").click()
    expect(page.get_by_test_id("count-in_transit")).to_have_text("1")

    # Arrival in the bonded warehouse, every piece counted.
    page.get_by_test_id("queue-in_transit").get_by_role("link", name="160-12345675").click()
    expect(page.get_by_test_id("mawb-custody")).to_have_text("In transit to CFS")
    page.fill("#id_pieces_received", "3")
    page.get_by_test_id("receive-submit").click()
    expect(page.get_by_test_id("mawb-custody")).to_have_text("At CFS")
    expect(page.get_by_test_id("pieces-received")).to_contain_text("3")

    # Breakdown.
    page.get_by_test_id("break-down").click()
    expect(page.get_by_test_id("mawb-custody")).to_have_text("Broken down")
    screenshot(page, "cfs-mawb-broken-down-tablet")

    # Hand-off by scanning: HAWB, then tracking number, each ended by Enter, two consecutive scans.
    page.get_by_test_id("go-scan").click()
    page.get_by_test_id("carrier-ups").click()
    field = page.get_by_test_id("scan-input")
    expect(field).to_be_focused()
    feedback = page.get_by_test_id("scan-feedback")

    scanner(page, "H0001")
    scanner(page, UPS_1)
    expect(feedback).to_contain_text(f"HAWB H0001 handed off to UPS, tracking number {UPS_1}")
    expect(page.get_by_test_id("scan-state")).to_have_attribute("data-scan-result", "ok")
    expect(field).to_have_class(re.compile(r"\bscan-ok\b"))
    expect(page.get_by_test_id("log-H0001")).to_contain_text(UPS_1)

    scanner(page, "H0003")
    expect(feedback).to_contain_text("HAWB H0003 may not be handed off: not released by CBP; a hold is still open")
    expect(field).to_have_class(re.compile(r"\bscan-bad\b"))
    expect(field).to_be_focused()
    screenshot(page, "cfs-scan-refused-tablet")

    scanner(page, "H0002")
    expect(feedback).to_contain_text("now scan its tracking number")
    scanner(page, UPS_2)
    expect(feedback).to_contain_text(f"HAWB H0002 handed off to UPS, tracking number {UPS_2}")
    expect(page.get_by_test_id("scan-count")).to_have_text("2")
    expect(page.get_by_test_id("scan-log").locator("li")).to_have_count(2)
    screenshot(page, "cfs-scan-tablet")

    custody = dict(Shipment.objects.values_list("hawb", "custody"))
    assert custody == {"H0001": "handed_off", "H0002": "handed_off", "H0003": "broken_down"}
    assert dict(Handoff.objects.values_list("shipment__hawb", "tracking_number")) == {"H0001": UPS_1, "H0002": UPS_2}

    # The day's hand-off manifest for UPS, ready to print.
    page.get_by_role("link", name="Hand-offs").click()
    page.get_by_test_id("manifest-UPS").click()
    expect(page.get_by_test_id("handoff-manifest").locator("svg.barcode")).to_have_count(2)
    screenshot(page, "cfs-handoff-manifest-tablet")


def test_scans_made_while_the_network_is_slow_are_each_answered_in_turn(lax, new_page):
    """A scanner is faster than a warehouse's Wi-Fi: scans made while an answer is on its way wait for it, and each
    is sent with, and answered on, the screen the previous answer left (no hand-off lost, none put on the wrong parcel)."""
    broken_down(lax.cfs, User.objects.get(username="cfs-operator"), lax)
    page = new_page(viewport=TABLET)
    log_in(page, "cfs-operator", PASSWORD)
    page.goto("/cfs/scan/")
    page.get_by_test_id("carrier-ups").click()
    held = []
    page.route("**/cfs/scan/", lambda route: held.append(route) if route.request.method == "POST" and not held
               else route.continue_())

    scanner(page, "H0001")  # held on its way: the three scans after it wait in the page's queue
    scanner(page, UPS_1)
    scanner(page, "H0002")
    scanner(page, UPS_2)
    page.wait_for_timeout(300)
    held[0].continue_()

    feedback = page.get_by_test_id("scan-feedback")
    expect(feedback).to_contain_text(f"HAWB H0002 handed off to UPS, tracking number {UPS_2}")
    expect(page.get_by_test_id("scan-count")).to_have_text("2")
    expect(page.get_by_test_id("scan-input")).to_be_focused()
    assert dict(Handoff.objects.values_list("shipment__hawb", "tracking_number")) == {"H0001": UPS_1, "H0002": UPS_2}


def test_an_operator_at_the_terminal_scans_each_mawb_onto_the_truck(lax, new_page):
    """Reaching the first MAWB's checkbox took fourteen Tabs: the scan field is focused on arrival, and each MAWB scanned
    (with or without its dash, or an airline's piece label of it) is ticked, or refused saying why, without the operator
    looking up from the paperwork."""
    mawb_at(lax.forwarder, lax.cfs, mawb="02304726304", hawbs=("J0001",))
    mawb_at(lax.forwarder, lax.cfs, mawb="17600000011", hawbs=("K0001",), permit=False)
    page = new_page(viewport=TABLET)
    log_in(page, "cfs-operator", PASSWORD)
    page.goto("/cfs/collect/")
    field = page.get_by_test_id("scan-input")
    feedback = page.get_by_test_id("scan-feedback")
    expect(field).to_be_focused()

    scanner(page, "160-12345675")
    expect(feedback).to_contain_text("MAWB 160-12345675 chosen for this truck")
    expect(page.get_by_test_id("collect-16012345675").get_by_role("checkbox")).to_be_checked()
    scanner(page, "17600000011")
    expect(feedback).to_contain_text("MAWB 176-00000011 has no permit to transfer to this station yet")
    expect(field).to_have_class(re.compile(r"\bscan-bad\b"))
    scanner(page, "0230472630400001")  # the airline's label on one of its pieces: the MAWB, then the piece number
    expect(feedback).to_contain_text("MAWB 023-04726304 chosen for this truck")
    expect(page.get_by_test_id("collect-02304726304").get_by_role("checkbox")).to_be_checked()
    scanner(page, "02304726304")
    expect(feedback).to_contain_text("MAWB 023-04726304 is already chosen for this truck.")
    expect(page.get_by_test_id("collect-16012345675").get_by_role("checkbox")).to_be_checked()
    expect(field).to_be_focused()
    screenshot(page, "cfs-collect-scan-tablet")

    page.fill("#id_driver", "Jane Roe")
    page.fill("#id_truck", "7ABC123")
    page.fill("#id_bonded_carrier", "Pacific Bonded Trucking")
    page.keyboard.press("Enter")  # Enter in a field of the truck records the collection, as before
    expect(page.get_by_test_id("count-in_transit")).to_have_text("2")
    assert Collection.objects.get().manifests.count() == 2


def test_an_operator_counting_pieces_off_the_truck_types_the_count_without_reaching_for_the_mouse(lax, new_page):
    collect(lax.cfs, User.objects.get(username="cfs-operator"), lax)
    page = new_page(viewport=TABLET)
    log_in(page, "cfs-operator", PASSWORD)
    page.goto(f"/cfs/mawb/{lax.pk}/")
    expect(page.get_by_test_id("mawb-custody")).to_have_text("In transit to CFS")

    expect(page.locator("#id_pieces_received")).to_be_focused()
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("mawb-custody")).to_have_text("At CFS")
    expect(page.get_by_test_id("pieces-received")).to_contain_text("3")


def test_an_operator_chooses_the_carrier_by_scanning_its_name_from_the_carrier_card(lax, new_page):
    """Choosing a carrier by keyboard took one Shift+Tab and an arrow per carrier, focus jumping back to the scan field
    after each: now the carrier's name, scanned from the card printed on the page (or typed), chooses it."""
    broken_down(lax.cfs, User.objects.get(username="cfs-operator"), lax)
    page = new_page(viewport=TABLET)
    log_in(page, "cfs-operator", PASSWORD)
    page.goto("/cfs/scan/")
    card = page.get_by_test_id("carrier-card")
    expect(card.locator("svg.barcode")).to_have_count(4)
    expect(card.get_by_test_id("carrier-barcode-dhl").locator("svg")).to_have_attribute("data-barcode", "DHL")
    field = page.get_by_test_id("scan-input")
    expect(field).to_be_focused()

    scanner(page, "H0001")
    scanner(page, "DHL")
    feedback = page.get_by_test_id("scan-feedback")
    expect(feedback).to_contain_text("Carrier: DHL. Now scan the DHL tracking label of HAWB H0001")
    expect(page.locator("[data-carrier=dhl]")).to_be_checked()
    expect(field).to_be_focused()
    screenshot(page, "cfs-scan-carrier-chosen-tablet")
    scanner(page, "1234567890")
    expect(feedback).to_contain_text("HAWB H0001 handed off to DHL, tracking number 1234567890")

    scanner(page, "usps")  # typed by hand, in small letters
    expect(page.locator("[data-carrier=usps]")).to_be_checked()
    expect(feedback).to_contain_text("Carrier: USPS. Scan a HAWB.")
    assert Handoff.objects.get().carrier.code == "dhl"


def test_an_operator_scanning_a_parcel_of_another_mawb_is_told_which_and_takes_it_to_that_mawbs_scan(lax, new_page):
    """On one MAWB's scan page a parcel of another MAWB of the station read "no such HAWB": the answer names its MAWB and
    opens that MAWB's scan, with the carrier chosen, where the parcel goes as any other."""
    operator = User.objects.get(username="cfs-operator")
    broken_down(lax.cfs, operator, lax)
    other = broken_down(lax.cfs, operator, mawb_at(lax.forwarder, lax.cfs, mawb="16012345686", hawbs=("H0101",)))
    release(parcel(other, "H0101"))
    page = new_page(viewport=TABLET)
    log_in(page, "cfs-operator", PASSWORD)
    page.goto(f"/cfs/scan/?mawb={lax.pk}")
    scanner(page, "DHL")
    scanner(page, "H0101")
    feedback = page.get_by_test_id("scan-feedback")
    expect(feedback).to_contain_text("HAWB H0101 is on MAWB 160-12345686, not this one: open that MAWB's scan, or the "
                                     "station's scan page")
    expect(page.get_by_test_id("scan-input")).to_have_class(re.compile(r"\bscan-bad\b"))
    expect(page.get_by_test_id("scan-input")).to_be_focused()
    screenshot(page, "cfs-scan-other-mawb-tablet")

    page.get_by_test_id("scan-elsewhere-16012345686").click()
    expect(page.locator("h1")).to_contain_text("160-12345686")
    expect(page.locator("[data-carrier=dhl]")).to_be_checked()
    scanner(page, "H0101")
    expect(feedback).to_contain_text("HAWB H0101 may go: now scan its tracking number")
    scanner(page, "1234567890")
    expect(feedback).to_contain_text("HAWB H0101 handed off to DHL, tracking number 1234567890")
    assert Handoff.objects.get().shipment == parcel(other, "H0101")


def test_an_operator_looking_at_the_parcel_hears_each_scan_accepted_or_refused_until_the_sound_is_switched_off(lax, new_page):
    broken_down(lax.cfs, User.objects.get(username="cfs-operator"), lax)
    page = new_page(viewport=TABLET)
    page.add_init_script(TONE_LISTENER)
    log_in(page, "cfs-operator", PASSWORD)
    page.goto("/cfs/scan/")
    page.get_by_test_id("carrier-ups").click()
    sound = page.get_by_test_id("scan-sound")
    expect(sound).to_be_visible()
    expect(sound).to_be_checked()  # on until someone turns it off

    scanner(page, "H0001")
    assert high_beep(tones_after(page, "HAWB H0001 may go"))
    scanner(page, "H0002")  # another parcel's HAWB where H0001's label was expected
    assert low_buzz(tones_after(page, "HAWB H0002 is a parcel"))
    page.keyboard.press("Escape")  # Start over answers silently
    assert tones_after(page, "Scan a HAWB.") == []

    page.get_by_text("Sound on scans").click()
    expect(sound).not_to_be_checked()
    expect(page.get_by_test_id("scan-input")).to_be_focused()  # the next scan goes to the field, not the switch
    scanner(page, "H0003")
    assert tones_after(page, "HAWB H0003 may not be handed off") == []
    expect(page.get_by_test_id("scan-input")).to_have_class(re.compile(r"\bscan-bad\b"))  # the visual cue stays
    screenshot(page, "cfs-scan-sound-off-tablet")

    page.goto("/cfs/collect/")  # remembered on this device, on every scan screen
    expect(page.get_by_test_id("scan-sound")).not_to_be_checked()
    page.get_by_text("Sound on scans").click()
    assert high_beep(page.evaluate("window.tones.splice(0)"))  # switching it on plays the beep it will make
    scanner(page, "99999999999")
    assert low_buzz(tones_after(page, "no such MAWB at this station"))
