import threading
from datetime import date

import pytest
from django.db import connection

from customs import filing
from customs.models import Entry, RegimePin, Transmission
from shipments.models import Shipment
from tests.conftest import services_required, unavailable
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin(operator_org):
    return member(UserFactory(username="platform-admin"), operator_org, "admin")


def test_a_platform_admin_pins_and_unpins_the_regime(client, platform_admin):
    client.force_login(platform_admin)
    response = client.post("/customs/regime/", {"active": "on", "as_of": "2025-08-28", "note": "training"})
    assert response.status_code == 302
    assert RegimePin.objects.get(active=True).as_of == date(2025, 8, 28)
    assert "2025-08-28" in client.get("/customs/regime/").content.decode()
    client.post("/customs/regime/", {"as_of": "", "note": ""})
    assert not RegimePin.objects.filter(active=True).exists()


def test_a_pinned_regime_decides_new_uploads(client, platform_admin, owner, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shipments.models import Shipment
    from tests.shipments.conftest import sample

    client.force_login(platform_admin)
    client.post("/customs/regime/", {"active": "on", "as_of": "2025-08-28"})
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/uploads/new/", {"file": SimpleUploadedFile("c.csv", sample("sample_chinese_gb18030.csv"))})
    reasons = {tuple(r) for r in Shipment.objects.values_list("reasons", flat=True)}
    assert reasons and ("DM_SUSPENDED",) not in reasons  # Nov 2026 arrivals, decided as in August 2025
    assert ("DM_ORIGIN_EXCLUDED",) in reasons


def test_a_support_agent_sees_the_regime_but_cannot_pin_it(client, support_user):
    client.force_login(support_user)
    assert client.get("/customs/regime/").status_code == 200
    assert client.post("/customs/regime/", {"active": "on", "as_of": "2025-08-28"}).status_code == 403
    assert not RegimePin.objects.exists()


def test_other_organizations_cannot_open_the_regime_page(client, owner, broker_user):
    for user in (owner, broker_user):
        client.force_login(user)
        assert client.get("/customs/regime/").status_code == 403


# --- Changing the pin decides the waiting parcels again ------------------------------------------


@pytest.fixture
def waiting_sample(forwarder_org):
    """The Chinese sample (November 2026 arrivals) uploaded without a pin: de minimis suspended for every parcel."""
    from django.core.files.base import ContentFile

    from shipments.models import Shipment
    from shipments.services import manifest_ingest, upload_create
    from tests.shipments.conftest import sample

    upload = upload_create(forwarder=forwarder_org, user=None, name="c.csv",
                           file=ContentFile(sample("sample_chinese_gb18030.csv")), queue=False)
    manifest_ingest(upload_id=upload.pk)
    shipments = Shipment.objects.filter(upload=upload)
    assert {tuple(r) for r in shipments.values_list("reasons", flat=True)} <= {("DM_SUSPENDED",), ("DM_SUSPENDED", "INFORMAL_LIMIT_OVER")}
    return shipments


def pin(client, platform_admin, capture, **form):
    client.force_login(platform_admin)
    with capture(execute=True):
        assert client.post("/customs/regime/", form).status_code == 302


def test_pinning_the_regime_decides_again_the_parcels_waiting_for_review_and_tells_the_broker_of_approved_ones(
        client, platform_admin, waiting_sample, broker_user, django_capture_on_commit_callbacks):
    from accounts.models import Notification
    from shipments import lifecycle

    approved, filed = waiting_sample.get(hawb="SC00000002"), waiting_sample.get(hawb="SC00000005")
    lifecycle.shipments_approve([approved.pk, filed.pk], actor=lifecycle.Actor.of(broker_user))
    waiting_sample.filter(pk=filed.pk).update(status="filed")  # already with ACE: keeps what it was filed as

    pin(client, platform_admin, django_capture_on_commit_callbacks, active="on", as_of="2025-04-30", note="training")

    received = waiting_sample.get(hawb="SC00000001")
    assert (received.entry_type, received.reasons) == ("86", ["DM_ELIGIBLE"])
    assert "Entry decision changed from Type 11 to Type 86" in received.events.latest("id").message
    approved.refresh_from_db()
    assert (approved.status, approved.entry_type, approved.reasons) == ("approved", "86", ["DM_ELIGIBLE"])
    assert "the customs regime was changed" in Notification.objects.get(user=broker_user).message
    filed.refresh_from_db()
    assert (filed.entry_type, filed.reasons) == ("11", ["DM_SUSPENDED"])


def test_changing_and_removing_the_pin_decides_the_waiting_parcels_again_each_time(client, platform_admin, waiting_sample,
                                                                                   django_capture_on_commit_callbacks):
    parcel = waiting_sample.get(hawb="SC00000001")  # made in China, $74.27
    pin(client, platform_admin, django_capture_on_commit_callbacks, active="on", as_of="2025-04-30")
    parcel.refresh_from_db()
    assert parcel.reasons == ["DM_ELIGIBLE"]
    pin(client, platform_admin, django_capture_on_commit_callbacks, active="on", as_of="2025-06-01")
    parcel.refresh_from_db()
    assert (parcel.entry_type, parcel.reasons) == ("11", ["DM_ORIGIN_EXCLUDED"])
    pin(client, platform_admin, django_capture_on_commit_callbacks, as_of="", note="")
    parcel.refresh_from_db()
    assert (parcel.entry_type, parcel.reasons) == ("11", ["DM_SUSPENDED"])


def test_a_pin_saved_or_deleted_in_the_admin_decides_the_waiting_parcels_again(client, waiting_sample, operator_org,
                                                                               django_capture_on_commit_callbacks):
    superuser = member(UserFactory(username="root", is_staff=True, is_superuser=True), operator_org, "admin")
    client.force_login(superuser)
    parcel = waiting_sample.get(hawb="SC00000001")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/customs/regimepin/add/", {"active": "on", "as_of": "2025-04-30", "note": "training"})
    assert response.status_code == 302
    parcel.refresh_from_db()
    assert parcel.reasons == ["DM_ELIGIBLE"]
    pinned = RegimePin.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/customs/regimepin/{pinned.pk}/delete/", {"post": "yes"})
    parcel.refresh_from_db()
    assert parcel.reasons == ["DM_SUSPENDED"]


def test_the_decisions_are_refreshed_in_batches_until_none_is_left(waiting_sample, django_capture_on_commit_callbacks,
                                                                   monkeypatch):
    from customs import services, tasks

    monkeypatch.setattr(services, "REGIME_BATCH", 3)
    RegimePin.objects.create(active=True, as_of=date(2025, 4, 30))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.decisions_refresh_for_regime_task.apply(kwargs={"rounds": 2})
    eligible = [s.pk for s in waiting_sample.order_by("id") if s.reasons == ["DM_ELIGIBLE"]]
    assert len(eligible) > 6 and eligible[-1] > sorted(waiting_sample.values_list("id", flat=True))[5]  # past the 2 rounds of 3
    assert tasks.decisions_refresh_for_regime_task.apply().get() == 0  # safe to run twice: nothing changes again


def test_a_pin_activated_in_the_admin_is_the_only_active_pin(client, operator_org, django_capture_on_commit_callbacks):
    superuser = member(UserFactory(username="root", is_staff=True, is_superuser=True), operator_org, "admin")
    client.force_login(superuser)
    older = RegimePin.objects.create(active=True, as_of=date(2025, 4, 30), note="older training")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/customs/regimepin/add/", {"active": "on", "as_of": "2025-08-01", "note": "newer"})
    assert response.status_code == 302
    assert list(RegimePin.objects.filter(active=True).values_list("note", flat=True)) == ["newer"]
    older.refresh_from_db()
    assert older.active is False  # kept in the history, no longer in force


def test_a_stricter_entry_type_the_broker_chose_stays_chosen_when_the_regime_changes(
        forwarder_org, broker_org, broker_user, operator_org, django_capture_on_commit_callbacks):
    from customs import review
    from customs.services import regime_pin_set
    from shipments.models import Shipment
    from tests.customs.test_estimates import ingest, row

    ingest(forwarder_org, row("H1", "10.00"))  # arrives after the suspension: Type 11 by law
    parcel = Shipment.objects.get(hawb="H1")
    review.shipment_correct(shipment_id=parcel.pk, org=broker_org, user=broker_user, field="entry_type", value="01")
    with django_capture_on_commit_callbacks(execute=True):
        regime_pin_set(active=True, as_of=date(2026, 1, 5), note="training", user=broker_user)  # still suspended
    parcel.refresh_from_db()
    assert parcel.entry_type == "01"  # the broker's choice, not the law's 11
    assert not parcel.events.filter(message__startswith="Entry decision changed from Type 01").exists()


# --- Entries built and not yet transmitted ------------------------------------------------------------


@pytest.fixture
def built_under_a_pin(forwarder_org, broker_org, broker_user):
    """The Chinese sample uploaded while the regime is pinned to 30 April 2025 (de minimis open for most of it), approved,
    and built into entries that wait in the outbox: Type 86 for the eligible bills, Type 11 for the others."""
    from tests.customs.test_filing import approve_all, ingest

    RegimePin.objects.create(active=True, as_of=date(2025, 4, 30), note="training")
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    approve_all(shipments, broker_user)
    filing.entries_build(broker=broker_org)
    assert shipments.filter(entry_type="86").exists() and shipments.filter(entry_type="11").exists()
    assert not shipments.filter(entry__isnull=True).exists()
    return shipments


def test_unpinning_takes_apart_the_entries_not_yet_transmitted_whose_type_changes_so_ace_never_rejects_them(
        ace, built_under_a_pin, broker_org, broker_user, django_capture_on_commit_callbacks):
    from accounts.models import Notification
    from customs import review
    from customs.services import regime_pin_set
    from tests.customs.test_filing import file_everything

    shipments = built_under_a_pin
    was_86 = {s.pk: s.entry_id for s in shipments.filter(entry_type="86")}
    kept = {s.pk: s.entry_id for s in shipments.filter(entry_type="11")}
    with django_capture_on_commit_callbacks(execute=True):
        regime_pin_set(active=False, as_of=None, note="", user=broker_user)  # back to the law of the arrival date: suspended

    for parcel in shipments.filter(pk__in=was_86):
        assert (parcel.status, parcel.entry_id, parcel.entry_type) == ("approved", None, "11")  # for the broker again
        note = parcel.events.get(data__entry_withdrawn=True)
        assert note.message.startswith(f"Entry {Entry.objects.get(pk=was_86[parcel.pk]).display_number} taken apart before it "
                                       "was transmitted to ACE: the customs regime was changed")
        assert "Entry decision changed from Type 86 to Type 11" in parcel.events.latest("id").message
        assert review.entries_of(parcel) == [was_86[parcel.pk]]  # the entry it was in stays on its record
    assert set(Entry.objects.filter(pk__in=was_86.values()).values_list("state", flat=True)) == {"cancelled"}
    assert not Transmission.objects.filter(entry_id__in=was_86.values()).exists()  # out of the outbox: never sent
    assert dict(shipments.filter(pk__in=kept).values_list("id", "entry_id")) == kept  # Type 11 still: their entries stand
    assert set(Entry.objects.filter(pk__in=kept.values()).values_list("state", flat=True)) == {"pending"}
    (told,) = Notification.objects.filter(user=broker_user, message__contains="taken out of entries").values_list("message", flat=True)
    assert told.startswith(f"{len(was_86)} shipment(s) taken out of entries not yet transmitted to ACE")
    assert not Notification.objects.filter(user=broker_user, message__contains="decided again after your approval").exists()

    review.entries_file(broker=broker_org)  # the broker reviews and files them again, as the law now says
    file_everything(broker_org)
    assert not shipments.filter(status="ace_rejected").exists()
    assert set(shipments.values_list("status", flat=True)) == {"released"}


def test_an_entry_already_transmitted_keeps_its_parcels_and_type_when_the_pin_changes(
        ace, built_under_a_pin, broker_user, django_capture_on_commit_callbacks):
    from customs.services import regime_pin_set

    shipments = built_under_a_pin
    sent = filing.transmissions_claim(limit=1)  # one entry is with ACE: its parcels are filed
    entry_id = Transmission.objects.get(pk__in=sent).entry_id
    filed = {s.pk: s.entry_type for s in shipments.filter(entry_id=entry_id)}
    with django_capture_on_commit_callbacks(execute=True):
        regime_pin_set(active=False, as_of=None, note="", user=broker_user)
    assert Entry.objects.get(pk=entry_id).state == "transmitted"
    assert {s.pk: s.entry_type for s in shipments.filter(entry_id=entry_id, status="filed")} == filed
    assert not Shipment.objects.filter(pk__in=filed, events__data__entry_withdrawn=True).exists()


# --- … and the transmissions running beside it (PostgreSQL: real row locks, two connections) ------------------------


def paused(function, *, reached: threading.Event, go_on: threading.Event):
    """`function`, which first says it was reached and then waits to be let go on: a step held in the middle of its
    transaction, with the locks it took so far."""

    def wrapper(*args, **kwargs):
        reached.set()
        assert go_on.wait(10)
        return function(*args, **kwargs)

    return wrapper


def in_thread(target) -> tuple[threading.Thread, list]:
    """Run `target` on a connection of its own; its result (or its error) lands in the list."""
    out: list = []

    def run():
        try:
            out.append(target())
        except Exception as error:  # noqa: BLE001 (reported by the test)
            out.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def while_a_claim_is_held(monkeypatch, action) -> tuple[list, list]:
    """Run `action` on a connection of its own while a transmission claim holds an entry (marked sending, not yet sent);
    `action` must wait for the claim. Returns what the claim took and what `action` returned, once both are done."""
    reached, go_on = threading.Event(), threading.Event()
    monkeypatch.setattr(filing, "payloads_for", paused(filing.payloads_for, reached=reached, go_on=go_on))
    claim, claimed = in_thread(lambda: filing.transmissions_claim(limit=1))  # marks the entry sending, then is held
    assert reached.wait(10)
    waiting, done = in_thread(action)
    waiting.join(1)
    assert waiting.is_alive()  # it waits for the claim: the entry may be on its way to ACE
    go_on.set()
    claim.join(10)
    waiting.join(10)
    assert not isinstance(done[0], Exception), done
    return claimed, done


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        unavailable("two transactions meeting on row locks need PostgreSQL (DATABASE_URL)", required=services_required())


@pytest.mark.django_db(transaction=True)
def test_an_entry_a_transmission_is_claiming_meanwhile_goes_to_ace_as_it_was_and_the_others_are_taken_apart(
        postgresql, ace, built_under_a_pin, monkeypatch):
    from datetime import timedelta

    from customs.services import decisions_refresh_for_regime

    shipments = built_under_a_pin
    first = Transmission.objects.filter(entry__entry_type="86").order_by("id").first()  # the next one a claim takes
    Transmission.objects.filter(pk=first.pk).update(created_at=first.created_at - timedelta(minutes=1))
    def unpin_and_refresh():
        RegimePin.objects.filter(active=True).update(active=False)
        return decisions_refresh_for_regime(limit=10_000)

    claimed, _refreshed = while_a_claim_is_held(monkeypatch, unpin_and_refresh)
    assert claimed == [[first.pk]]
    in_flight = first.entry_id
    assert Entry.objects.get(pk=in_flight).state == "transmitted"
    assert set(shipments.filter(entry_id=in_flight).values_list("status", "entry_type")) == {("filed", "86")}  # with ACE as filed
    others = Entry.objects.filter(shipments__in=shipments).exclude(pk=in_flight).distinct()
    assert set(others.values_list("entry_type", "state")) == {("11", "pending")}  # the Type 86 ones were taken apart
    assert not shipments.filter(entry__isnull=True).exclude(entry_type="11").exists()


@pytest.mark.django_db(transaction=True)
def test_a_transmission_claimed_while_entries_are_taken_apart_skips_them_and_none_reaches_ace(
        postgresql, ace, built_under_a_pin, monkeypatch):
    from customs.models import SimulatorEntry
    from customs.services import decisions_refresh_for_regime

    shipments = built_under_a_pin
    type86 = set(Entry.objects.filter(entry_type="86").values_list("id", flat=True))
    their_parcels = list(shipments.filter(entry_id__in=type86).values_list("id", flat=True))
    reached, go_on = threading.Event(), threading.Event()
    monkeypatch.setattr(filing, "entries_withdraw", paused(filing.entries_withdraw, reached=reached, go_on=go_on))
    RegimePin.objects.filter(active=True).update(active=False)
    refresh, refreshed = in_thread(lambda: decisions_refresh_for_regime(limit=10_000))
    assert reached.wait(10)  # the outbox rows and the parcels are locked, the new decisions made
    assert filing.transmissions_claim(limit=500) == []  # every entry of the batch is held until the batch is decided
    go_on.set()
    refresh.join(10)
    assert not isinstance(refreshed[0], Exception), refreshed
    claimed = filing.transmissions_claim(limit=500)  # the Type 11 entries, which stand
    filing.transmissions_deliver(transmission_ids=claimed)
    assert claimed and not type86 & set(Transmission.objects.filter(pk__in=claimed).values_list("entry_id", flat=True))
    assert set(Entry.objects.filter(pk__in=type86).values_list("state", flat=True)) == {"cancelled"}
    assert not SimulatorEntry.objects.filter(number__in=Entry.objects.filter(pk__in=type86).values("number")).exists()
    assert set(Shipment.objects.filter(pk__in=their_parcels).values_list("status", "entry_id", "entry_type")) == {
        ("approved", None, "11")}


@pytest.mark.django_db(transaction=True)
def test_an_entry_built_while_the_batch_is_being_decided_is_taken_apart_too(postgresql, ace, forwarder_org, broker_org,
                                                                            broker_user, monkeypatch):
    from customs.services import decisions_refresh_for_regime
    from tests.customs.test_filing import approve_all, ingest

    RegimePin.objects.create(active=True, as_of=date(2025, 4, 30), note="training")
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    approve_all(shipments, broker_user)  # approved, not filed yet
    type86 = list(shipments.filter(entry_type="86").values_list("id", flat=True))
    RegimePin.objects.filter(active=True).update(active=False)
    reached, go_on = threading.Event(), threading.Event()
    real = filing.entries_pending_lock
    calls = []

    def looked(**kwargs):  # the batch has looked for its entries (none yet), and is held before locking its parcels
        calls.append(found := real(**kwargs))
        if len(calls) == 1:
            reached.set()
            assert go_on.wait(10)
        return found

    monkeypatch.setattr(filing, "entries_pending_lock", looked)
    refresh, refreshed = in_thread(lambda: decisions_refresh_for_regime(limit=10_000))
    assert reached.wait(10)
    filing.entries_build(broker=broker_org)  # the broker files meanwhile: entries from the decisions about to change
    go_on.set()
    refresh.join(10)
    assert not isinstance(refreshed[0], Exception), refreshed
    assert calls[0] == [] and calls[1]  # the entries built meanwhile were found, and locked, on a second look
    assert set(Shipment.objects.filter(pk__in=type86).values_list("status", "entry_id", "entry_type")) == {("approved", None, "11")}
    assert not Entry.objects.filter(entry_type="86", state="pending").exists()


# --- Parcels ACE rejected, waiting to be filed again ------------------------------------------------------------------


def test_a_parcel_ace_rejected_is_decided_again_when_the_regime_changes_so_its_re_filing_follows_the_law_now_in_force(
        rejected_by_ace, broker_org, broker_user, django_capture_on_commit_callbacks):
    from accounts.models import Notification
    from customs import review
    from customs.services import regime_pin_set

    parcel, rejected = rejected_by_ace, rejected_by_ace.entry_id
    with django_capture_on_commit_callbacks(execute=True):
        regime_pin_set(active=True, as_of=date(2026, 1, 5), note="training", user=broker_user)  # de minimis suspended
    parcel.refresh_from_db()
    assert (parcel.status, parcel.entry_id, parcel.entry_type) == ("ace_rejected", rejected, "11")  # still the broker's to re-file
    assert parcel.events.latest("id").message.startswith("Entry decision changed from Type 86 to Type 11")
    assert Notification.objects.filter(user=broker_user, message__contains="decided again after your approval (the customs "
                                                                            "regime was changed)").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[parcel.pk])  # no correction needed
    parcel.refresh_from_db()
    assert parcel.status in ("accepted", "released") and parcel.entry.entry_type == "11"


def test_a_re_filing_not_yet_transmitted_is_taken_apart_when_the_regime_changes_its_type(
        rejected_by_ace, broker_org, broker_user, django_capture_on_commit_callbacks):
    from accounts.models import Notification
    from customs import review
    from customs.services import regime_pin_set

    parcel, rejected = rejected_by_ace, rejected_by_ace.entry_id
    review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[parcel.pk])  # built, waits in the outbox
    refiled = Shipment.objects.get(pk=parcel.pk).entry_id
    with django_capture_on_commit_callbacks(execute=True):
        regime_pin_set(active=True, as_of=date(2026, 1, 5), note="training", user=broker_user)
    parcel.refresh_from_db()
    # Back with the entry ACE rejected, as before the broker re-filed it: the rejections page shows it, and its codes.
    assert (parcel.status, parcel.entry_id, parcel.entry_type) == ("ace_rejected", rejected, "11")
    assert Entry.objects.get(pk=refiled).state == "cancelled" and not Transmission.objects.filter(entry_id=refiled).exists()
    assert parcel.events.get(data__entry_withdrawn=True).message.startswith(
        f"Entry {Entry.objects.get(pk=refiled).display_number} taken apart before it was transmitted to ACE: the customs regime")
    assert review.entries_of(parcel) == [rejected, refiled]
    told = list(Notification.objects.filter(user=broker_user, kind="redecided").values_list("message", flat=True))
    assert len(told) == 1 and "taken out of entries not yet transmitted to ACE" in told[0]

    with django_capture_on_commit_callbacks(execute=True):
        review.shipments_refile(broker=broker_org, user=broker_user, shipment_ids=[parcel.pk])
    parcel.refresh_from_db()
    assert parcel.status in ("accepted", "released") and parcel.entry.entry_type == "11"
