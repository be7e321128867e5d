"""The language a member reads the portal in is remembered: what is sent them later (e-mails) is written in it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership

pytestmark = pytest.mark.django_db


def language(user):
    return Membership.objects.get(user=user).language


def test_a_member_whose_browser_speaks_chinese_is_remembered_as_reading_chinese(client, owner):
    client.force_login(owner)
    client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert language(owner) == "zh-hans"


def test_the_language_chosen_with_the_switch_is_remembered_and_so_is_a_switch_back(client, owner):
    client.force_login(owner)
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}, follow=True)
    assert language(owner) == "zh-hans"
    client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    assert language(owner) == "en"


def test_each_member_keeps_their_own_language(client, owner, colleague):
    client.force_login(owner)
    client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(colleague)
    client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert (language(owner), language(colleague)) == ("zh-hans", "")  # nothing kept reads as the portal's own, English


def test_reading_in_the_language_already_kept_writes_nothing(client, owner):
    client.force_login(owner)
    client.get("/accounts/profile/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    with CaptureQueriesContext(connection) as queries:
        client.get("/accounts/profile/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE") and "accounts_membership" in q["sql"]]
