import factory
from django.contrib.auth import get_user_model

from accounts.models import Membership, Organization

PASSWORD = "correct-horse-battery"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"org-{n}")
    name = factory.Sequence(lambda n: f"Organization {n}")
    kind = "forwarder"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()


def member(user, org, role="member"):
    Membership.objects.update_or_create(user=user, defaults={"organization": org, "role": role})
    user.refresh_from_db()
    return user


def manifest_for(forwarder, *, mawb="16012345675", airport="LAX", cfs=None, **fields):
    """A MAWB of this forwarder, brokered by its default broker. One past awaiting arrival landed on its scheduled date
    unless `arrived_on` says otherwise (as the lifecycle records it)."""
    from datetime import date

    from shipments.models import Manifest

    defaults = {"origin_airport": "HKG", "destination_airport": airport, "flight_number": "CX880",
                "arrival_date": date(2026, 11, 20), "broker": forwarder.default_broker, "cfs": cfs}
    defaults.update(fields)
    if defaults.get("custody", "awaiting_arrival") != "awaiting_arrival":
        defaults.setdefault("arrived_on", defaults["arrival_date"])
    return Manifest.objects.create(forwarder=forwarder, mawb=mawb, **defaults)


def shipment_for(manifest, *, hawb="H0001", **fields):
    """A valid, decided shipment in `received` under this manifest; one past awaiting arrival arrived with its MAWB."""
    from decimal import Decimal

    from django.utils import timezone

    from shipments.models import Shipment

    defaults = {
        "origin_airport": manifest.origin_airport, "destination_airport": manifest.destination_airport,
        "flight_number": manifest.flight_number, "arrival_date": manifest.arrival_date,
        "shipper_name": "Kowloon Gadget Supply Ltd", "shipper_address": "12 Nathan Road", "shipper_country": "HK",
        "consignee_name": "Ana Lopez", "consignee_address1": "4377 Maple Dr", "consignee_city": "Fairview",
        "consignee_state": "CA", "consignee_zip": "90210", "consignee_phone": "310-555-0100",
        "description": "Silicone phone case", "hts_code": "3926909985", "country_of_origin": "VN",
        "pieces": 1, "weight_kg": Decimal("0.5"), "weight_original": "0.5 K", "value_usd": Decimal("25.00"),
        "consignee_key": "ANALOPEZ|4377MAPLEDR|90210", "entry_type": "11", "reasons": ["DM_SUSPENDED"],
        "decided_at": timezone.now(),
    }
    defaults.update(fields)
    if defaults.get("custody", "awaiting_arrival") != "awaiting_arrival":
        defaults.setdefault("arrived_on", manifest.arrived_on or manifest.arrival_date)
    return Shipment.objects.create(
        manifest=manifest, forwarder=manifest.forwarder, broker=manifest.broker, cfs=manifest.cfs,
        mawb=manifest.mawb, hawb=hawb, **defaults,
    )
