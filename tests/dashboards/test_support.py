"""The support console: one box finds a parcel by any number or by its consignee; the parcel is explained in plain words."""

import re
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from cfs.models import Carrier, Handoff
from customs import filing, review
from customs.ace.inbox import notices_receive
from customs.models import AceCode
from dashboards import support
from dashboards.models import SupportNote
from shipments import lifecycle
from shipments.models import Shipment
from shipments.services import manifest_ingest, upload_create
from tests.dashboards.conftest import ROLES, event, visible
from tests.factories import UserFactory, member
from tests.shipments.conftest import sample

pytestmark = pytest.mark.django_db

HELD = "SC00000007"  # green tea: the FDA holds it
HELD_PHONE = "216-555-6368"
QUESTION = "Please send the product invoice and the FDA prior notice."


def found(org, query) -> list[str]:
    return sorted(s.hawb for s in support.shipments_search(org=org, query=query).shipments)


def through_ace(*, forwarder, broker, broker_user, settings, hold_rate=1.0, seize_rate=1.0, exam_rate=0.0):
    """The sample manifest through the real pipeline, from upload to ACE's last notice: the green tea parcel."""
    settings.ACE_DELAY_SECONDS = 0
    settings.ACE_HOLD_RATE = hold_rate
    settings.ACE_SEIZE_RATE = seize_rate
    settings.ACE_EXAM_RATE = exam_rate
    settings.ACE_REJECT_RATE = 0
    settings.ACE_RATE_LIMIT_PER_HOUR = 0
    upload = upload_create(forwarder=forwarder, user=None, file=ContentFile(sample("sample_chinese_gb18030.csv")),
                           name="sample.csv", queue=False)
    manifest_ingest(upload_id=upload.pk)
    shipments = Shipment.objects.filter(upload=upload)
    lifecycle.shipments_approve(list(shipments.values_list("id", flat=True)), actor=lifecycle.Actor.of(broker_user, broker))
    filing.entries_build(broker=broker)
    while claimed := filing.transmissions_claim(limit=500):
        filing.transmissions_deliver(transmission_ids=claimed)
    while notices_receive():
        pass
    return shipments.get(hawb=HELD)


def held_parcel(*, forwarder, broker, broker_user, settings) -> Shipment:
    """ACE holds every entry and no hold ends (they wait for the broker); the broker asks the forwarder about the green tea."""
    parcel = through_ace(forwarder=forwarder, broker=broker, broker_user=broker_user, settings=settings)
    review.info_request_ask(broker=broker, user=broker_user, shipment_id=parcel.pk, question=QUESTION,
                            deadline=timezone.localdate() + timedelta(days=3))
    parcel.refresh_from_db()
    assert parcel.status == "on_hold" and parcel.open_holds == 1
    return parcel


@pytest.fixture
def held(forwarder_org, broker_org, broker_user, cfs_org, settings):
    return held_parcel(forwarder=forwarder_org, broker=broker_org, broker_user=broker_user, settings=settings)


# --- Search: one box, any number, any part of a name ---------------------------------------------------------------


def test_a_parcel_is_found_by_its_hawb_in_any_case_and_with_separators(world, support_user):
    org = support_user.membership.organization
    assert found(org, "A13") == ["A13"]
    assert found(org, " a13 ") == ["A13"]


def test_a_mawb_finds_every_parcel_it_carries(world, support_user):
    org = support_user.membership.organization
    assert found(org, "160-12345686") == ["A13", "A14", "A4", "A5"]
    assert found(org, "16012345686") == ["A13", "A14", "A4", "A5"]


def test_a_consignee_is_found_by_part_of_the_name_in_any_case_and_any_order(world, support_user):
    org = support_user.membership.organization
    assert found(org, "ana lopez") == ["A1", "B1", "C1"]
    assert found(org, "LOPEZ ana") == ["A1", "B1", "C1"]
    assert found(org, "wei ch") == ["A2"]
    assert found(org, "muñoz") == ["A4"]


def test_a_consignee_is_found_without_the_accents_of_the_name(world, support_user):
    org = support_user.membership.organization
    Shipment.objects.filter(hawb="A13").update(consignee_name="ANDRÉS WASHINGTON")
    Shipment.objects.filter(hawb="A3").update(consignee_name="María Peña")
    assert found(org, "andres washington") == ["A13"]
    assert found(org, "Andrés") == ["A13"]
    assert found(org, "pena") == ["A3"] and found(org, "PEÑA maria") == ["A3"]
    assert found(org, "jose munoz") == ["A4"]  # stored as José Muñoz


def test_a_consignee_written_last_name_first_or_with_another_apostrophe_is_found(world, support_user):
    org = support_user.membership.organization
    Shipment.objects.filter(hawb="A3").update(consignee_name="Ji-woo O'Brien")
    assert found(org, "Lopez, Ana") == ["A1", "B1", "C1"]  # as a ticket or a CRM writes it
    assert found(org, "o’brien") == ["A3"]  # the typographic apostrophe a Mac or phone types
    assert found(org, "O'Brien; Ji-woo") == ["A3"]


def test_a_phone_number_is_found_however_it_is_written(world, support_user):
    org = support_user.membership.organization
    assert found(org, "310-555-0101") == ["A1"]  # stored as (310) 555-0101
    assert found(org, "+1 (310) 555 0101") == ["A1"]
    assert found(org, "4155550102") == ["A2"]  # stored as +1 415 555 0102
    assert found(org, "555-01") == ["A1", "A2", "B1"]


def test_phones_are_searched_only_when_no_number_matched(world, support_user):
    """Phones and e-mails take a scan of the table: a MAWB or HAWB that matches is not also looked for among them."""
    Shipment.objects.filter(hawb="B1").update(consignee_phone="+1 6012345686")
    org = support_user.membership.organization
    assert found(org, "160-12345686") == ["A13", "A14", "A4", "A5"]
    assert found(org, "601-234-5686") == ["B1"]


def test_an_email_is_found_by_part_of_it(world, support_user):
    org = support_user.membership.organization
    assert found(org, "ana.lopez@") == ["A1"]
    assert found(org, "ANA.LOPEZ@EXAMPLE.COM") == ["A1"]


def test_an_email_is_found_by_a_fragment_without_its_at(world, support_user):
    org = support_user.membership.organization
    assert found(org, "wilson80") == ["A14"]  # emma.wilson80@example.org
    assert found(org, "Wilson80@Example") == ["A14"]


def test_an_entry_number_and_a_carrier_tracking_number_find_their_parcel(held, support_user, cfs_org):
    org = support_user.membership.organization
    number = held.entry.number
    assert found(org, number) == [HELD]
    assert found(org, f"{number[:3]}-{number[3:10]}-{number[10:]}") == [HELD]
    other = Shipment.objects.exclude(pk=held.pk).filter(upload=held.upload).first()
    Handoff.objects.create(shipment=other, cfs=cfs_org, carrier=Carrier.objects.get(code="ups"), tracking_number="1Z999AA10123456784",
                           method="scan")
    assert found(org, "1z999aa1 0123456784") == [other.hawb]


def test_a_query_too_short_or_unlike_anything_finds_nothing_and_says_why(world, support_user):
    org = support_user.membership.organization
    result = support.shipments_search(org=org, query="an")
    assert result.shipments == [] and result.hint
    assert found(org, "zzzzqqq") == []
    assert support.shipments_search(org=org, query="").shipments == []


def test_like_wildcards_typed_in_the_box_are_taken_literally(world, support_user):
    assert found(support_user.membership.organization, "%%%") == []
    assert found(support_user.membership.organization, "a_a lopez") == []


def test_more_matches_than_shown_say_so(world, support_user):
    result = support.shipments_search(org=support_user.membership.organization, query="lopez", limit=2)
    assert len(result.shipments) == 2 and result.more


@pytest.mark.parametrize("role", ROLES)
def test_every_role_finds_only_what_it_may_see(request, world, role):
    org = request.getfixturevalue(role).membership.organization
    everyone = {"ana lopez": {"A1", "B1", "C1"}, "160-12345686": {"A4", "A5", "A13", "A14"}, "555-01": {"A1", "A2", "B1"},
                "A2": {"A2"}, "jose munoz": {"A4"}, "wilson80": {"A14"}}
    mine = visible(world, role)
    for query, matches in everyone.items():
        assert set(found(org, query)) == matches & mine, query


# --- The console's pages: support agents only -----------------------------------------------------------------------


def test_the_search_page_lists_what_it_found(world, support_user, client):
    client.force_login(support_user)
    html = client.get("/boards/support/", {"q": "ana lopez"}).content.decode()
    for hawb in ("A1", "B1", "C1"):
        assert f'data-testid="row-{hawb}"' in html
    assert "consignee name" in html


@pytest.mark.parametrize("role", ["owner", "broker_user", "cfs_user"])
def test_the_console_is_for_support_agents_only(request, world, role, client):
    user = request.getfixturevalue(role)
    client.force_login(user)
    assert client.get("/boards/support/", {"q": "A1"}).status_code == 403
    own = world["A1"].shipment  # visible to all three of them
    assert client.get(f"/boards/support/shipments/{own.pk}/").status_code == 403
    assert client.post(f"/boards/support/shipments/{own.pk}/notes/", {"text": "hi"}).status_code == 403


def test_another_tenants_parcel_answers_404_in_the_console(world, outsider, client):
    client.force_login(outsider)
    pk = world["A1"].shipment.pk
    assert client.get(f"/boards/support/shipments/{pk}/").status_code == 404
    assert client.post(f"/boards/support/shipments/{pk}/notes/", {"text": "hi"}).status_code == 404


# --- The parcel explained -------------------------------------------------------------------------------------------


def test_a_held_parcel_is_explained_with_what_happens_next_and_who_acts(held, support_user):
    story = support.shipment_story(shipment=held, language="en")
    situation = story.situation
    assert (situation.status_label, situation.custody_label) == ("On hold", "Transfer authorized")
    text = " ".join(situation.sentences)
    assert "CBP has placed an FDA hold" in text and QUESTION in text
    assert situation.who_key == "forwarder" and "answers the broker's question" in situation.next_step
    steps = [(step.kind, step.text) for step in story.steps]
    assert ("customs", "CBP has placed an FDA hold (Food and Drug Administration).") in steps
    hold_step = next(step for step in story.steps if step.kind == "customs" and "FDA hold" in step.text)
    assert hold_step.next_step == AceCode.objects.get(code="FH").next_step_en and hold_step.who == "the customs broker"
    assert any(step.kind == "note" and QUESTION in step.text and step.who == "the forwarder" for step in story.steps)
    assert any(step.kind == "custody" and "permit to transfer" in step.text and "L101" in step.text for step in story.steps)
    ace = [step for step in story.steps if step.kind == "ace"]
    assert any("transmitted to ACE" in step.text for step in ace) and any("accepted the entry" in step.text for step in ace)
    assert any(step.codes and step.codes[0]["code"] == "FH" and step.raw for step in ace)
    assert [step.at for step in story.steps] == sorted(step.at for step in story.steps)


def test_a_removed_agency_hold_is_named_by_its_agency_not_as_cbps(forwarder_org, broker_org, broker_user, settings):
    parcel = through_ace(forwarder=forwarder_org, broker=broker_org, broker_user=broker_user, settings=settings, seize_rate=0.0)
    texts = [step.text for step in support.shipment_story(shipment=parcel, language="en").steps if step.kind == "customs"]
    assert "CBP has placed an FDA hold (Food and Drug Administration)." in texts
    assert "The FDA hold was removed; the entry is accepted again." in texts
    assert not any("CBP hold" in text for text in texts)


def test_the_end_of_an_exam_reads_as_the_exam_finished(forwarder_org, broker_org, broker_user, cfs_org, settings):
    from cfs.services import cfs_simulate_step

    parcel = through_ace(forwarder=forwarder_org, broker=broker_org, broker_user=broker_user, settings=settings, hold_rate=0.0,
                         exam_rate=1.0)
    cfs_simulate_step(cfs=cfs_org, now=timezone.now())  # CBP ends the exam once the station has presented the goods
    while notices_receive():
        pass
    texts = [step.text for step in support.shipment_story(shipment=parcel, language="en").steps if step.kind == "customs"]
    assert "CBP finished the exam; the entry is accepted again." in texts


def test_an_older_hold_removed_event_names_the_hold_removed_by_then(world):
    a2 = world["A2"].shipment  # held by the FDA (FH)
    removed_at = timezone.now() - timedelta(hours=1)
    a2.holds.update(removed_at=removed_at, outcome="released")
    event(a2, "customs", "accepted", removed_at + timedelta(seconds=1), from_state="on_hold", data={"code": "HR"})
    texts = [step.text for step in support.shipment_story(shipment=a2, language="en").steps if step.kind == "customs"]
    assert "The FDA hold was removed; the entry is accepted again." in texts


def test_a_hold_removed_from_a_released_parcel_says_it_is_released_again_not_accepted(world):
    a2 = world["A2"].shipment  # held by the FDA (FH); as if the hold had come after the release
    removed_at = timezone.now() - timedelta(hours=1)
    a2.holds.update(removed_at=removed_at, outcome="released")
    event(a2, "customs", "released", removed_at + timedelta(seconds=1), from_state="on_hold", data={"code": "HR"})
    texts = [step.text for step in support.shipment_story(shipment=a2, language="en").steps if step.kind == "customs"]
    assert texts[-1] == "The FDA hold was removed; the shipment is released again."
    assert not any("accepted again" in text for text in texts)


def test_an_older_hold_removed_event_whose_hold_is_unknown_names_no_agency(world):
    a3 = world["A3"].shipment  # accepted, never held as far as the portal knows
    event(a3, "customs", "accepted", timezone.now(), from_state="on_hold", data={"code": "HR"})
    texts = [step.text for step in support.shipment_story(shipment=a3, language="en").steps if step.kind == "customs"]
    assert "The hold was removed; the entry is accepted again." in texts


def test_an_acceptance_by_ace_is_not_read_as_a_hold_removed(world):
    a3 = world["A3"].shipment
    event(a3, "customs", "accepted", timezone.now(), from_state="filed", data={"code": "00"})
    texts = [step.text for step in support.shipment_story(shipment=a3, language="en").steps if step.kind == "customs"]
    assert texts[-1] == "ACE accepted the entry; CBP is reviewing it." and not any("hold" in text for text in texts)


def test_a_parcel_at_exam_says_cbp_examines_it_and_cbp_acts(world):
    a2 = world["A2"].shipment
    a2.holds.update(agency="CBP", code="1X")
    Shipment.objects.filter(pk=a2.pk).update(custody="at_exam")
    a2.refresh_from_db()
    situation = support.shipment_story(shipment=a2, language="en").situation
    assert situation.sentences[0].startswith("CBP has ordered an exam. (since ")
    assert "The parcel is at CBP's examination station." in situation.sentences
    assert not any("Transfer for exam" in sentence or "of its own" in sentence for sentence in situation.sentences)
    assert (situation.next_step, situation.who_key) == ("CBP examines it; then it goes back to the station.", "cbp")


def test_a_parcel_waiting_to_go_to_exam_says_the_station_brings_it_there_and_nothing_is_released_before(world):
    b2 = world["B2"].shipment  # awaiting arrival
    b2.holds.update(agency="CBP", code="1X")
    situation = support.shipment_story(shipment=b2, language="en").situation
    assert situation.sentences[0].startswith("CBP has ordered an exam: it waits for the station to bring the parcel to the "
                                             "exam station, and nothing is released before. (since ")
    assert (situation.next_step, situation.who_key) == (AceCode.objects.get(code="1X").next_step_en, "cfs")


def test_an_exam_on_the_timeline_says_cbp_acts_not_the_broker(forwarder_org, broker_org, broker_user, settings):
    parcel = through_ace(forwarder=forwarder_org, broker=broker_org, broker_user=broker_user, settings=settings, hold_rate=0.0,
                         exam_rate=1.0)
    steps = support.shipment_story(shipment=parcel, language="en").steps
    exam = next(step for step in steps if step.kind == "customs" and step.text.startswith("CBP has ordered an exam"))
    assert exam.who == "CBP"


def test_once_the_forwarder_has_answered_the_broker_acts_on_the_hold(held, owner):
    request = held.info_requests.get()
    review.info_request_answer(forwarder=held.forwarder, user=owner, request_id=request.pk, answer="Invoice attached.")
    story = support.shipment_story(shipment=held, language="en")
    assert story.situation.who_key == "broker"
    assert story.situation.next_step == AceCode.objects.get(code="FH").next_step_en
    assert any(step.text == "The forwarder answered the broker: “Invoice attached.”" for step in story.steps)


def test_the_explanations_speak_chinese_to_a_chinese_reader(held):
    fda = AceCode.objects.get(code="FH")
    story = support.shipment_story(shipment=held, language="zh-hans")
    assert story.situation.status_label == "扣留"
    assert any(fda.meaning_zh in " ".join(c["meaning"] for c in step.codes) for step in story.steps)
    assert any(step.next_step == fda.next_step_zh for step in story.steps)


def test_the_status_summary_is_offered_in_english_and_chinese(held):
    story = support.shipment_story(shipment=held, language="en")
    english, chinese = (s["text"] for s in story.summaries)
    assert english.startswith(f"HAWB {HELD} (MAWB 932-69654583) for Sarah Thomas")
    assert "Customs: On hold. Custody: Transfer authorized." in english and QUESTION in english
    assert "Who acts: the forwarder." in english
    assert AceCode.objects.get(code="FH").meaning_zh in chinese and "扣留" in chinese
    assert support.status_summary(shipment=held, language="en") == english


def test_the_summary_says_the_day_the_flight_landed_or_the_day_it_is_due(world):
    landed, due = world["A4"].shipment, world["B1"].shipment
    type(landed).objects.filter(manifest=landed.manifest).update(arrived_on=landed.arrival_date + timedelta(days=1))
    landed.refresh_from_db()

    def summary(shipment):
        return support.shipment_story(shipment=shipment, language="en").summaries[0]["text"]

    assert f"landed {landed.arrival_date + timedelta(days=1)}." in summary(landed)
    assert f"arriving {due.arrival_date}." in summary(due)


def test_released_and_handed_off_parcels_say_the_carrier_acts(world):
    story = support.shipment_story(shipment=world["A4"].shipment, language="en")
    assert story.situation.who_key == "carrier"
    assert any(step.text.startswith("The parcel was handed to UPS, tracking number 1ZA4") for step in story.steps)


def test_an_ace_rejection_is_explained_by_its_codes(world):
    story = support.shipment_story(shipment=world["A5"].shipment, language="en")
    rejected = next(step for step in story.steps if step.kind == "customs")
    assert rejected.text.startswith("ACE rejected the entry: 181: Entry Type 86 rejected")
    assert rejected.next_step == AceCode.objects.get(code="181").next_step_en and rejected.who == "the customs broker"
    assert story.situation.who_key == "broker"


def test_the_console_page_shows_both_dimensions_the_timeline_the_summary_and_no_action(held, support_user, client):
    client.force_login(support_user)
    html = client.get(f"/boards/support/shipments/{held.pk}/").content.decode()
    assert 'data-testid="status">On hold<' in html and 'data-testid="custody">Transfer authorized<' in html
    assert "CBP has placed an FDA hold" in html and 'data-testid="summary-zh-hans"' in html
    actions = set(re.findall(r'<form[^>]*action="([^"]+)"', html))
    # The note, the log-out and the language switch: nothing that changes a shipment.
    assert actions == {f"/boards/support/shipments/{held.pk}/notes/", "/accounts/logout/", "/i18n/setlang/"}


# --- Internal notes ---------------------------------------------------------------------------------------------------


def test_a_support_agent_adds_an_internal_note_that_only_the_operator_reads(held, support_user, owner, broker_user, client):
    client.force_login(support_user)
    response = client.post(f"/boards/support/shipments/{held.pk}/notes/", {"text": "Customer called; told them FDA is reviewing."})
    assert response.status_code == 302
    note = SupportNote.objects.get()
    assert (note.shipment, note.author) == (held, support_user)
    assert "Customer called" in client.get(f"/boards/support/shipments/{held.pk}/").content.decode()
    assert list(support.notes_for(org=owner.membership.organization, shipment=held)) == []
    for user in (owner, broker_user):
        client.force_login(user)
        assert "Customer called" not in client.get(f"/shipments/{held.pk}/").content.decode()


def test_a_note_changes_nothing_of_the_shipment(held, support_user):
    before = Shipment.objects.filter(pk=held.pk).values().get()
    events = held.events.count()
    support.note_add(org=support_user.membership.organization, user=support_user, shipment_id=held.pk, text="Checked.")
    assert Shipment.objects.filter(pk=held.pk).values().get() == before and held.events.count() == events


def test_an_empty_or_overlong_note_is_refused(held, support_user):
    org = support_user.membership.organization
    with pytest.raises(support.NoteError):
        support.note_add(org=org, user=support_user, shipment_id=held.pk, text="   ")
    with pytest.raises(support.NoteError):
        support.note_add(org=org, user=support_user, shipment_id=held.pk, text="x" * (support.NOTE_LIMIT + 1))


def test_only_the_operator_may_write_notes(held, owner):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        support.note_add(org=owner.membership.organization, user=owner, shipment_id=held.pk, text="mine")


def test_a_platform_admin_reads_and_writes_notes_too(held, operator_org, client):
    admin = member(UserFactory(username="platform-admin"), operator_org, "admin")
    client.force_login(admin)
    client.post(f"/boards/support/shipments/{held.pk}/notes/", {"text": "Escalated."})
    assert "Escalated." in client.get(f"/boards/support/shipments/{held.pk}/").content.decode()


def test_support_cannot_change_a_shipment_from_anywhere(held, support_user, client):
    client.force_login(support_user)
    response = client.post(f"/customs/shipments/{held.pk}/decide/", {"action": "cancel", "reason": "no"})
    assert response.status_code == 403
    held.refresh_from_db()
    assert held.status == "on_hold"


def test_the_console_page_reads_a_long_timeline_in_a_bounded_number_of_queries(held, support_user, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(support_user)
    url = f"/boards/support/shipments/{held.pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as short:
        client.get(url)
    for n in range(30):  # thirty more notes on the timeline: no query more
        lifecycle.note(shipment_ids=[held.pk], actor=lifecycle.SYSTEM, message=f"note {n}")
    with CaptureQueriesContext(connection) as long:
        assert client.get(url).status_code == 200
    assert len(long.captured_queries) == len(short.captured_queries) <= 30
