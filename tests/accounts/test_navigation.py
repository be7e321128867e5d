"""The menu: one item is the current page, the one whose address fits the page best."""

import pytest

pytestmark = pytest.mark.django_db


def current_items(client, path) -> list[str]:
    return [item["url"] for item in client.get(path).context["nav"] if item["active"]]


def test_the_upload_page_marks_only_upload_manifest_as_current(client, owner):
    client.force_login(owner)
    assert current_items(client, "/uploads/new/") == ["/uploads/new/"]
    assert current_items(client, "/uploads/") == ["/uploads/"]
    assert current_items(client, "/") == ["/"]
