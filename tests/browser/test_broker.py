"""The broker's day in a real browser, with a real worker: review the queue, approve a whole MAWB with the progress shown,
file, and correct a Type 86 that ACE rejected (181) to Type 11, re-file it and see it accepted."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.demo import DEMO_PASSWORD
from accounts.models import Organization
from customs.models import Hold
from shipments.models import Shipment
from tests.browser.conftest import log_in, screenshot
from tests.customs.test_filing import ingest
from tests.workers import wait_for

pytestmark = [pytest.mark.browser]

MAWB = "93269654583"  # the LAX consolidation of the Chinese sample: most of its parcels
QUIET_ACE = {"ACE_DELAY_SECONDS": 0, "ACE_HOLD_RATE": 0, "ACE_EXAM_RATE": 0, "ACE_REJECT_RATE": 0, "ACE_RATE_LIMIT_PER_HOUR": 0}


@pytest.fixture
def ace_worker(request, monkeypatch, settings):
    """A real worker whose simulated ACE accepts what the law allows and holds nothing (set before the worker starts)."""
    for name, value in QUIET_ACE.items():
        monkeypatch.setenv(name, str(value))
        setattr(settings, name, value)
    return request.getfixturevalue("worker")


def status_of(shipment) -> str:
    return Shipment.objects.values_list("status", flat=True).get(pk=shipment.pk)


def test_the_broker_reviews_approves_a_mawb_files_and_corrects_an_ace_rejection(ace_worker, page):
    call_command("seed_demo", "--orgs-only", "--quiet")
    ingest(Organization.objects.get(slug="demo-forwarder-1"), "sample_chinese_gb18030.csv")
    lax = Shipment.objects.filter(mawb=MAWB).order_by("hawb")
    wrong = lax.first()
    # The wrong decision to simulate: Type 86 for a November 2026 arrival (de minimis is suspended).
    Shipment.objects.filter(pk=wrong.pk).update(entry_type="86", reasons=["DM_ELIGIBLE"])

    # The queue: MAWBs and their shipments, each with its decision and reasons.
    log_in(page, "broker", DEMO_PASSWORD)
    page.get_by_role("link", name="Review queue").first.click()
    assert page.get_by_test_id("queue-title").inner_text() == "Review queue"
    assert page.get_by_test_id(f"mawb-{MAWB}").is_visible()
    row = page.get_by_test_id(f"row-{wrong.hawb}")
    assert "86" in page.get_by_test_id(f"entry-{wrong.hawb}").inner_text() and "DM_ELIGIBLE" in row.inner_text()
    screenshot(page, "broker-queue")

    # Approve the whole MAWB: it runs in the background, the page shows the progress (waiting while no worker runs).
    ace_worker.stop()
    page.get_by_test_id(f"approve-mawb-{MAWB}").click()
    page.get_by_test_id("bulk-progress").wait_for()
    assert "Waiting for a worker" in page.get_by_test_id("bulk-progress").inner_text()
    screenshot(page, "broker-bulk-waiting")
    ace_worker.start()
    page.get_by_test_id("bulk-done").wait_for(timeout=90_000)
    count = lax.count()
    assert f"{count} shipments changed." in page.get_by_test_id("bulk-done").inner_text()
    assert page.get_by_test_id("bulk-count").inner_text() == f"{count} / {count}"
    screenshot(page, "broker-bulk-done")
    assert set(lax.values_list("status", flat=True)) == {"approved"}

    # File: every approved entry goes to ACE, which rejects the Type 86 with 181.
    page.get_by_test_id("bulk-back").click()
    with page.expect_navigation():
        page.get_by_test_id("file-approved").click()
    assert "being filed with ACE" in page.content()
    wait_for(lambda: status_of(wrong) == "ace_rejected", timeout=90, what="ACE's rejection of the Type 86")
    wait_for(lambda: not lax.exclude(pk=wrong.pk).exclude(status__in=["accepted", "released"]).exists(), timeout=90,
             what="the other entries accepted")

    page.get_by_role("link", name="ACE rejections").click()
    rejection = page.get_by_test_id(f"rejection-{wrong.hawb}")
    assert "181" in rejection.inner_text() and "suspended" in rejection.inner_text().lower()
    screenshot(page, "broker-ace-rejections")

    # Correct the entry type on the shipment page (the panel arrives by htmx), then re-file.
    rejection.get_by_role("link", name=wrong.hawb).click()
    page.get_by_test_id("customs-panel").wait_for()
    assert "181" in page.get_by_test_id("ace-rejection").inner_text()
    assert "STATUS=REJECTED|CODES=181" in page.get_by_test_id("ace-messages").text_content()  # raw, folded in a <details>
    page.get_by_test_id("correct-field").select_option("entry_type")
    assert page.get_by_test_id("correct-value").input_value() == "86"
    page.get_by_test_id("correct-value").fill("11")
    with page.expect_navigation():
        page.get_by_test_id("correct-submit").click()
    page.get_by_test_id("customs-panel").wait_for()
    assert page.get_by_test_id("entry-type").inner_text() == "Type 11 informal"
    assert "Entry type corrected from “86” to “11”" in page.get_by_test_id("timeline").inner_text()
    screenshot(page, "broker-corrected")
    with page.expect_navigation():
        page.get_by_test_id("refile").click()
    assert "Queued for re-filing with ACE." in page.content()
    wait_for(lambda: status_of(wrong) in ("accepted", "released"), timeout=90, what="the corrected entry accepted")

    page.reload()
    page.get_by_test_id("customs-panel").wait_for()
    assert page.get_by_test_id("status").inner_text() in ("Accepted", "Released")
    entries = page.get_by_test_id("entry-link")
    assert entries.count() == 2  # the rejected entry stays on record beside the new one
    panel = page.get_by_test_id("customs-panel").inner_text()
    assert "Accepted by ACE" in panel and "Rejected by ACE" in panel
    screenshot(page, "broker-refiled-accepted")


def test_enter_in_the_queues_reason_field_approves_nothing_the_broker_chooses_the_action(page):
    call_command("seed_demo", "--orgs-only", "--quiet")
    ingest(Organization.objects.get(slug="demo-forwarder-1"), "sample_chinese_gb18030.csv")
    first, second = Shipment.objects.filter(mawb=MAWB).order_by("hawb")[:2]
    log_in(page, "broker", DEMO_PASSWORD)
    page.goto("/customs/queue/")

    # The reason typed, then Enter (as at the end of any text): nothing moves.
    page.get_by_test_id(f"row-{first.hawb}").get_by_role("checkbox").check()
    page.get_by_test_id("reason").fill("Commercial invoice missing")
    page.get_by_test_id("reason").press("Enter")
    # A box ticked with the keyboard, then Enter on it: nothing moves either.
    box = page.get_by_test_id(f"row-{second.hawb}").get_by_role("checkbox")
    box.press("Space")
    box.press("Enter")
    page.wait_for_timeout(500)  # a submission would have left by now
    assert (status_of(first), status_of(second)) == ("received", "received")

    # The button chosen acts: both are sent back with the reason.
    with page.expect_navigation():
        page.get_by_test_id("reject-selected").click()
    assert "2 shipments rejected." in page.content()
    assert (status_of(first), status_of(second)) == ("rejected", "rejected")


def test_a_holds_outcome_is_recorded_only_when_the_broker_chooses_it(page):
    call_command("seed_demo", "--orgs-only", "--quiet")
    ingest(Organization.objects.get(slug="demo-forwarder-1"), "sample_chinese_gb18030.csv")
    held = Shipment.objects.filter(mawb=MAWB).order_by("hawb").first()
    Shipment.objects.filter(pk=held.pk).update(status="released", open_holds=1)  # CBP held it after release
    hold = Hold.objects.create(shipment=held, agency="FDA", code="FH", placed_at=timezone.now())
    log_in(page, "broker", DEMO_PASSWORD)
    page.goto("/customs/holds/")
    card = page.get_by_test_id(f"hold-{held.hawb}")

    # What was done, typed in the outcome's note by mistake, then Enter: the hold stays open.
    note = card.get_by_placeholder("Note (optional)")
    note.fill("Called FDA, waiting for their answer")
    note.press("Enter")
    page.wait_for_timeout(500)  # a submission would have left by now
    hold.refresh_from_db()
    assert hold.removed_at is None and status_of(held) == "released"

    # The outcome chosen: recorded.
    card.get_by_test_id("hold-outcome").select_option("released")
    with page.expect_navigation():
        card.get_by_role("button", name="Record outcome").click()
    hold.refresh_from_db()
    assert (hold.outcome, hold.removed_at is not None) == ("released", True)
