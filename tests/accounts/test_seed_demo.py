import pytest
from django.core.management import call_command

from accounts.demo import DEMO_PASSWORD, USERS
from accounts.models import Membership, Organization

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_every_demo_organization_and_user(capsys):
    call_command("seed_demo", "--orgs-only")
    slugs = set(Organization.objects.values_list("slug", flat=True))
    assert {"demo-forwarder-1", "demo-forwarder-2", "demo-broker", "demo-cfs-lax", "demo-cfs-sfo",
            "demo-cfs-jfk", "demo-cfs-atl", "demo-operator"} <= slugs
    cfs = Organization.objects.filter(kind="cfs")
    assert sorted(cfs.values_list("airport", flat=True)) == ["ATL", "JFK", "LAX", "SFO"]
    for org in cfs:
        org.full_clean()
    assert Organization.objects.get(slug="demo-forwarder-1").default_broker.slug == "demo-broker"
    for user in USERS:
        membership = Membership.objects.select_related("user").get(user__username=user.username)
        assert membership.user.check_password(DEMO_PASSWORD)
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out and "support" in out


def test_seed_demo_is_safe_to_run_again():
    call_command("seed_demo", "--orgs-only", "--quiet")
    call_command("seed_demo", "--orgs-only", "--quiet")
    assert Organization.objects.filter(slug__startswith="demo-").count() == 8
    assert Membership.objects.count() == len(USERS)


def test_seed_demo_gives_the_support_agent_no_admin_and_the_platform_admin_the_admin():
    call_command("seed_demo", "--orgs-only", "--quiet")
    support = Membership.objects.get(user__username="support")
    admin = Membership.objects.get(user__username="admin")
    assert support.organization.kind == "operator" and not support.user.is_staff
    assert admin.user.is_staff and admin.user.is_superuser


def test_the_demo_forwarders_read_times_in_shenzhen_and_keep_a_zone_they_chose_afterwards():
    call_command("seed_demo", "--orgs-only", "--quiet")
    assert Organization.objects.get(slug="demo-forwarder-1").time_zone == "Asia/Shanghai"
    Organization.objects.filter(slug="demo-forwarder-1").update(time_zone="Asia/Hong_Kong")
    call_command("seed_demo", "--orgs-only", "--quiet")
    assert Organization.objects.get(slug="demo-forwarder-1").time_zone == "Asia/Hong_Kong"
