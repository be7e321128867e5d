"""The demo organizations and users (seed_demo). Kept as data so tests and the README agree with it."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from accounts.models import LoginThrottle, Membership, Organization

DEMO_PASSWORD = "calista-demo"


@dataclass(frozen=True)
class DemoOrg:
    slug: str
    name: str
    kind: str
    airport: str = ""
    firms_code: str = ""
    filer_code: str = ""
    time_zone: str = ""  # where its people sit; set when the organization is created, theirs to change afterwards


@dataclass(frozen=True)
class DemoUser:
    username: str
    org: str
    role: str
    what: str


ORGS = [
    DemoOrg("demo-broker", "Golden Gate Customs Brokers", "broker", filer_code="GGB", time_zone="America/Los_Angeles"),
    DemoOrg("demo-forwarder-1", "Shenzhen Express Logistics", "forwarder", time_zone="Asia/Shanghai"),
    DemoOrg("demo-forwarder-2", "Pearl River Air Freight", "forwarder", time_zone="Asia/Shanghai"),
    DemoOrg("demo-cfs-lax", "LAX Bonded Warehouse", "cfs", airport="LAX", firms_code="L101"),
    DemoOrg("demo-cfs-sfo", "SFO Cargo Station", "cfs", airport="SFO", firms_code="S201"),
    DemoOrg("demo-cfs-jfk", "JFK Air Cargo CFS", "cfs", airport="JFK", firms_code="J301"),
    DemoOrg("demo-cfs-atl", "ATL Freight Station", "cfs", airport="ATL", firms_code="A401"),
    DemoOrg("demo-operator", "Calista Operations", "operator"),
]

USERS = [
    DemoUser("forwarder", "demo-forwarder-1", "admin", "forwarder admin (Shenzhen Express)"),
    DemoUser("forwarder-staff", "demo-forwarder-1", "member", "forwarder colleague (Shenzhen Express)"),
    DemoUser("forwarder2", "demo-forwarder-2", "admin", "another forwarder (Pearl River)"),
    DemoUser("broker", "demo-broker", "admin", "customs broker (CHB)"),
    DemoUser("broker-staff", "demo-broker", "member", "customs broker colleague"),
    DemoUser("cfs-lax", "demo-cfs-lax", "admin", "CFS operator at LAX"),
    DemoUser("cfs-sfo", "demo-cfs-sfo", "admin", "CFS operator at SFO"),
    DemoUser("cfs-jfk", "demo-cfs-jfk", "admin", "CFS operator at JFK"),
    DemoUser("cfs-atl", "demo-cfs-atl", "admin", "CFS operator at ATL"),
    DemoUser("support", "demo-operator", "member", "support agent"),
    DemoUser("admin", "demo-operator", "admin", "platform admin (Django admin)"),
]


@transaction.atomic
def demo_organizations_ensure() -> dict[str, Organization]:
    """Create or refresh the demo organizations and users; give every demo user the demo password back."""
    orgs = {}
    for spec in ORGS:
        org, _ = Organization.objects.update_or_create(
            slug=spec.slug,
            defaults={"name": spec.name, "kind": spec.kind, "airport": spec.airport,
                      "firms_code": spec.firms_code, "filer_code": spec.filer_code},
            create_defaults={"name": spec.name, "kind": spec.kind, "airport": spec.airport, "firms_code": spec.firms_code,
                             "filer_code": spec.filer_code, "time_zone": spec.time_zone},
        )
        orgs[spec.slug] = org
    for slug in ("demo-forwarder-1", "demo-forwarder-2"):
        Organization.objects.filter(pk=orgs[slug].pk).update(default_broker=orgs["demo-broker"])
        orgs[slug].refresh_from_db()

    User = get_user_model()
    for spec in USERS:
        user, _ = User.objects.get_or_create(username=spec.username, defaults={"email": f"{spec.username}@demo.calista.local"})
        platform_admin = spec.org == "demo-operator" and spec.role == "admin"
        user.is_staff = user.is_superuser = platform_admin
        user.set_password(DEMO_PASSWORD)
        user.save()
        Membership.objects.update_or_create(user=user, defaults={"organization": orgs[spec.org], "role": spec.role})
    LoginThrottle.objects.filter(username__in=[u.username for u in USERS]).delete()
    return orgs
