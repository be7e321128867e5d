"""Bad input everywhere: every form of the portal, found by reading its pages, gets generated values as every role,
and so does every query parameter a page reads; no answer is a server error."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.calista.test_isolation import fill, id_pool, object_routes, patterns
from tests.calista.test_isolation import world_a as world_a  # noqa: F401 - a fixture this module uses

pytestmark = pytest.mark.django_db

FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
FIELD = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", re.I)
SKIP_ACTIONS = ("/accounts/logout/", "/i18n/setlang/", "/admin/")


def forms_on(client, url: str) -> list[tuple[str, list[str]]]:
    response = client.get(url)
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    found = []
    for attributes, body in FORM.findall(response.content.decode(errors="replace")):
        if "post" not in attributes.lower():
            continue
        action = re.search(r'action="([^"]*)"', attributes)
        target = unescape(action.group(1)) if action and action.group(1) else url
        if target.startswith(SKIP_ACTIONS):
            continue
        names = sorted({n for n in FIELD.findall(body) if n != "csrfmiddlewaretoken"})
        found.append((target, names))
    return found


@pytest.fixture
def all_forms(world_a, owner, broker_user, cfs_user, support_user):
    """(user, action, field names) of every POST form on every page each role of tenant A can open."""
    pool = id_pool(world_a)
    pages = ["/" + route for route, _name, converters in patterns() if not converters and not route.startswith(("admin", "api"))]
    pages += [fill(route, converters, value) for route, _name, converters in object_routes() if not route.startswith("api/")
              for value in pool[:6]]
    collected = []
    for user in (owner, broker_user, cfs_user, support_user):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for page in pages:
            collected += [(user, action, names) for action, names in forms_on(client, page)]
    unique = {(u.pk, a, tuple(n)): (u, a, n) for u, a, n in collected}
    assert len(unique) >= 10, "the fuzzer found too few forms: is the page reading broken?"
    return list(unique.values())


nasty_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "0", "-1", "²", "٣", "99999999999999999999", "1e400", "NaN", "<script>x</script>", "'; DROP TABLE x;--",
                     "=cmd|' /C calc'!A0", "\x00", "2026-02-30", "../../etc/passwd", "中文", "A" * 5000]),
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])
@given(data=st.data())
def test_no_form_answers_a_server_error_whatever_it_is_sent(all_forms, data):
    user, action, names = data.draw(st.sampled_from(all_forms))
    values = {name: data.draw(st.one_of(nasty_text, st.lists(nasty_text, max_size=3))) for name in names}
    extra = data.draw(st.dictionaries(st.text(min_size=1, max_size=8), nasty_text, max_size=2))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.post(action, {**extra, **values})
    assert response.status_code < 500, (action, values, response.status_code)


# Every name a view reads from the query string (grep request.GET), and the filters the lists and boards take.
QUERY_NAMES = ["airport", "carrier", "code", "custody", "date", "day", "export", "level", "mawb", "mawbs", "manifest", "next",
               "page", "period", "q", "refresh", "scope", "state", "station", "status", "entry_type", "upload", "event",
               "arrived_from", "event_from", "pga", "arrival"]


@pytest.fixture
def all_pages(world_a):
    pool = id_pool(world_a)
    pages = ["/" + route for route, _name, converters in patterns() if not converters and not route.startswith(("admin",))]
    pages += [fill(route, converters, value) for route, _name, converters in object_routes() for value in pool[:3]]
    return pages


HARD_VALUES = ["²", "٣", "99999999999999999999", "-1", "1e400", "\x00", "<script>x</script>", "2026-02-30", "A" * 300]


def test_no_page_answers_a_server_error_whatever_its_query_string_says(all_pages, owner, broker_user, cfs_user, support_user):
    """Every page, as every role, with every name a view reads set to each hard value at once."""
    for user in (owner, broker_user, cfs_user, support_user):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        for page in all_pages:
            for value in HARD_VALUES:
                response = client.get(page, {name: value for name in QUERY_NAMES})
                assert response.status_code < 500, (user.username, page, value, response.status_code)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])
@given(data=st.data())
def test_no_page_answers_a_server_error_whatever_mix_of_values_its_query_string_has(all_pages, owner, broker_user, cfs_user,
                                                                                     support_user, data):
    user = data.draw(st.sampled_from([owner, broker_user, cfs_user, support_user]))
    page = data.draw(st.sampled_from(all_pages))
    query = {name: data.draw(st.one_of(nasty_text, st.lists(nasty_text, max_size=3))) for name in QUERY_NAMES}
    client = Client(raise_request_exception=False)
    client.force_login(user)
    response = client.get(page, query)
    assert response.status_code < 500, (page, query, response.status_code)
