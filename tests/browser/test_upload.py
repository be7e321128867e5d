"""A forwarder uploads a sample through the browser while a real worker ingests it, then fixes the failed rows."""

import csv
import io

import pytest
from django.core.management import call_command

from accounts.demo import DEMO_PASSWORD
from shipments.models import Shipment, Upload
from tests.browser.conftest import log_in, screenshot
from tests.shipments.conftest import SAMPLES

pytestmark = [pytest.mark.browser]


def fixed(rows: list[list[str]]) -> list[list[str]]:
    """What a forwarder does with the error file: correct the currency and e-mail errors, drop the errors column."""
    header = rows[0][:-1]
    currency, email = header.index("currency"), header.index("consignee_email")
    out = [header]
    for row in rows[1:]:
        errors, cells = row[-1], row[:-1]
        if "R_CURRENCY" in errors:
            cells[currency] = "USD"
        if "R_EMAIL" in errors:
            cells[email] = ""
        out.append(cells)
    return out


def test_upload_progress_errors_fix_and_reupload(worker, page, tmp_path):
    call_command("seed_demo", "--orgs-only", "--quiet")
    log_in(page, "forwarder", DEMO_PASSWORD)
    page.get_by_role("link", name="Upload manifest").first.click()
    page.set_input_files("#id_file", str(SAMPLES / "sample_small.csv"))
    page.get_by_test_id("upload-submit").click()

    # The progress bars fill while the worker reads, checks and stores; the page turns into the result.
    page.get_by_test_id("count-valid").wait_for(timeout=60_000)
    assert page.get_by_test_id("count-valid").inner_text() == "35"
    assert page.get_by_test_id("count-invalid").inner_text() == "25"
    errors = page.get_by_test_id("error-rows")
    assert "R_CURRENCY" in errors.inner_text() and "Only US dollars (USD) are accepted." in errors.inner_text()
    screenshot(page, "upload-result")

    with page.expect_download() as download:
        page.get_by_test_id("error-file").click()
    path = tmp_path / "errors.csv"
    download.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text("utf-8"))))
    assert rows[0][-1] == "errors" and len(rows) == 26

    corrected = tmp_path / "sample_small-fixed.csv"
    with corrected.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(fixed(rows))
    page.goto("/uploads/new/")
    page.set_input_files("#id_file", str(corrected))
    page.get_by_test_id("upload-submit").click()
    page.get_by_test_id("count-valid").wait_for(timeout=60_000)
    assert page.get_by_test_id("count-valid").inner_text() == "4"  # 3 currency rows and 1 e-mail row now pass

    page.get_by_test_id("view-shipments").click()
    table = page.get_by_test_id("shipment-table").inner_text()
    for hawb in ("SM00000001", "SM00000005", "SM00000028", "SM00000035"):
        assert hawb in table
    first = Shipment.objects.get(hawb="SM00000002")
    again = Shipment.objects.get(hawb="SM00000001")
    assert again.manifest_id == first.manifest_id  # the corrected rows joined the same MAWB
    screenshot(page, "upload-fixed-shipments")


def test_the_progress_page_shows_bars_while_the_worker_is_busy(worker, page):
    """With the worker stopped, the page shows the bars waiting; when it starts, they fill and the result appears."""
    call_command("seed_demo", "--orgs-only", "--quiet")
    worker.stop()
    log_in(page, "forwarder", DEMO_PASSWORD)
    page.goto("/uploads/new/")
    page.set_input_files("#id_file", str(SAMPLES / "sample_chinese_gb18030.csv"))
    page.get_by_test_id("upload-submit").click()
    assert page.get_by_test_id("progress").is_visible()
    assert "Waiting for a worker" in page.get_by_test_id("progress").inner_text()
    screenshot(page, "upload-progress-waiting")
    worker.start()
    page.get_by_test_id("count-valid").wait_for(timeout=60_000)
    assert page.get_by_test_id("count-valid").inner_text() == "39"


def test_a_file_over_the_limit_is_refused_before_it_is_sent(page, settings, tmp_path):
    call_command("seed_demo", "--orgs-only", "--quiet")
    settings.MANIFEST_MAX_BYTES = 4096
    log_in(page, "forwarder", DEMO_PASSWORD)
    page.goto("/uploads/new/")
    big = tmp_path / "big.csv"
    big.write_bytes(b"mawb,hawb\n" + b"16012345675,H1\n" * 1000)
    page.set_input_files("#id_file", str(big))
    warning = page.locator("[data-too-large]")
    assert warning.is_visible() and "over the limit" in warning.inner_text()
    page.get_by_test_id("upload-submit").click()
    assert page.url.endswith("/uploads/new/") and warning.is_visible()
    assert not Upload.objects.exists()
    small = tmp_path / "small.csv"
    small.write_bytes((SAMPLES / "sample_small.csv").read_bytes()[:4000])
    page.set_input_files("#id_file", str(small))
    assert not warning.is_visible()


def test_the_error_filter_can_be_walked_with_the_arrow_keys_before_it_applies(worker, page):
    call_command("seed_demo", "--orgs-only", "--quiet")
    log_in(page, "forwarder", DEMO_PASSWORD)
    page.goto("/uploads/new/")
    page.set_input_files("#id_file", str(SAMPLES / "sample_small.csv"))
    page.get_by_test_id("upload-submit").click()
    page.get_by_test_id("count-valid").wait_for(timeout=60_000)
    show = page.get_by_test_id("code-filter")
    show.focus()
    url = page.url
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert page.url == url  # moving through the choices does not reload the page
    chosen = show.input_value()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"code={chosen}" in page.url
