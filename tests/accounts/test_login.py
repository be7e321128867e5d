from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import LoginThrottle
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_a_member_logs_in_and_lands_on_the_home_page(client, owner):
    response = login(client, "owner", PASSWORD)
    assert response.status_code == 302 and response.url == "/"
    assert "Forwarder workspace" in client.get("/").content.decode()


def test_pages_ask_anonymous_visitors_to_log_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_a_wrong_password_is_refused_with_a_message(client, owner):
    response = login(client, "owner", "nope")
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(client, owner, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        login(client, "owner", "wrong")
    response = login(client, "owner", PASSWORD)
    assert response.status_code == 200
    assert "locked" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lock_ends_after_the_lockout_period(client, owner, settings):
    settings.LOGIN_MAX_FAILURES = 2
    login(client, "owner", "wrong")
    login(client, "owner", "wrong")
    LoginThrottle.objects.filter(username="owner").update(locked_until=timezone.now() - timedelta(seconds=1))
    response = login(client, "owner", PASSWORD)
    assert response.status_code == 302


def test_a_successful_login_resets_the_failure_count(client, owner, settings):
    settings.LOGIN_MAX_FAILURES = 3
    login(client, "owner", "wrong")
    login(client, "owner", "wrong")
    assert login(client, "owner", PASSWORD).status_code == 302
    assert not LoginThrottle.objects.filter(username="owner").exists()


def test_login_without_a_csrf_token_is_refused(owner):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "owner", "password": PASSWORD})
    assert response.status_code == 403


def test_logout_is_a_post_and_ends_the_session(client, owner):
    client.force_login(owner)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_a_member_changes_their_password(client, owner):
    client.force_login(owner)
    response = client.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": "a-much-better-secret-42", "new_password2": "a-much-better-secret-42",
    })
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("a-much-better-secret-42")


def test_a_weak_new_password_is_refused(client, owner):
    client.force_login(owner)
    response = client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": "12345", "new_password2": "12345"})
    assert response.status_code == 200
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_password_reset_sends_a_link_that_sets_a_new_password(client, owner):
    response = client.post("/accounts/password/reset/", {"email": owner.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password/reset/" in line)
    path = link[link.index("/accounts/"):]
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "fresh-start-password-9", "new_password2": "fresh-start-password-9"})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("fresh-start-password-9")


def test_password_reset_does_not_reveal_whether_an_address_is_known(client, owner):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 0
