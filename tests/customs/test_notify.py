"""Notifications in the reader's language: each kind the portal sends reads in Chinese to a member who reads Chinese, on
the notifications page and in the e-mail, and in English to one who reads English."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import Membership, Notification
from customs import review
from customs.ace.adapter import Notice
from customs.models import Hold
from customs.services import decisions_refresh, decisions_refresh_for_regime, regime_pin_set
from shipments.models import Shipment
from tests.customs.test_filing import file_everything, ingest
from tests.customs.test_holds import released, tell  # noqa: F401 - the released fixture is used by name
from tests.customs.test_inbox import type_86_filed
from tests.customs.test_services import parcel
from tests.factories import manifest_for, shipment_for

pytestmark = pytest.mark.django_db

MAWB = "160-12345675"


def read_in_chinese(client, user) -> str:
    """The user's notifications page, read in Chinese."""
    client.force_login(user)
    return client.get("/accounts/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


@pytest.fixture
def one(forwarder_org):
    return shipment_for(manifest_for(forwarder_org))


# --- What the forwarder is told -----------------------------------------------------------------------


def test_a_rejection_by_the_broker_reads_in_chinese(client, owner, broker_org, broker_user, one):
    review.review_reject(broker=broker_org, user=broker_user, shipment_ids=[one.pk], reason="Invoice missing")
    page = read_in_chinese(client, owner)
    assert f"1 票货物被报关行退回：Invoice missing（主单号 {MAWB}）" in page and "rejected by" not in page


def test_a_cancellation_by_the_broker_reads_in_chinese(client, owner, broker_org, broker_user, one):
    review.review_cancel(org=broker_org, user=broker_user, shipment_ids=[one.pk], reason="Duplicate")
    assert f"1 票货物已被报关行取消：Duplicate（主单号 {MAWB}）" in read_in_chinese(client, owner)


def test_a_question_from_the_broker_reads_in_chinese(client, owner, broker_org, broker_user, one):
    deadline = timezone.localdate() + timedelta(days=2)
    review.info_request_ask(broker=broker_org, user=broker_user, shipment_id=one.pk, question="What fabric?", deadline=deadline)
    assert f"您的报关行就分单 H0001 提问（请于 {deadline.isoformat()} 前答复）：What fabric?" in read_in_chinese(client, owner)


def test_a_release_and_a_hold_read_in_chinese(client, monkeypatch, owner, broker_user, released):  # noqa: F811
    parcel_, entry = released
    tell(monkeypatch, Notice(code="FH", raw="FH", entry=entry))
    page = read_in_chinese(client, owner)
    assert "票货物已被 CBP 放行" in page and "1 票货物被 FDA 扣留" in page and "released by" not in page
    assert "1 票货物被 FDA 扣留" in read_in_chinese(client, broker_user)  # the broker's, which leads to its holds page


def test_a_seizure_after_a_hold_reads_in_chinese(client, owner, broker_org, broker_user, one):
    Shipment.objects.filter(pk=one.pk).update(status="on_hold", open_holds=1)
    hold = Hold.objects.create(shipment=one, agency="FDA", code="FH", placed_at=timezone.now())
    review.hold_close(hold_id=hold.pk, org=broker_org, user=broker_user, outcome="seized")
    assert f"1 票货物经 FDA 扣留后被没收（主单号 {MAWB}）" in read_in_chinese(client, owner)


# --- What the broker is told ---------------------------------------------------------------------------


def test_a_cancellation_by_the_forwarder_reads_in_chinese(client, owner, broker_user, forwarder_org, one):
    review.review_cancel(org=forwarder_org, user=owner, shipment_ids=[one.pk], reason="Sold out")
    assert f"1 票货物已被货代取消：Sold out（主单号 {MAWB}）" in read_in_chinese(client, broker_user)


def test_a_resubmission_and_an_answer_read_in_chinese(client, owner, broker_org, broker_user, forwarder_org, one):
    question = review.info_request_ask(broker=broker_org, user=broker_user, shipment_id=one.pk, question="What fabric?",
                                       deadline=timezone.localdate())
    review.info_request_answer(forwarder=forwarder_org, user=owner, request_id=question.pk, answer="Cotton")
    review.review_reject(broker=broker_org, user=broker_user, shipment_ids=[one.pk], reason="Invoice missing")
    review.shipments_resubmit(forwarder=forwarder_org, user=owner, shipment_ids=[one.pk])
    page = read_in_chinese(client, broker_user)
    assert "货代已答复您关于分单 H0001 的问题：Cotton" in page and f"1 票货物已由货代更正并重新提交（主单号 {MAWB}）" in page


def test_an_ace_rejection_reads_in_chinese(client, ace, broker_user, broker_org, forwarder_org):
    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    first = shipments.first()
    Shipment.objects.filter(pk=first.pk).update(entry_type="86", reasons=["DM_ELIGIBLE"])  # ACE refuses it (181)
    review.review_approve(broker=broker_org, user=broker_user, shipment_ids=[first.pk])
    file_everything(broker_org)
    assert "1 票货物被 ACE 拒绝：请更正后重新申报" in read_in_chinese(client, broker_user)


def test_a_2m_notice_from_ace_reads_in_chinese(client, monkeypatch, forwarder_org, broker_org, broker_user):
    type_86_filed(forwarder_org, broker_org, "H0001", "BRK00000011")
    tell(monkeypatch, Notice(code="2M", raw="SO|2M", entry="BRK00000011"))
    assert f"1 票货物被 CBP 提示（2M）：收件人当日的小额豁免上限可能已超出，请核查该收件人当天的其他包裹（主单号 {MAWB}）" in (
        read_in_chinese(client, broker_user))


def test_a_decision_changed_after_approval_reads_in_chinese(client, forwarder_org, broker_user):
    first = parcel(forwarder_org, "AP1", "500.00", status="approved")
    parcel(forwarder_org, "AP2", "400.00", mawb="16012345686")  # a later upload: the same person, the same day
    decisions_refresh(keys={first.consignee_key}, days={first.arrival_date})
    assert "1 票货物在您批准后已重新判定（收货人当日总额发生变化）：请在申报前核对" in read_in_chinese(client, broker_user)


def test_a_type_86_filed_before_the_day_went_over_reads_in_chinese(client, forwarder_org, broker_user):
    filed = parcel(forwarder_org, "AP1", "500.00", status="accepted")
    parcel(forwarder_org, "AP2", "400.00", mawb="16012345686")
    decisions_refresh(keys={filed.consignee_key}, days={filed.arrival_date})
    assert "1 票货物已按 86 类申报，但收货人当日总额现已超过小额豁免限额：报关单可能需要更正" in read_in_chinese(client, broker_user)


def test_a_decision_changed_by_a_regime_pin_reads_in_chinese(client, forwarder_org, broker_user):
    parcel(forwarder_org, "AP1", "100.00", status="approved")  # de minimis on its day; not under the law pinned below
    regime_pin_set(active=True, as_of=date(2025, 9, 1), note="training", user=None)
    decisions_refresh_for_regime()
    assert "1 票货物在您批准后已按更改后的海关政策重新判定：请在申报前核对" in read_in_chinese(client, broker_user)


# --- The e-mail -----------------------------------------------------------------------------------------


def test_the_e_mail_is_written_in_the_language_each_member_reads_the_portal_in(owner, colleague, broker_org, broker_user, one,
                                                                              django_capture_on_commit_callbacks):
    Membership.objects.filter(user=owner).update(language="zh-hans")
    with django_capture_on_commit_callbacks(execute=True):
        review.review_reject(broker=broker_org, user=broker_user, shipment_ids=[one.pk], reason="Invoice missing")
    mails = {message.to[0]: message for message in mail.outbox}
    chinese, english = mails[owner.email], mails[colleague.email]
    assert chinese.subject == f"Calista: 1 票货物被报关行退回：Invoice missing（主单号 {MAWB}）"
    assert chinese.body.startswith(f"1 票货物被报关行退回：Invoice missing（主单号 {MAWB}）\n\n")
    assert english.subject == f"Calista: 1 shipment(s) rejected by the broker: Invoice missing (MAWB {MAWB})"


def test_the_english_text_is_stored_with_it_for_the_admin(owner, broker_org, broker_user, one):
    review.review_reject(broker=broker_org, user=broker_user, shipment_ids=[one.pk], reason="Invoice missing")
    assert Notification.objects.get(user=owner).message == f"1 shipment(s) rejected by the broker: Invoice missing (MAWB {MAWB})"


