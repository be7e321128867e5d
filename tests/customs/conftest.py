"""Fixtures shared by the customs tests."""

import pytest


@pytest.fixture
def ace(settings):
    """A simulator that accepts and releases at once (no delay, holds, exams or random rejections), unless a test sets
    rates."""
    settings.ACE_DELAY_SECONDS = 0
    settings.ACE_HOLD_RATE = 0
    settings.ACE_EXAM_RATE = 0
    settings.ACE_REJECT_RATE = 0
    settings.ACE_RATE_LIMIT_PER_HOUR = 0
    return settings


@pytest.fixture
def rejected_by_ace(ace, forwarder_org, broker_org, broker_user):
    """A November 2026 arrival wrongly decided as Type 86, approved and filed: ACE rejects it with 181."""
    from customs import review
    from shipments.models import Shipment
    from tests.customs.test_filing import file_everything, ingest

    shipments = ingest(forwarder_org, "sample_chinese_gb18030.csv")
    one = shipments.first()
    Shipment.objects.filter(pk=one.pk).update(entry_type="86", reasons=["DM_ELIGIBLE"])
    review.review_approve(broker=broker_org, user=broker_user, shipment_ids=[one.pk])
    file_everything(broker_org)
    one.refresh_from_db()
    assert one.status == "ace_rejected"
    return one
