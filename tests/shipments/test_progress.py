"""The upload's progress bars: each phase counts up to its own total."""

import pytest

from shipments.models import Upload
from shipments.progress import percent, phase_total, progress_get, progress_set

pytestmark = pytest.mark.django_db


def test_each_phase_keeps_its_own_total():
    progress_set("upload", 991, phase="read", done=20000, total=20000)
    progress_set("upload", 991, phase="check", done=20000, total=20000)
    progress_set("upload", 991, phase="store", done=4000, total=16089)
    state = progress_get("upload", 991)
    assert [phase_total(state, p) for p in ("read", "check", "store")] == [20000, 20000, 16089]
    assert [percent(state, p) for p in ("read", "check", "store")] == [100, 100, 24]


def test_the_progress_bars_read_rows_of_the_file_and_rows_stored_of_the_valid_ones(client, owner, forwarder_org):
    upload = Upload.objects.create(forwarder=forwarder_org, uploaded_by=owner, original_name="big.csv", state="processing")
    progress_set("upload", upload.pk, phase="read", done=20000, total=20000)
    progress_set("upload", upload.pk, phase="check", done=20000, total=20000)
    progress_set("upload", upload.pk, phase="store", done=4000, total=16089)
    client.force_login(owner)
    page = client.get(f"/uploads/{upload.pk}/progress/").content.decode()
    assert 'data-testid="progress-read">20,000 / 20,000<' in page
    assert 'data-testid="progress-check">20,000 / 20,000<' in page
    assert 'data-testid="progress-store">4,000 / 16,089<' in page
