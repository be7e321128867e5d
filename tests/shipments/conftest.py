from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

SAMPLES = Path(__file__).resolve().parents[1] / "samples"  # copies of ../shared/samples, kept equal by a test


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


@pytest.fixture
def upload_file(django_capture_on_commit_callbacks):
    """upload_file(client, name, data=None, encoding='') posts a file to the upload page (the ingest runs inline)."""

    def post(client, name, data=None, encoding=""):
        content = sample(name) if data is None else data
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/uploads/new/", {"file": SimpleUploadedFile(name, content), "encoding": encoding})

    return post
