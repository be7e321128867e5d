"""A support agent in a real browser: a customer calls about a parcel; the agent finds it by the phone number and explains it."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.demo import DEMO_PASSWORD
from accounts.models import Organization
from customs.models import AceCode
from tests.browser.conftest import log_in, screenshot
from tests.dashboards.test_support import HELD, QUESTION, held_parcel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def held(settings):
    """The demo organizations; the sample manifest filed through the simulated ACE, which holds the green tea for the FDA;
    the broker has asked the forwarder for the invoice."""
    call_command("seed_demo", "--orgs-only", "--quiet")
    return held_parcel(forwarder=Organization.objects.get(slug="demo-forwarder-1"), broker=Organization.objects.get(slug="demo-broker"),
                       broker_user=get_user_model().objects.get(username="broker"), settings=settings)


def test_a_support_agent_finds_a_held_parcel_by_the_consignees_phone_and_reads_its_explained_timeline(held, page):
    fda = AceCode.objects.get(code="FH")
    log_in(page, "support", DEMO_PASSWORD)
    page.get_by_role("link", name="Support", exact=True).click()
    expect(page.get_by_test_id("support-title")).to_have_text("Support")

    # The customer reads the number out as they wrote it down.
    page.fill("#support-q", "(216) 555 6368")
    page.get_by_test_id("support-submit").click()
    row = page.get_by_test_id(f"row-{HELD}")
    expect(row).to_contain_text("Sarah Thomas")
    expect(page.get_by_test_id("support-found")).to_contain_text("phone")
    screenshot(page, "support-search-by-phone")
    row.get_by_role("link", name=HELD).click()

    # Both dimensions, where it stands, what happens next and who acts.
    expect(page.get_by_test_id("status")).to_have_text("On hold")
    expect(page.get_by_test_id("custody")).to_have_text("Transfer authorized")
    situation = page.get_by_test_id("situation")
    expect(situation).to_contain_text("CBP has placed an FDA hold (Food and Drug Administration).")
    expect(situation).to_contain_text(f"The broker has asked the forwarder: “{QUESTION}”")
    expect(page.get_by_test_id("who-acts")).to_have_text("the forwarder")

    # The whole timeline, events and ACE messages, each explained.
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("The shipment was accepted from the forwarder's manifest")
    expect(timeline).to_contain_text("was transmitted to ACE.")
    expect(timeline).to_contain_text("ACE accepted the entry")
    expect(timeline).to_contain_text(fda.meaning_en)
    expect(timeline).to_contain_text(fda.next_step_en)
    expect(timeline).to_contain_text("The flight arrived: the consolidation is at the airline terminal.")
    assert page.get_by_test_id("step").count() >= 10
    screenshot(page, "support-held-parcel-timeline")

    # The summary to answer the customer with, copied in one click.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    assert "Customs: On hold. Custody: Transfer authorized." in page.get_by_test_id("summary-en").input_value()
    page.get_by_test_id("copy-en").click()
    assert "Who acts: the forwarder." in page.evaluate("() => navigator.clipboard.readText()")

    # An internal note for the next agent.
    page.fill("#note-text", "Customer called: the FDA reviews the tea; the forwarder owes the broker an invoice.")
    page.get_by_test_id("note-submit").click()
    expect(page.get_by_test_id("note")).to_contain_text("Customer called")

    # The same page for a Chinese-speaking agent: the explanations in Chinese.
    page.get_by_test_id("language-switch").get_by_role("button", name="中文").click()
    page.wait_for_load_state()
    expect(page.get_by_test_id("status")).to_have_text("扣留")
    expect(page.get_by_test_id("timeline")).to_contain_text(fda.meaning_zh)
    expect(page.get_by_test_id("timeline")).to_contain_text(fda.next_step_zh)
    screenshot(page, "support-held-parcel-zh")
