"""The customs decision follows the law on the arrival date, as policy.md states it."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from customs import policy
from customs.models import DutyRate, PolicyRule, RegimePin

pytestmark = pytest.mark.django_db


def decide(*rows, pinned=None):
    """Decide rows given as dicts (arrival, coo, hts, value, day_total, conveyance_total)."""
    frame = pd.DataFrame({
        "arrival_date": pd.to_datetime([r.get("arrival", "2025-03-01") for r in rows]),
        "country_of_origin": [r.get("coo", "VN") for r in rows],
        "hts_code": [r.get("hts", "3926909985") for r in rows],
        "value_usd": [float(r.get("value", 25)) for r in rows],
    })
    day = np.array([float(r.get("day_total", r.get("value", 25))) for r in rows])
    conveyance = np.array([float(r.get("conveyance_total", r.get("value", 25))) for r in rows])
    if pinned:
        RegimePin.objects.create(active=True, as_of=pinned)
    return policy.decide(frame, snap=policy.snapshot(), day_totals=day, conveyance_totals=conveyance)


def verdict(result, i=0):
    return result["entry_type"].iat[i], result["reasons"].iat[i]


def test_a_low_value_parcel_before_the_changes_is_de_minimis():
    assert verdict(decide({"arrival": "2025-03-01"})) == ("86", ["DM_ELIGIBLE"])


def test_chinese_goods_lose_de_minimis_from_the_second_of_may_2025():
    assert verdict(decide({"arrival": "2025-05-01", "coo": "CN"})) == ("86", ["DM_ELIGIBLE"])
    assert verdict(decide({"arrival": "2025-05-02", "coo": "CN"})) == ("11", ["DM_ORIGIN_EXCLUDED"])
    assert verdict(decide({"arrival": "2025-05-02", "coo": "HK"})) == ("11", ["DM_ORIGIN_EXCLUDED"])
    assert verdict(decide({"arrival": "2025-05-02", "coo": "VN"})) == ("86", ["DM_ELIGIBLE"])


def test_de_minimis_is_suspended_for_everyone_from_the_twenty_ninth_of_august_2025():
    assert verdict(decide({"arrival": "2025-08-28"})) == ("86", ["DM_ELIGIBLE"])
    assert verdict(decide({"arrival": "2025-08-29"})) == ("11", ["DM_SUSPENDED"])
    assert verdict(decide({"arrival": "2027-08-01"})) == ("11", ["DM_SUSPENDED"])


def test_the_suspension_comes_before_every_other_reason():
    assert verdict(decide({"arrival": "2025-09-01", "coo": "CN", "hts": "2203000000", "value": 900})) == ("11", ["DM_SUSPENDED"])


def test_alcohol_and_tobacco_are_never_de_minimis():
    assert verdict(decide({"hts": "2402108030"})) == ("11", ["DM_EXCLUDED_GOODS"])
    assert verdict(decide({"hts": "2204210000", "coo": "CN", "arrival": "2025-06-01"})) == ("11", ["DM_EXCLUDED_GOODS"])


def test_a_parcel_over_800_dollars_is_not_de_minimis():
    assert verdict(decide({"value": 800})) == ("86", ["DM_ELIGIBLE"])
    assert verdict(decide({"value": 800.01})) == ("11", ["DM_VALUE_OVER"])


def test_the_consignees_day_total_over_800_takes_de_minimis_from_every_parcel_of_that_day():
    result = decide({"value": 300, "day_total": 900}, {"value": 600, "day_total": 900})
    assert verdict(result, 0) == ("11", ["DM_AGGREGATE_OVER"])
    assert verdict(result, 1) == ("11", ["DM_AGGREGATE_OVER"])


def test_over_2500_on_one_conveyance_makes_a_formal_entry():
    assert verdict(decide({"value": 2500})) == ("11", ["DM_VALUE_OVER"])
    assert verdict(decide({"value": 2600})) == ("01", ["DM_VALUE_OVER", "INFORMAL_LIMIT_OVER"])
    result = decide({"value": 100, "day_total": 3000, "conveyance_total": 3000})
    assert verdict(result) == ("01", ["DM_AGGREGATE_OVER", "INFORMAL_LIMIT_OVER"])


def test_a_pinned_regime_decides_as_the_law_stood_on_that_day():
    result = decide({"arrival": "2026-11-20", "coo": "VN"}, pinned=date(2025, 8, 28))
    assert verdict(result) == ("86", ["DM_ELIGIBLE"])


def test_policy_dates_are_data_an_admin_can_change():
    PolicyRule.objects.filter(kind="suspended").update(effective_from=date(2026, 1, 1))
    assert verdict(decide({"arrival": "2025-10-01"})) == ("86", ["DM_ELIGIBLE"])


@pytest.mark.parametrize(("hts", "flags"), [
    ("0902100000", ["FDA"]), ("9018900000", ["FDA"]), ("4421999000", ["USDA"]), ("9503000073", ["CPSC"]),
    ("8518300000", ["FCC"]), ("3808940000", ["EPA"]), ("3926909985", []), ("2203000000", ["FDA"]),
])
def test_pga_flags_follow_the_hts_prefixes(hts, flags):
    assert decide({"hts": hts})["pga"].iat[0] == flags


def test_duty_and_fee_are_estimated_for_informal_and_formal_entries_only():
    result = decide({"arrival": "2026-11-20", "coo": "VN", "hts": "6109100012", "value": 100},
                    {"arrival": "2025-03-01", "coo": "VN", "value": 20})
    assert result["duty_estimate"].iat[0] == pytest.approx(16.50)  # sample 16.5 % for 6109
    assert float(result["mpf_estimate"].iat[0]) == pytest.approx(2.69)
    assert np.isnan(result["duty_estimate"].iat[1]) and np.isnan(result["mpf_estimate"].iat[1])


def test_an_additional_duty_for_the_origin_adds_to_the_base_rate():
    DutyRate.objects.filter(country="CN").update(rate_percent=10)
    result = decide({"arrival": "2026-11-20", "coo": "CN", "hts": "6109100012", "value": 100})
    assert float(result["duty_estimate"].iat[0]) == pytest.approx(26.50)


def test_the_formal_fee_has_a_floor_and_a_cap():
    low = decide({"arrival": "2026-11-20", "value": 3000, "conveyance_total": 3000})
    high = decide({"arrival": "2026-11-20", "value": 300000, "conveyance_total": 300000})
    assert float(low["mpf_estimate"].iat[0]) == pytest.approx(33.58)
    assert float(high["mpf_estimate"].iat[0]) == pytest.approx(651.50)


def test_the_consignee_identity_ignores_case_spaces_and_punctuation_and_uses_five_zip_digits():
    keys = policy.consignee_keys(pd.Series(["Li-Na Woods", "LINA WOODS"]), pd.Series(["5 Bay Rd.", "5 BAY RD"]),
                                 pd.Series(["92618", "92618-1234"]))
    assert keys.iat[0] == keys.iat[1]


def test_every_reason_reads_in_english_and_chinese():
    from django.utils import translation

    for code in policy.REASONS:
        english = policy.reason_text(code)
        with translation.override("zh-hans"):
            chinese = policy.reason_text(code)
        assert english and chinese and english != chinese, code


def test_a_day_total_of_exactly_800_dollars_across_the_portal_is_not_over_800(forwarder_org):
    """$310.68 + $380.67 + $42.95 already on the portal and $65.70 in the file make exactly $800.00 (summed in cents)."""
    from decimal import Decimal

    from tests.factories import manifest_for, shipment_for

    for value, flight, mawb in (("310.68", "CA90", "16012345675"), ("380.67", "CA91", "16012345686"),
                                ("42.95", "CA92", "16012345690")):
        manifest = manifest_for(forwarder_org, mawb=mawb, flight_number=flight, arrival_date=date(2025, 6, 10))
        shipment_for(manifest, hawb=f"H{flight}", value_usd=Decimal(value), consignee_key="FLOATPORTAL")
    frame = pd.DataFrame({"consignee_key": ["FLOATPORTAL"], "arrival_date": pd.to_datetime(["2025-06-10"]),
                          "flight_number": ["CA99"], "value_usd": [65.70]})
    day, conveyance, held = policy.totals_for(frame)
    assert day[0] == 800.00 and conveyance[0] == 65.70 and held[0]
    assert verdict(decide({"arrival": "2025-06-10", "value": 65.70, "day_total": day[0]})) == ("86", ["DM_ELIGIBLE"])
