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
