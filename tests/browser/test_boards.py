"""Airport boards in a real browser: each airport's figures and chart, the list behind a number, a refresh without reload.

A screenshot of every board is kept in test-artifacts/screenshots/ (board-all, board-LAX, board-SFO, board-JFK, board-ATL).
"""

import pytest
from playwright.sync_api import expect

from dashboards.tallies import tallies_refresh
from shipments.models import Manifest
from tests.browser.conftest import LAPTOP, TABLET, log_in, screenshot
from tests.dashboards.conftest import third_forwarder_org, world  # noqa: F401 - the shipments the boards count, used by name
from tests.factories import PASSWORD, shipment_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def chart_drawn(page) -> bool:
    return page.evaluate("() => { const c = document.querySelector('canvas[data-chart]'); return !!(c && Chart.getChart(c)); }")


def test_a_support_agent_reads_every_airports_board(world, support_user, new_page):  # noqa: F811
    page = new_page(viewport=LAPTOP)
    log_in(page, "support", PASSWORD)
    page.get_by_test_id("boards-link").click()
    expect(page.get_by_test_id("board-title")).to_have_text("All airports")
    page.get_by_test_id("period-30d").click()
    expect(page.get_by_test_id("count-total")).to_have_text("12")  # every forwarder's shipments of the last 30 days
    assert chart_drawn(page)
    screenshot(page, "board-all")
    expected = {"LAX": "10", "SFO": "0", "JFK": "2", "ATL": "0"}
    for airport, total in expected.items():
        page.get_by_test_id(f"airport-{airport}").click()
        expect(page.get_by_test_id("board-title")).to_have_text(f"{airport} board")
        expect(page.get_by_test_id("count-total")).to_have_text(total)
        assert chart_drawn(page)
        screenshot(page, f"board-{airport}")


def test_a_number_leads_to_its_shipments_and_the_board_refreshes_itself(world, owner, new_page):  # noqa: F811
    page = new_page(viewport=TABLET)
    log_in(page, "owner", PASSWORD)
    page.goto("/boards/LAX/?period=7d&refresh=5")
    expect(page.get_by_test_id("status-on_hold")).to_have_text("1")
    expect(page.get_by_test_id("hold-FDA-days")).to_have_text("1")
    screenshot(page, "board-LAX-forwarder-tablet")

    # Without reloading the page: a new hold at LAX, summed by the next refresh of the tallies, appears within seconds.
    page.evaluate("() => { window.stayedOnThePage = true; }")
    manifest = Manifest.objects.get(mawb="16012345675")
    shipment_for(manifest, hawb="A15", status="on_hold", custody="broken_down")
    tallies_refresh()
    expect(page.get_by_test_id("status-on_hold")).to_have_text("2", timeout=15_000)
    assert page.evaluate("() => window.stayedOnThePage") is True

    # The number is a link to the shipments it counts.
    page.get_by_test_id("status-on_hold").click()
    expect(page.get_by_test_id("list-count")).to_contain_text("2 shipments")
    expect(page.get_by_test_id("row-A2")).to_be_visible()
    expect(page.get_by_test_id("row-A15")).to_be_visible()
    screenshot(page, "board-list-on-hold")
