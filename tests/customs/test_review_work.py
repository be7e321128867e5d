"""Work after filing, and questions: ACE rejections corrected and re-filed, holds worked to an outcome, information requests."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Notification
from calista import clocks
from customs import filing, review
from customs.models import AceMessage, Entry, Hold, HoldAction, InfoRequest, Transmission
from shipments.models import Shipment, ShipmentEvent
from tests.customs.test_regime import in_thread, paused, postgresql  # noqa: F401 - the postgresql fixture, used by usefixtures
from tests.customs.test_review import waiting  # noqa: F401 - the waiting fixture is used by name

pytestmark = pytest.mark.django_db


# --- ACE rejections -----------------------------------------------------------------------------------


def test_the_rejection_queue_explains_the_codes_from_the_timeline(rejected_by_ace):
    codes = review.ace_rejection_codes([rejected_by_ace.pk])
    assert codes == {rejected_by_ace.pk: ["181"]}
    meaning = review.explained(codes)[rejected_by_ace.pk][0]
    assert meaning["code"] == "181" and "de minimis is suspended" in meaning["meaning"].lower()
    assert meaning["next_step"]


def test_a_type_86_rejected_by_ace_is_corrected_to_type_11_refiled_and_accepted(rejected_by_ace, broker_org, broker_user,
                                                                                 django_capture_on_commit_callbacks):
    shipment = rejected_by_ace
    first_entry = shipment.entry_id
    review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="entry_type", value="11")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[shipment.pk])
    assert outcome.moved == [shipment.pk]
    shipment.refresh_from_db()
    assert shipment.status in ("accepted", "released") and shipment.entry_id != first_entry
    assert Entry.objects.get(pk=first_entry).state == "rejected"  # kept on record
    assert review.entries_of(shipment) == sorted([first_entry, shipment.entry_id])
    steps = list(shipment.events.filter(dimension="customs").values_list("to_state", flat=True))
    assert steps[:6] == ["received", "approved", "filed", "ace_rejected", "filed", "accepted"]


def test_every_ace_message_of_a_shipment_is_readable_raw_and_explained(rejected_by_ace, broker_org, broker_user,
                                                                       django_capture_on_commit_callbacks):
    shipment = rejected_by_ace
    review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="entry_type", value="11")
    with django_capture_on_commit_callbacks(execute=True):
        review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[shipment.pk])
    shipment.refresh_from_db()
    messages = review.ace_messages_for_shipment(shipment)
    kinds = [(m["message"].direction, m["message"].kind) for m in messages]
    assert kinds.count(("out", "entry")) == 2 and kinds.count(("in", "reply")) == 2  # the rejected filing and the new one
    rejected = next(m for m in messages if m["message"].codes == ["181"])
    assert "STATUS=REJECTED" in rejected["raw"] and "suspended" in rejected["codes"][0]["meaning"].lower()
    sent = next(m for m in messages if m["message"].direction == "out")
    assert f'"hawb": "{shipment.hawb}"' in sent["raw"]  # the transmission as sent, pretty-printed
    assert any(m["message"].manifest_id == shipment.manifest_id for m in messages)  # the MAWB's arrival notice too


def test_a_correction_and_a_refiling_by_a_broker_using_the_portal_in_chinese_are_written_in_english(rejected_by_ace, broker_org,
                                                                                                      broker_user):
    shipment = rejected_by_ace
    with translation.override("zh-hans"):
        review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="entry_type", value="11")
        review.shipment_correct(shipment_id=shipment.pk, org=broker_org, user=broker_user, field="description", value="Cotton T-shirt")
        review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[shipment.pk])
    notes = list(shipment.events.filter(dimension="note").order_by("id").values_list("message", flat=True))
    assert notes[0].startswith("Entry type corrected from “86” to “11”")
    assert any(n.startswith("Description corrected from “") and n.endswith("” to “Cotton T-shirt”") for n in notes)
    assert notes[-1] == "Queued for re-filing after ACE's rejection"
    assert not [n for n in notes if any("\u4e00" <= c <= "\u9fff" for c in n)]  # the entry decision's notes too


def test_only_shipments_rejected_by_ace_are_refiled(forwarder_org, broker_org, broker_user, django_capture_on_commit_callbacks):
    received = waiting(forwarder_org, 1)[0]
    with django_capture_on_commit_callbacks(execute=True) as queued:
        outcome = review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[received.pk])
    assert not outcome.moved and outcome.refused == {received.pk: "not rejected by ACE"}
    assert not queued and not Entry.objects.exists()


def test_a_second_re_filing_before_the_first_reaches_ace_takes_nothing(rejected_by_ace, broker_org, broker_user):
    shipment = rejected_by_ace
    first = review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[shipment.pk])  # waits in the outbox
    second = review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[shipment.pk])  # a double click
    assert first.moved == [shipment.pk]
    assert not second.moved and second.refused == {shipment.pk: "its re-filing is already waiting to be transmitted to ACE"}
    shipment.refresh_from_db()
    assert shipment.status == "ace_rejected" and shipment.entry.state == "pending"
    assert Transmission.objects.filter(state="pending").count() == 1  # one entry goes to ACE, once
    assert shipment.events.filter(data__refile=True).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgresql")
def test_two_re_filings_at_once_build_one_entry_and_the_later_one_says_so(rejected_by_ace, broker_org, broker_user, monkeypatch):
    shipment, rejected = rejected_by_ace, rejected_by_ace.entry_id
    reached, go_on = threading.Event(), threading.Event()
    monkeypatch.setattr(filing, "entries_build", paused(filing.entries_build, reached=reached, go_on=go_on))
    first, first_out = in_thread(lambda: review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[shipment.pk]))
    assert reached.wait(10)  # the first holds the parcel's row
    monkeypatch.undo()
    second, second_out = in_thread(lambda: review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[shipment.pk]))
    second.join(1)
    assert second.is_alive()  # it waits for the first
    go_on.set()
    first.join(10)
    second.join(10)
    assert first_out[0].moved == [shipment.pk]
    assert not second_out[0].moved and second_out[0].refused == {
        shipment.pk: "its re-filing is already waiting to be transmitted to ACE"}
    assert Transmission.objects.exclude(entry_id=rejected).count() == 1  # one new entry, sent to ACE once


def test_the_rejections_page_says_which_parcels_already_wait_to_be_re_filed(client, rejected_by_ace, broker_org, broker_user):
    review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[rejected_by_ace.pk])
    client.force_login(broker_user)
    page = client.post(reverse("customs:refile"), {"ids": [rejected_by_ace.pk]}, follow=True)
    text = " ".join(str(m) for m in page.context["messages"])
    assert "0 shipments queued for re-filing. 1 could not be re-filed: its re-filing is already waiting to be transmitted to ACE." in text


def test_a_parcel_whose_re_filing_waits_in_the_outbox_cannot_be_corrected(rejected_by_ace, broker_org, broker_user):
    review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[rejected_by_ace.pk])
    with pytest.raises(review.ReviewError, match="Its entry is waiting to be transmitted to ACE"):
        review.shipment_correct(shipment_id=rejected_by_ace.pk, org=broker_org, user=broker_user, field="entry_type", value="11")
    rejected_by_ace.refresh_from_db()
    assert rejected_by_ace.entry_type == "86" and not rejected_by_ace.events.filter(data__field="entry_type").exists()


def test_a_parcel_whose_re_filing_waits_in_the_outbox_cannot_be_cancelled_under_it(rejected_by_ace, broker_org, broker_user):
    review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[rejected_by_ace.pk])
    outcome = review.review_act(org=broker_org, user=broker_user, action="cancel", shipment_ids=[rejected_by_ace.pk],
                                reason="duplicate order")
    assert outcome.moved == [] and outcome.refused == {rejected_by_ace.pk: "its re-filing is already waiting to be transmitted to ACE"}
    rejected_by_ace.refresh_from_db()
    assert rejected_by_ace.status == "ace_rejected" and rejected_by_ace.entry.state == "pending"


# --- Holds --------------------------------------------------------------------------------------------


@pytest.fixture
def held(forwarder_org):
    shipment = waiting(forwarder_org, 1)[0]
    Shipment.objects.filter(pk=shipment.pk).update(status="on_hold", open_holds=2)
    now = timezone.now()
    fda = Hold.objects.create(shipment=shipment, agency="FDA", code="FH", placed_at=now - timedelta(days=3))
    cbp = Hold.objects.create(shipment=shipment, agency="CBP", code="H1", placed_at=now)
    return shipment, fda, cbp


def test_the_hold_queue_lists_open_holds_of_the_brokers_clients_oldest_first(held, broker_org, other_broker_org, operator_org):
    shipment, fda, cbp = held
    assert list(review.holds_open_for(broker_org)) == [fda, cbp]
    assert list(review.holds_open_for(operator_org)) == [fda, cbp]
    assert not review.holds_open_for(other_broker_org).exists()


def test_the_broker_records_what_was_done_about_a_hold(held, broker_org, broker_user):
    shipment, fda, _cbp = held
    review.hold_action_record(hold_id=fda.pk, org=broker_org, user=broker_user, note="Prior notice sent to FDA")
    assert HoldAction.objects.get(hold=fda).note == "Prior notice sent to FDA"
    assert ShipmentEvent.objects.filter(shipment=shipment, message="FDA hold: Prior notice sent to FDA").exists()
    with pytest.raises(review.ReviewError, match="what was done"):
        review.hold_action_record(hold_id=fda.pk, org=broker_org, user=broker_user, note=" ")


def test_what_a_broker_using_the_portal_in_chinese_does_about_holds_is_written_in_english(held, broker_org, broker_user):
    shipment, fda, cbp = held
    with translation.override("zh-hans"):
        review.hold_action_record(hold_id=fda.pk, org=broker_org, user=broker_user, note="已向 FDA 提交预报")
        review.hold_close(hold_id=fda.pk, org=broker_org, user=broker_user, outcome="released")
        review.hold_close(hold_id=cbp.pk, org=broker_org, user=broker_user, outcome="seized")
    messages = list(shipment.events.filter(at__gte=fda.placed_at).order_by("id").values_list("message", flat=True))
    assert messages[-3:] == ["FDA hold: 已向 FDA 提交预报", "FDA hold released", f"Seized after the {cbp.agency} hold"]


def test_releasing_the_last_hold_returns_the_shipment_to_accepted(held, broker_org, broker_user):
    shipment, fda, cbp = held
    review.hold_close(hold_id=fda.pk, org=broker_org, user=broker_user, outcome="released")
    shipment.refresh_from_db()
    assert (shipment.status, shipment.open_holds) == ("on_hold", 1)  # the CBP hold is still open
    review.hold_close(hold_id=cbp.pk, org=broker_org, user=broker_user, outcome="released", note="Exam passed")
    shipment.refresh_from_db()
    assert (shipment.status, shipment.open_holds) == ("accepted", 0)
    fda.refresh_from_db()
    assert fda.outcome == "released" and fda.removed_at is not None
    event = shipment.events.get(to_state="accepted")
    assert event.user == broker_user and event.message == "Exam passed"
    with pytest.raises(review.ReviewError, match="closed"):
        review.hold_close(hold_id=fda.pk, org=broker_org, user=broker_user, outcome="released")


def test_a_seizure_ends_the_shipment_and_every_open_hold_and_tells_the_forwarder(held, broker_org, broker_user, owner):
    shipment, fda, cbp = held
    review.hold_close(hold_id=fda.pk, org=broker_org, user=broker_user, outcome="seized")
    shipment.refresh_from_db()
    assert (shipment.status, shipment.open_holds) == ("seized", 0)
    assert set(Hold.objects.values_list("outcome", flat=True)) == {"seized"}
    assert not review.holds_open_for(broker_org).exists()
    assert "seized" in Notification.objects.get(user=owner, kind="seized").message


def test_a_hold_outcome_must_be_released_or_seized_and_a_refused_seizure_changes_nothing(held, broker_org, broker_user):
    shipment, fda, _cbp = held
    with pytest.raises(review.ReviewError, match="released or seized"):
        review.hold_close(hold_id=fda.pk, org=broker_org, user=broker_user, outcome="")
    Shipment.objects.filter(pk=shipment.pk).update(status="accepted")  # e.g. the notice already came
    with pytest.raises(review.ReviewError, match="cannot go from Accepted to Seized"):
        review.hold_close(hold_id=fda.pk, org=broker_org, user=broker_user, outcome="seized")
    assert Hold.objects.filter(removed_at__isnull=True).count() == 2


# --- Information requests --------------------------------------------------------------------------------


def test_the_broker_asks_the_forwarder_who_is_told_in_the_portal_and_by_email(broker_org, broker_user, forwarder_org, owner,
                                                                              colleague, outsider, django_capture_on_commit_callbacks):
    shipment = waiting(forwarder_org, 1)[0]
    deadline = clocks.airport_today("LAX") + timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        request = review.info_request_ask(broker=broker_org, user=broker_user, shipment_id=shipment.pk,
                                          question="What is the fabric content?", deadline=deadline)
    assert (request.forwarder, request.broker, request.deadline) == (forwarder_org, broker_org, deadline)
    for user in (owner, colleague):
        note = Notification.objects.get(user=user, kind="info_request")
        assert shipment.hawb in note.message and note.url == f"/shipments/{shipment.pk}/"
    assert not Notification.objects.filter(user=outsider).exists()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.email, colleague.email])
    assert shipment.events.filter(dimension="note", data__info_request=request.pk).exists()


@pytest.mark.parametrize(("question", "days", "message"), [
    ("", 2, "Please give a question."),
    ("Fabric?", -1, "The deadline is in the past"),
    ("x" * 2001, 2, "under 2000 characters"),
])
def test_a_request_needs_a_question_and_a_deadline_not_in_the_past(broker_org, broker_user, forwarder_org, question, days, message):
    shipment = waiting(forwarder_org, 1)[0]
    with pytest.raises(review.ReviewError, match=message):
        review.info_request_ask(broker=broker_org, user=broker_user, shipment_id=shipment.pk, question=question,
                                deadline=clocks.airport_today("LAX") + timedelta(days=days))
    assert not InfoRequest.objects.exists() and not Notification.objects.exists()


def test_a_deadline_is_a_day_at_the_shipments_airport(broker_org, broker_user, forwarder_org, clock):
    clock(datetime(2026, 3, 10, 0, 0, tzinfo=UTC))  # 17:00 PDT on 9 March at LAX: already the 10th in UTC
    shipment = waiting(forwarder_org, 1)[0]  # arriving at LAX
    with pytest.raises(review.ReviewError, match="The deadline is in the past"):
        review.info_request_ask(broker=broker_org, user=broker_user, shipment_id=shipment.pk, question="Fabric?",
                                deadline=date(2026, 3, 8))
    request = review.info_request_ask(broker=broker_org, user=broker_user, shipment_id=shipment.pk, question="Fabric?",
                                      deadline=date(2026, 3, 9))  # today at LAX
    assert not request.is_overdue


def test_a_question_is_overdue_from_midnight_at_the_shipments_airport(broker_org, broker_user, forwarder_org, clock, owner, client):
    clock(datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    at_lax = waiting(forwarder_org, 1)[0]
    at_jfk = waiting(forwarder_org, 1, mawb="16012345686")[0]
    Shipment.objects.filter(pk=at_jfk.pk).update(destination_airport="JFK")
    for shipment in (at_lax, at_jfk):
        review.info_request_ask(broker=broker_org, user=broker_user, shipment_id=shipment.pk, question=f"Fabric of {shipment.hawb}?",
                                deadline=date(2026, 3, 9))
    clock(datetime(2026, 3, 10, 5, 30, tzinfo=UTC))  # 22:30 PDT on the 9th at LAX, 01:30 EDT on the 10th at JFK
    overdue = {r.shipment.hawb: r.is_overdue for r in review.info_requests_for(forwarder_org)}
    assert overdue == {at_lax.hawb: False, at_jfk.hawb: True}
    client.force_login(owner)
    assert client.get("/requests/").content.decode().count(">overdue<") == 1
    client.force_login(broker_user)
    assert client.get("/customs/requests/").content.decode().count(">overdue<") == 1


def test_the_forwarder_answers_once_and_the_broker_is_told(broker_org, broker_user, forwarder_org, owner):
    shipment = waiting(forwarder_org, 1)[0]
    request = review.info_request_ask(broker=broker_org, user=broker_user, shipment_id=shipment.pk, question="Fabric?",
                                      deadline=clocks.airport_today("LAX"))
    review.info_request_answer(forwarder=forwarder_org, user=owner, request_id=request.pk, answer="100% cotton")
    request.refresh_from_db()
    assert (request.answer, request.answered_by, request.is_open) == ("100% cotton", owner, False)
    note = Notification.objects.get(user=broker_user, kind="info_answered")
    assert "100% cotton" in note.message and shipment.hawb in note.message
    with pytest.raises(review.ReviewError, match="already answered"):
        review.info_request_answer(forwarder=forwarder_org, user=owner, request_id=request.pk, answer="Polyester")
    with pytest.raises(review.ReviewError, match="answer"):
        review.info_request_answer(forwarder=forwarder_org, user=owner, request_id=request.pk, answer="")
    assert InfoRequest.objects.get(pk=request.pk).answer == "100% cotton"


def test_a_request_and_its_answer_made_in_chinese_are_stored_in_english_and_read_in_the_readers_language(
        broker_org, broker_user, forwarder_org, owner, client):
    shipment = waiting(forwarder_org, 1)[0]
    deadline = clocks.airport_today("LAX") + timedelta(days=2)
    with translation.override("zh-hans"):  # both sides use the portal in Chinese and type in Chinese
        request = review.info_request_ask(broker=broker_org, user=broker_user, shipment_id=shipment.pk, question="面料成分是什么？",
                                          deadline=deadline)
        review.info_request_answer(forwarder=forwarder_org, user=owner, request_id=request.pk, answer="全棉")
    notes = list(shipment.events.filter(dimension="note").order_by("id").values_list("message", flat=True))
    assert notes == [f"Information requested (answer by {deadline.isoformat()}): 面料成分是什么？", "Information given: 全棉"]
    client.force_login(broker_user)
    in_chinese = client.get(f"/shipments/{shipment.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "报关行询问货代：“面料成分是什么？”" in in_chinese and "货代已答复报关行：“全棉”" in in_chinese
    client.force_login(owner)
    in_english = client.get(f"/shipments/{shipment.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The broker asked the forwarder: “面料成分是什么？”" in in_english and "The forwarder answered the broker: “全棉”" in in_english
    assert "已要求提供信息" not in in_english and "已提供信息" not in in_english


def test_a_cancelled_shipment_needs_no_more_information(broker_org, broker_user, forwarder_org):
    shipment = waiting(forwarder_org, 1)[0]
    Shipment.objects.filter(pk=shipment.pk).update(status="cancelled")
    with pytest.raises(review.ReviewError, match="needs no more information"):
        review.info_request_ask(broker=broker_org, user=broker_user, shipment_id=shipment.pk, question="Fabric?",
                                deadline=clocks.airport_today("LAX"))


def test_ace_messages_are_kept_for_the_entry_page(rejected_by_ace, broker_org, other_broker_org, operator_org):
    entry = Entry.objects.get(pk=rejected_by_ace.entry_id)
    assert review.entries_for(broker_org).filter(pk=entry.pk).exists()
    assert review.entries_for(operator_org).filter(pk=entry.pk).exists()
    assert not review.entries_for(other_broker_org).filter(pk=entry.pk).exists()
    explained = review.messages_explained(list(AceMessage.objects.filter(entry=entry)))
    assert [m["message"].direction for m in explained] == ["out", "in"]
