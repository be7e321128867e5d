from datetime import date

import pytest

from customs.models import RegimePin
from tests.factories import UserFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin(operator_org):
    return member(UserFactory(username="platform-admin"), operator_org, "admin")


def test_a_platform_admin_pins_and_unpins_the_regime(client, platform_admin):
    client.force_login(platform_admin)
    response = client.post("/customs/regime/", {"active": "on", "as_of": "2025-08-28", "note": "training"})
    assert response.status_code == 302
    assert RegimePin.objects.get(active=True).as_of == date(2025, 8, 28)
    assert "2025-08-28" in client.get("/customs/regime/").content.decode()
    client.post("/customs/regime/", {"as_of": "", "note": ""})
    assert not RegimePin.objects.filter(active=True).exists()


def test_a_pinned_regime_decides_new_uploads(client, platform_admin, owner, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from shipments.models import Shipment
    from tests.shipments.conftest import sample

    client.force_login(platform_admin)
    client.post("/customs/regime/", {"active": "on", "as_of": "2025-08-28"})
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/uploads/new/", {"file": SimpleUploadedFile("c.csv", sample("sample_chinese_gb18030.csv"))})
    reasons = {tuple(r) for r in Shipment.objects.values_list("reasons", flat=True)}
    assert reasons and ("DM_SUSPENDED",) not in reasons  # Nov 2026 arrivals, decided as in August 2025
    assert ("DM_ORIGIN_EXCLUDED",) in reasons


def test_a_support_agent_sees_the_regime_but_cannot_pin_it(client, support_user):
    client.force_login(support_user)
    assert client.get("/customs/regime/").status_code == 200
    assert client.post("/customs/regime/", {"active": "on", "as_of": "2025-08-28"}).status_code == 403
    assert not RegimePin.objects.exists()


def test_other_organizations_cannot_open_the_regime_page(client, owner, broker_user):
    for user in (owner, broker_user):
        client.force_login(user)
        assert client.get("/customs/regime/").status_code == 403
