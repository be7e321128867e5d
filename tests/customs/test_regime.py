from datetime import date

import pytest

from customs.models import RegimePin
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
