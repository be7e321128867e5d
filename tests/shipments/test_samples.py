"""Every sample file gives exactly its expected report through validate_manifest (as ../shared/tools/check-samples checks)."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.shipments.conftest import SAMPLES

pytestmark = pytest.mark.django_db

NAMES = ["sample_small.csv", "sample_chinese_gb18030.csv", "sample_alias.xlsx", "sample_edge.csv"]
SHARED = Path(__file__).resolve().parents[3] / "shared" / "samples"


def validate(path: Path) -> tuple[dict, int]:
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("validate_manifest", str(path), "--json", "--as-of", "2026-11-27", stdout=out)
    return json.loads(out.getvalue()), exited.value.code


def pairs(items):
    return sorted((item["code"], item.get("column")) for item in items)


@pytest.mark.parametrize("name", NAMES)
def test_each_sample_gives_exactly_its_expected_report(name):
    report, code = validate(SAMPLES / name)
    expected = json.loads((SAMPLES / (name.rsplit(".", 1)[0] + ".expected.json")).read_text())["rows"]
    assert code == 1  # every sample has valid and invalid rows
    got = {row["row"]: row for row in report["rows"]}
    assert len(got) == len(expected)
    for want in expected:
        row = got[want["row"]]
        assert row["valid"] == want["valid"], want["hawb"]
        assert pairs(row["errors"]) == pairs(want["errors"]), want["hawb"]
        assert pairs(row["warnings"]) == pairs(want["warnings"]), want["hawb"]
        if want["valid"]:
            assert row["entry_type"] == want["entry_type"], want["hawb"]
            assert row["reasons"] == want["reasons"], want["hawb"]
            assert sorted(row["pga"]) == sorted(want["pga"]), want["hawb"]
        else:
            assert row["entry_type"] is None and row["reasons"] == [] and row["pga"] == []


def test_the_report_has_the_documented_shape():
    report, _ = validate(SAMPLES / "sample_chinese_gb18030.csv")
    assert report["file"]["encoding"] == "gb18030"
    assert report["file"]["delimiter"] == ","
    assert report["file"]["columns"]["mawb"] == "主单号"
    assert report["file"]["records"] == report["summary"]["rows"] == 60
    assert report["summary"]["valid"] + report["summary"]["invalid"] == 60
    assert sum(report["summary"]["entry_types"].values()) == report["summary"]["valid"]
    row = next(r for r in report["rows"] if not r["valid"])
    assert {"code", "column", "message"} <= set(row["errors"][0])


@pytest.mark.skipif(not SHARED.exists(), reason="the shared folder is not beside this checkout")
def test_the_projects_copies_of_the_samples_are_the_shared_ones():
    for path in SHARED.iterdir():
        assert (SAMPLES / path.name).read_bytes() == path.read_bytes(), path.name
