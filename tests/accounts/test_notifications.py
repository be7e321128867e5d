"""The bell and the notifications page: each person sees their own, opening the page marks them read."""

import pytest

from accounts.models import Notification
from customs import review
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db


def notify(user, message, url=""):
    return Notification.objects.create(user=user, kind="info_request", message=message, url=url)


def test_the_bell_shows_the_unread_count(client, owner):
    notify(owner, "First")
    notify(owner, "Second")
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert 'data-testid="notifications-bell"' in page and 'data-testid="unread-count">2<' in page


def test_without_unread_notifications_the_bell_has_no_count(client, owner):
    client.force_login(owner)
    page = client.get("/").content.decode()
    assert 'data-testid="notifications-bell"' in page and 'data-testid="unread-count"' not in page


def test_the_page_lists_the_users_notifications_and_marks_them_read(client, owner):
    notify(owner, "HAWB H1 needs information", url="/shipments/1/")
    client.force_login(owner)
    page = client.get("/accounts/notifications/").content.decode()
    assert "HAWB H1 needs information" in page and 'href="/shipments/1/"' in page and ">new<" in page
    assert not Notification.objects.filter(user=owner, read_at__isnull=True).exists()
    again = client.get("/accounts/notifications/").content.decode()
    assert "HAWB H1 needs information" in again and ">new<" not in again
    assert 'data-testid="unread-count"' not in client.get("/").content.decode()


def test_owner_colleague_and_outsider_each_see_only_their_own(client, owner, colleague, outsider):
    notify(owner, "For the owner")
    notify(colleague, "For the colleague")
    notify(outsider, "For the outsider")
    texts = {owner: "For the owner", colleague: "For the colleague", outsider: "For the outsider"}
    for user, mine in texts.items():
        client.force_login(user)
        page = client.get("/accounts/notifications/").content.decode()
        assert mine in page
        assert not [text for text in texts.values() if text != mine and text in page]


def test_reading_ones_own_notifications_leaves_a_colleagues_unread(client, owner, colleague):
    notify(owner, "Mine")
    theirs = notify(colleague, "Theirs")
    client.force_login(owner)
    client.get("/accounts/notifications/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_the_notifications_page_needs_a_login(client):
    response = client.get("/accounts/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_broker_rejection_rings_the_forwarders_bell_and_sends_mail_to_those_who_asked(client, owner, colleague, outsider,
                                                                                       broker_org, broker_user, forwarder_org,
                                                                                       django_capture_on_commit_callbacks):
    from django.core import mail

    colleague.membership.email_notifications = False
    colleague.membership.save()
    shipment = shipment_for(manifest_for(forwarder_org))
    with django_capture_on_commit_callbacks(execute=True):
        review.review_reject(broker=broker_org, user=broker_user, shipment_ids=[shipment.pk], reason="Invoice missing")
    for user in (owner, colleague):
        client.force_login(user)
        assert 'data-testid="unread-count">1<' in client.get("/").content.decode()
        assert "rejected by the broker: Invoice missing" in client.get("/accounts/notifications/").content.decode()
    client.force_login(outsider)
    assert 'data-testid="unread-count"' not in client.get("/").content.decode()
    assert [m.to for m in mail.outbox] == [[owner.email]]


def test_the_notifications_page_speaks_chinese(client, owner):
    client.force_login(owner)
    page = client.get("/accounts/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "通知" in page


def test_a_notification_reads_in_the_language_of_whoever_opens_the_page(client, owner, broker_org, broker_user, forwarder_org):
    shipment = shipment_for(manifest_for(forwarder_org))
    review.review_reject(broker=broker_org, user=broker_user, shipment_ids=[shipment.pk], reason="Invoice missing")
    client.force_login(owner)
    chinese = client.get("/accounts/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "1 票货物被报关行退回：Invoice missing（主单号 160-12345675）" in chinese and "rejected by the broker" not in chinese
    english = client.get("/accounts/notifications/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 shipment(s) rejected by the broker: Invoice missing (MAWB 160-12345675)" in english


def test_a_notification_stored_before_they_were_translated_still_shows_its_english_text(client, owner):
    Notification.objects.create(user=owner, kind="released", message="3 shipment(s) released by CBP (MAWB 160-12345675)")
    client.force_login(owner)
    page = client.get("/accounts/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "3 shipment(s) released by CBP (MAWB 160-12345675)" in page
