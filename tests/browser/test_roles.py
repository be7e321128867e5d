"""Each demo role logs in through a real browser and sees its own home."""

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_PASSWORD
from tests.browser.conftest import TABLET, log_in, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOMES = [
    ("forwarder", "Forwarder workspace", "Forwarder"),
    ("broker", "Broker workbench", "Customs broker"),
    ("cfs-lax", "CFS operations", "Container freight station"),
    ("support", "Operations overview", "Platform operator"),
    ("admin", "Operations overview", "Platform operator"),
]


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--orgs-only", "--quiet")


@pytest.mark.parametrize(("username", "title", "kind"), HOMES)
def test_each_demo_role_logs_in_and_sees_its_home(demo, page, username, title, kind):
    log_in(page, username, DEMO_PASSWORD)
    assert page.get_by_test_id("home-title").inner_text() == title
    assert kind in page.get_by_test_id("org-name").inner_text()
    screenshot(page, f"home-{username}")


def test_only_the_platform_admin_is_offered_the_administration(demo, page):
    log_in(page, "admin", DEMO_PASSWORD)
    page.get_by_test_id("user-menu").click()
    assert page.get_by_role("link", name="Administration").is_visible()
    page.get_by_role("link", name="Administration").click()
    assert "Site administration" in page.content()


def test_a_wrong_password_shows_a_clear_error(demo, page):
    page.goto("/accounts/login/")
    page.fill("#id_username", "forwarder")
    page.fill("#id_password", "not-the-password")
    page.get_by_test_id("login-submit").click()
    assert "correct username and password" in page.get_by_test_id("login-error").inner_text()


def test_the_language_switch_turns_the_portal_chinese(demo, page):
    log_in(page, "forwarder", DEMO_PASSWORD)
    page.get_by_test_id("language-switch").get_by_role("button", name="中文").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("home-title").inner_text() == "货代工作台"
    screenshot(page, "home-forwarder-zh")


def test_the_home_is_usable_on_a_tablet(demo, new_page):
    page = new_page(viewport=TABLET)
    log_in(page, "cfs-lax", DEMO_PASSWORD)
    assert page.get_by_test_id("home-title").is_visible()
    screenshot(page, "home-cfs-tablet")


def test_logging_out_returns_to_the_login_page(demo, page):
    log_in(page, "support", DEMO_PASSWORD)
    page.get_by_test_id("user-menu").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/accounts/login/")
