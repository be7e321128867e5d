"""Airport boards: the figures are those of the shipments made for the purpose, for every role and every board."""

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calista import clocks
from dashboards import boards
from dashboards.boards import BoardFilter
from dashboards.tallies import tallies_refresh
from tests.dashboards.conftest import ROLES, visible

pytestmark = pytest.mark.django_db

HOUR = 3600


def by(figures) -> dict:
    return {f.key: f.count for f in figures if f.count}


def expected(world, role, *, days, airport="", field="status") -> Counter:
    since = timezone.localdate() - timedelta(days=days - 1)
    return Counter(getattr(world[name].shipment, field) for name in visible(world, role)
                   if world[name].shipment.arrival_date >= since and (not airport or world[name].shipment.destination_airport == airport))


def board_of(request, role, **kwargs):
    user = request.getfixturevalue(role)
    return boards.board_read(org=user.membership.organization, **kwargs)


# --- The figures, against the shipments made for them ----------------------------------------------------------


def test_the_forwarders_board_counts_its_shipments_by_status_and_custody_for_each_period(world, owner):
    org = owner.membership.organization
    week = boards.board_read(org=org, period="7d")
    assert week.total.count == 7
    assert by(week.statuses) == {"released": 4, "on_hold": 1, "accepted": 1, "ace_rejected": 1}
    assert by(week.custodies) == {"broken_down": 6, "handed_off": 1}
    assert boards.board_read(org=org, period="today").total.count == 3
    month = boards.board_read(org=org, period="30d")
    assert month.total.count == 9
    assert by(month.statuses) == {"released": 4, "on_hold": 2, "accepted": 2, "ace_rejected": 1}
    assert by(month.custodies) == {"broken_down": 7, "handed_off": 1, "at_cfs": 1}


def test_one_airports_board_counts_only_the_shipments_arriving_there(world, owner):
    org = owner.membership.organization
    assert boards.board_read(org=org, airport="LAX", period="30d").total.count == 8
    assert by(boards.board_read(org=org, airport="JFK", period="30d").statuses) == {"accepted": 1}
    assert boards.board_read(org=org, airport="SFO", period="30d").total.count == 0


def test_the_median_and_90th_percentile_from_arrival_to_release_and_from_release_to_hand_off(world, owner):
    board = boards.board_read(org=owner.membership.organization, period="7d")
    to_release, to_hand_off = board.durations
    # Released 1, 2, 3, 4 and 10 hours after arrival: the median is the third, the 90th percentile the fifth.
    assert (to_release.count, to_release.p50, to_release.p90) == (5, 3 * HOUR, 10 * HOUR)
    assert (to_hand_off.count, to_hand_off.p50, to_hand_off.p90) == (1, 6 * HOUR, 6 * HOUR)


def test_the_operators_durations_include_every_forwarders_releases(world, support_user):
    to_release, _hand_off = boards.board_read(org=support_user.membership.organization, period="7d").durations
    assert (to_release.count, to_release.p50, to_release.p90) == (6, 3 * HOUR, 10 * HOUR)  # C1's 5 h joins A's five


def test_open_holds_are_counted_by_agency_and_by_how_long_they_have_waited(world, owner, outsider):
    board = boards.board_read(org=owner.membership.organization)
    holds = {h["agency"]: {age.key: age.count for age in h["ages"] if age.count} for h in board.holds}
    assert holds == {"FDA": {"days": 1}, "CBP": {"older": 1}}
    assert board.holds_total == 2
    theirs = boards.board_read(org=outsider.membership.organization)
    assert {h["agency"]: {a.key: a.count for a in h["ages"] if a.count} for h in theirs.holds} == {"FDA": {"day": 1}}


def test_rejections_are_counted_by_ace_code_with_their_meaning(world, owner, support_user):
    board = boards.board_read(org=owner.membership.organization, period="7d")
    assert [(r["code"], r["count"]) for r in board.rejections] == [("181", 1)]
    assert "de minimis" in board.rejections[0]["meaning"].lower()
    everyone = boards.board_read(org=support_user.membership.organization, period="7d")
    assert sorted((r["code"], r["count"]) for r in everyone.rejections) == [("181", 1), ("E01", 1), ("E02", 1)]


def test_the_general_order_risk_counts_parcels_from_day_10_and_past_day_15(world, owner):
    board = boards.board_read(org=owner.membership.organization)
    assert by(board.general_order) == {"warning": 1, "overdue": 1}  # A6 arrived 12 days ago, A7 20 days ago


def test_the_general_order_risk_and_its_lists_count_from_the_day_each_flight_actually_arrived(forwarder_org, owner, client):
    from tests.factories import manifest_for, shipment_for

    today = clocks.airport_today("LAX")

    def flight(hawb, mawb, scheduled, landed, custody="broken_down"):
        manifest = manifest_for(forwarder_org, mawb=mawb, arrival_date=today - timedelta(days=scheduled), custody=custody,
                                arrived_on=None if landed is None else today - timedelta(days=landed))
        shipment_for(manifest, hawb=hawb, status="accepted", custody=custody)

    flight("EARLY10", "16012345675", scheduled=8, landed=10)  # two days early: day 10, a warning
    flight("EARLY15", "16012345686", scheduled=13, landed=15)  # two days early: day 15, general order
    flight("LATE9", "16012345690", scheduled=12, landed=9)  # three days late: day 9, nothing yet
    flight("LATE14", "16012345701", scheduled=16, landed=14)  # two days late: day 14, a warning, not overdue
    flight("AWAITED", "16012345712", scheduled=20, landed=None, custody="awaiting_arrival")  # not landed: no clock
    board = boards.board_read(org=owner.membership.organization)
    assert by(board.general_order) == {"warning": 2, "overdue": 1}
    client.force_login(owner)
    listed = {f.key: sorted(s.hawb for s in client.get(f.url).context["page"]) for f in board.general_order}
    assert listed == {"warning": ["EARLY10", "LATE14"], "overdue": ["EARLY15"]}


def test_mawbs_still_open_are_counted_by_custody(world, owner):
    board = boards.board_read(org=owner.membership.organization)
    assert board.mawbs_total.count == 4  # the MAWB of forty days ago is closed
    assert by(board.mawbs) == {"broken_down": 3, "at_cfs": 1}


def test_throughput_per_day_counts_arrivals_releases_and_hand_offs(world, owner):
    board = boards.board_read(org=owner.membership.organization, period="7d")
    today = clocks.latest_today(boards.airports())
    arrived = {d["day"]: d["arrived"] for d in board.days if d["arrived"]}
    assert arrived == {today: 3, today - timedelta(days=5): 4}
    assert sum(d["released"] for d in board.days) == 5
    assert sum(d["handed_off"] for d in board.days) == 1
    assert len(board.days) == 7 and board.chart["labels"][-1] == today.strftime("%m-%d")
    assert [s["key"] for s in board.chart["series"]] == ["arrived", "released", "handed_off"]


@pytest.fixture
def flights(forwarder_org):
    """Forwarder A's flights of the last days, as ACE's arrival notices left them: {HAWB: (scheduled, landed) days ago}."""
    from tests.factories import manifest_for, shipment_for

    today = timezone.localdate()
    made = {
        ("16012345675", ("LATE1", "LATE2")): (3, 2),  # a day late
        ("16012345686", ("EARLY",)): (1, 2),  # a day early
        ("16012345690", ("ONTIME",)): (4, 4),
        ("16012345701", ("DUE1", "DUE2", "DUE3")): (0, None),  # due today, not landed yet
        ("16012345712", ("OVERDUE",)): (1, None),  # due yesterday, not landed yet
        ("16012345723", ("EDGE",)): (8, 6),  # two days late: due before the week, landed in it
    }
    for (mawb, hawbs), (scheduled, landed) in made.items():
        custody = "awaiting_arrival" if landed is None else "at_terminal"
        manifest = manifest_for(forwarder_org, mawb=mawb, arrival_date=today - timedelta(days=scheduled), custody=custody,
                                arrived_on=None if landed is None else today - timedelta(days=landed))
        for hawb in hawbs:
            shipment_for(manifest, hawb=hawb, custody=custody)
    tallies_refresh()
    return made


def test_arrivals_are_counted_on_the_day_the_flight_landed_and_a_flight_not_landed_has_not_arrived(flights, owner, client):
    today = timezone.localdate()
    board = boards.board_read(org=owner.membership.organization, period="7d")
    assert {(today - d["day"]).days: d["arrived"] for d in board.days if d["arrived"]} == {2: 3, 4: 1, 6: 1}
    assert board.chart["series"][0]["values"] == [d["arrived"] for d in board.days]
    client.force_login(owner)
    listed = {(today - d["day"]).days: sorted(s.hawb for s in client.get(d["arrived_url"]).context["page"])
              for d in board.days if d["arrived"]}
    assert listed == {2: ["EARLY", "LATE1", "LATE2"], 4: ["ONTIME"], 6: ["EDGE"]}
    page = client.get(board.days[-3]["arrived_url"])
    assert page.context["chips"] == [f"landed from {today - timedelta(days=2)}", f"landed until {today - timedelta(days=2)}"]
    html = page.content.decode()  # the list says when each flight landed, and when it was due where that differs
    assert f"landed {today - timedelta(days=2)} (scheduled {today - timedelta(days=3)})" in html


def test_a_periods_shipments_are_those_landed_in_it_and_those_due_in_it_not_landed_yet(flights, owner, client):
    week = boards.board_read(org=owner.membership.organization, period="7d")
    assert week.total.count == 9 and by(week.custodies) == {"at_terminal": 5, "awaiting_arrival": 4}
    assert week.total.count == sum(d["arrived"] for d in week.days) + by(week.custodies)["awaiting_arrival"]
    today = boards.board_read(org=owner.membership.organization, period="today")
    assert today.total.count == 3 and by(today.custodies) == {"awaiting_arrival": 3}  # nothing landed today; DUE1-3 are due
    client.force_login(owner)
    for figure in [week.total, today.total, *week.custodies]:
        assert client.get(figure.url).context["page"].paginator.count == figure.count, figure.key
    assert client.get(today.total.url).context["chips"] == [f"arriving from {timezone.localdate()}"]


# --- Every role sees its own slice ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("airport", ["", "LAX", "SFO", "JFK", "ATL"])
def test_every_role_counts_exactly_the_shipments_it_may_see_on_every_board(request, world, role, airport):
    board = board_of(request, role, airport=airport, period="30d")
    assert by(board.statuses) == dict(expected(world, role, days=30, airport=airport))
    assert by(board.custodies) == dict(expected(world, role, days=30, airport=airport, field="custody"))


def test_a_forwarders_board_counts_nothing_of_another_forwarders(world, owner, outsider):
    mine = boards.board_read(org=owner.membership.organization, period="7d")
    theirs = boards.board_read(org=outsider.membership.organization, period="7d")
    assert theirs.total.count == 2 and by(theirs.statuses) == {"received": 1, "on_hold": 1}
    assert mine.total.count == 7  # B's two parcels arrive at LAX today too, and are not counted
    assert [d.count for d in theirs.durations] == [0, 0]
    assert theirs.rejections == [] and theirs.mawbs_total.count == 1
    assert {h["agency"] for h in theirs.holds} == {"FDA"} and theirs.holds_total == 1


def test_a_colleague_sees_the_same_board_as_the_owner(world, owner, colleague):
    a = boards.board_read(org=owner.membership.organization, period="30d")
    b = boards.board_read(org=colleague.membership.organization, period="30d")
    assert (by(a.statuses), a.holds_total, by(a.general_order)) == (by(b.statuses), b.holds_total, by(b.general_order))


def test_a_station_sees_its_airport_and_a_broker_its_clients(world, cfs_user, other_cfs_user, broker_user, other_broker_user):
    assert boards.board_read(org=cfs_user.membership.organization, period="7d").total.count == 9  # A's and B's at LAX
    assert boards.board_read(org=other_cfs_user.membership.organization, period="30d").total.count == 2  # A7 and C1
    assert boards.board_read(org=broker_user.membership.organization, period="7d").total.count == 9  # A's and B's
    assert boards.board_read(org=other_broker_user.membership.organization, period="7d").total.count == 1  # C1


# --- The lists behind the numbers --------------------------------------------------------------------------------


def test_every_status_and_custody_number_links_to_a_list_of_as_many_shipments(world, owner, client):
    client.force_login(owner)
    board = boards.board_read(org=owner.membership.organization, period="30d")
    for figure in [board.total, *board.statuses, *board.custodies, *board.general_order]:
        response = client.get(figure.url)
        assert response.status_code == 200
        assert response.context["page"].paginator.count == figure.count, figure.key


def test_the_numbers_of_holds_rejections_and_durations_lead_to_their_shipments(world, owner, client):
    client.force_login(owner)
    board = boards.board_read(org=owner.membership.organization, period="7d")

    def hawbs(url):
        return sorted(s.hawb for s in client.get(url).context["page"])

    fda = next(h for h in board.holds if h["agency"] == "FDA")
    assert hawbs(fda["url"]) == ["A2"] and hawbs(fda["ages"][1].url) == ["A2"] and hawbs(fda["ages"][0].url) == []
    assert hawbs(board.rejections[0]["url"]) == ["A5"]
    assert hawbs(board.durations[0].url) == ["A1", "A13", "A14", "A2", "A4"]
    assert hawbs(board.durations[1].url) == ["A4"]


def test_the_list_behind_a_number_counts_up_to_a_cap_and_then_says_more_than(flights, owner, client, monkeypatch):
    from calista.paging import CappedPaginator

    client.force_login(owner)
    week = boards.board_read(org=owner.membership.organization, period="7d")
    page = client.get(week.total.url).content.decode()
    assert "9 shipments" in page and "More than" not in page
    monkeypatch.setattr(CappedPaginator, "cap", 5)
    assert "More than 5 shipments: filter to narrow the list." in client.get(week.total.url).content.decode()


def test_the_open_mawb_list_shows_the_mawbs_counted(world, owner, client):
    client.force_login(owner)
    board = boards.board_read(org=owner.membership.organization)
    response = client.get(board.mawbs_total.url)
    assert response.context["page"].paginator.count == 4
    at_cfs = next(f for f in board.mawbs if f.key == "at_cfs")
    assert [str(m) for m in client.get(at_cfs.url).context["page"]] == ["160-12345701"]


def test_a_list_never_shows_another_tenants_shipments_whatever_the_filter(world, outsider, client):
    client.force_login(outsider)
    response = client.get(BoardFilter(status="released").url())
    assert response.context["page"].paginator.count == 0
    response = client.get(BoardFilter(hold_agency="CBP").url())
    assert response.context["page"].paginator.count == 0


def test_a_filter_parameter_that_means_nothing_is_ignored(world, owner, client):
    client.force_login(owner)
    response = client.get("/boards/list/?status=nonsense&airport=XXX&arrived_from=yesterday&event=everything")
    assert response.status_code == 200
    assert response.context["page"].paginator.count == len(visible(world, "owner"))


# --- The pages ----------------------------------------------------------------------------------------------------


def number(html: str, testid: str) -> int:
    match = re.search(rf'data-testid="{testid}">([\d,]+)<', html)
    assert match, testid
    return int(match.group(1).replace(",", ""))


def test_the_board_page_shows_the_figures_and_links_each_airport(world, owner, client):
    client.force_login(owner)
    html = client.get("/boards/?period=7d").content.decode()
    assert number(html, "count-total") == 7 and number(html, "status-released") == 4 and number(html, "custody-handed_off") == 1
    assert number(html, "go-warning") == 1 and number(html, "holds-total") == 2 and number(html, "mawbs-open") == 4
    for code in ("LAX", "SFO", "JFK", "ATL"):
        assert f'href="/boards/{code}/?period=7d"' in html
    assert "data-chart=" in html and 'hx-trigger="every 30s"' in html


def test_an_airports_board_page_and_its_figures_for_htmx(world, owner, client):
    client.force_login(owner)
    page = client.get("/boards/JFK/?period=30d")
    assert page.status_code == 200 and number(page.content.decode(), "status-accepted") == 1
    figures = client.get("/boards/JFK/figures/?period=30d")
    html = figures.content.decode()
    assert figures.status_code == 200 and "<html" not in html and 'id="board-figures"' in html
    assert 'hx-get="/boards/JFK/figures/?period=30d"' in html


def test_the_screens_of_one_organization_share_a_rendering_of_the_figures_for_a_few_seconds(world, owner, colleague, outsider,
                                                                                              client, settings):
    from django.core.cache import cache

    settings.BOARD_CACHE_SECONDS = 60
    cache.clear()
    try:
        client.force_login(owner)
        first = client.get("/boards/figures/?period=7d").content.decode()
        client.force_login(colleague)
        with CaptureQueriesContext(connection) as queries:
            again = client.get("/boards/figures/?period=7d").content.decode()
        assert again == first and len(queries) <= 6  # the session, the user and their organization: no board query
        client.force_login(outsider)  # another forwarder: its own figures, never the first one's
        html = client.get("/boards/figures/?period=7d").content.decode()
        assert number(html, "count-total") == sum(expected(world, "outsider", days=7).values()) != number(first, "count-total")
    finally:
        cache.clear()


def test_the_board_figures_still_answer_while_the_cache_is_away(world, owner, client, settings, monkeypatch):
    from django.core.cache import cache

    def away(*args, **kwargs):
        raise ConnectionError("the cache is not answering")

    settings.BOARD_CACHE_SECONDS = 60
    monkeypatch.setattr(cache, "get", away)
    monkeypatch.setattr(cache, "set", away)
    client.force_login(owner)
    response = client.get("/boards/figures/?period=7d")
    assert response.status_code == 200 and number(response.content.decode(), "count-total") == 7


def test_an_unknown_airport_has_no_board(world, owner, client):
    client.force_login(owner)
    assert client.get("/boards/ORD/").status_code == 404
    assert client.get("/boards/ORD/figures/").status_code == 404


def test_the_board_only_reads_in_a_bounded_number_of_queries(world, support_user, client):
    client.force_login(support_user)
    client.get("/boards/?period=30d")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/boards/LAX/?period=30d").status_code == 200
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert set(statements) <= {"SELECT", "SAVEPOINT", "RELEASE"}, statements
    assert len(statements) <= 20  # aggregate queries: as many for a million shipments as for ten


def test_the_board_refresh_interval_can_be_chosen_within_bounds(world, owner, client):
    client.force_login(owner)
    assert 'hx-trigger="every 10s"' in client.get("/boards/?refresh=10").content.decode()
    assert 'hx-trigger="every 5s"' in client.get("/boards/?refresh=1").content.decode()
    assert 'hx-trigger="every 30s"' in client.get("/boards/?refresh=soon").content.decode()


def test_each_role_home_offers_the_boards(world, owner, cfs_user, support_user, client):
    client.force_login(owner)
    assert 'href="/boards/"' in client.get("/").content.decode()
    client.force_login(cfs_user)
    assert 'href="/boards/LAX/"' in client.get("/").content.decode()
    client.force_login(support_user)
    home = client.get("/").content.decode()
    assert 'href="/boards/support/"' in home and 'href="/boards/"' in home


# --- Each airport's own day ------------------------------------------------------------------------------------

NEAR_MIDNIGHT = datetime(2026, 3, 10, 5, 30, tzinfo=UTC)  # 22:30 PDT on the 9th at LAX, 01:30 EDT on the 10th at JFK


@pytest.fixture
def two_coasts(forwarder_org, clock):
    """At NEAR_MIDNIGHT: a parcel released at LAX and one at JFK at that very moment."""
    from tests.dashboards.conftest import released
    from tests.factories import manifest_for, shipment_for

    clock(NEAR_MIDNIGHT)
    lax = shipment_for(manifest_for(forwarder_org, airport="LAX", arrival_date=date(2026, 3, 9)), hawb="L1", status="released")
    jfk = shipment_for(manifest_for(forwarder_org, mawb="16012345686", airport="JFK", arrival_date=date(2026, 3, 9)), hawb="J1",
                       status="released")
    released(lax, NEAR_MIDNIGHT)
    released(jfk, NEAR_MIDNIGHT)
    tallies_refresh(full=True)


def test_an_airports_board_counts_the_days_of_that_airport(two_coasts, owner):
    org = owner.membership.organization
    lax, jfk = boards.board_read(org=org, airport="LAX"), boards.board_read(org=org, airport="JFK")
    assert lax.today == date(2026, 3, 9) and jfk.today == date(2026, 3, 10)
    assert (lax.days[-1]["day"], lax.days[-1]["released"]) == (date(2026, 3, 9), 1)
    assert (jfk.days[-1]["day"], jfk.days[-1]["released"]) == (date(2026, 3, 10), 1)


def test_the_all_airports_board_runs_to_the_newest_airport_day_and_sums_each_airports_own_day(two_coasts, owner, client):
    board = boards.board_read(org=owner.membership.organization)
    assert board.today == date(2026, 3, 10)  # JFK's, past its midnight; LAX is still on the 9th
    released = {d["day"]: d["released"] for d in board.days if d["released"]}
    assert released == {date(2026, 3, 9): 1, date(2026, 3, 10): 1}  # LAX's evening on the 9th, JFK's night on the 10th
    client.force_login(owner)
    listed = {d["day"]: sorted(s.hawb for s in client.get(d["released_url"]).context["page"]) for d in board.days if d["released"]}
    assert listed == {date(2026, 3, 9): ["L1"], date(2026, 3, 10): ["J1"]}  # each number's list, on the same clocks


def test_the_all_airports_board_counts_general_order_on_each_parcels_own_airport_day(forwarder_org, owner, client, clock):
    from tests.factories import manifest_for, shipment_for

    clock(NEAR_MIDNIGHT)

    def landed(hawb, mawb, airport, day):
        manifest = manifest_for(forwarder_org, mawb=mawb, airport=airport, custody="broken_down", arrived_on=day)
        shipment_for(manifest, hawb=hawb, status="accepted", custody="broken_down")

    landed("LAX22", "16012345675", "LAX", date(2026, 2, 22))  # day 15 on LAX's 9 March: general order
    landed("LAX23", "16012345686", "LAX", date(2026, 2, 23))  # day 14 on LAX's 9 March: a warning, one day left
    landed("JFK23", "16012345690", "JFK", date(2026, 2, 23))  # day 15 on JFK's 10 March: general order
    board = boards.board_read(org=owner.membership.organization)
    assert by(board.general_order) == {"warning": 1, "overdue": 2}
    client.force_login(owner)
    listed = {f.key: sorted(s.hawb for s in client.get(f.url).context["page"]) for f in board.general_order}
    assert listed == {"warning": ["LAX23"], "overdue": ["JFK23", "LAX22"]}
    assert by(boards.board_read(org=owner.membership.organization, airport="LAX").general_order) == {"warning": 1, "overdue": 1}
