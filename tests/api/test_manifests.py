"""Manifests by API: upload a file or rows, idempotently; follow its state; read its §8 report. Bad input is a field-level 4xx."""

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from api.models import IdempotencyKey
from shipments.ingest.pipeline import manifest_evaluate, manifest_report
from shipments.models import Shipment, Upload
from shipments.progress import progress_set
from tests.api.conftest import codes_of, errors_of, fields_of, key_for
from tests.shipments.conftest import sample
from tests.shipments.manifests import BASE, full_row, manifest_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(api, django_capture_on_commit_callbacks):
    """upload(key, name, data, **headers) posts a file (the ingest runs when the request's transaction commits)."""

    def post(key, name="manifest.csv", data=None, encoding=None, **headers):
        body = {"file": SimpleUploadedFile(name, manifest_bytes() if data is None else data)}
        if encoding is not None:
            body["encoding"] = encoding
        with django_capture_on_commit_callbacks(execute=True):
            return api(key).post("/api/v1/manifests/", body, format="multipart", **headers)

    return post


@pytest.fixture
def upload_rows(api, django_capture_on_commit_callbacks):
    def post(key, rows, name=None, **headers):
        body = {"rows": rows} if name is None else {"rows": rows, "name": name}
        with django_capture_on_commit_callbacks(execute=True):
            return api(key).post("/api/v1/manifests/", body, format="json", **headers)

    return post


def expected_report(data: bytes, name: str) -> dict:
    """What validate_manifest says about the file against the portal as it is now (before the upload)."""
    return manifest_report(manifest_evaluate(data, filename=name, today=timezone.localdate()))


# --- Upload and follow -----------------------------------------------------------------------------


def test_the_owner_uploads_a_file_polls_it_and_reads_the_same_report_as_validate_manifest(api, owner_key, upload):
    data = sample("sample_small.csv")
    expected = expected_report(data, "sample_small.csv")
    response = upload(owner_key, "sample_small.csv", data)
    assert response.status_code == 202
    created = response.json()
    assert created["state"] == "queued" and created["name"] == "sample_small.csv"
    assert response["Location"] == created["url"] and created["url"].endswith(f"/api/v1/manifests/{created['id']}/")
    status = api(owner_key).get(created["url"]).json()
    assert status["state"] == "done" and status["rows_total"] == expected["summary"]["rows"]
    assert status["progress"]["phase"] == "done"
    report = api(owner_key).get(created["report_url"]).json()
    assert report == expected


def test_a_finished_upload_counts_its_stored_rows_as_its_progress_when_polled_as_when_retried(api, owner_key, upload):
    created = upload(owner_key, HTTP_IDEMPOTENCY_KEY="order-2026-11-28-001").json()
    polled = api(owner_key).get(created["url"]).json()
    retried = upload(owner_key, HTTP_IDEMPOTENCY_KEY="order-2026-11-28-001").json()
    stored = polled["rows_valid"]
    assert polled["state"] == "done" and stored > 0
    assert polled["progress"] == retried["progress"] == {"phase": "done", "done": stored, "total": stored}


def test_json_rows_give_the_same_report_as_the_same_rows_in_a_csv_file(api, owner_key, upload_rows):
    rows = [full_row(0), full_row(1, consignee_zip="210"), full_row(2, pieces="0", consignee_email=""), full_row(3, value=12.5)]
    rows[3]["pieces"] = 2  # numbers are welcome
    del rows[2]["consignee_email"]  # a cell left out of one row is empty
    columns = list(BASE)
    csv_rows = [[str(row.get(name, "")) for name in columns] for row in rows]
    import csv
    import io

    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([columns, *csv_rows])
    expected = expected_report(text.getvalue().encode(), "rows.csv")
    response = upload_rows(owner_key, rows, name="from-our-erp")
    assert response.status_code == 202
    manifest = response.json()
    assert manifest["name"] == "from-our-erp.csv"
    report = api(owner_key).get(manifest["report_url"]).json()
    assert report == expected
    assert report["rows"][1]["warnings"] == [{"code": "W_ZIP_PADDED", "column": "consignee_zip"}]
    assert [r["valid"] for r in report["rows"]] == [True, True, False, True]


def test_the_report_can_list_only_the_failed_rows_or_none(api, owner_key, upload_rows):
    manifest = upload_rows(owner_key, [full_row(0), full_row(1, consignee_zip="ABC")]).json()
    invalid = api(owner_key).get(manifest["report_url"], {"rows": "invalid"}).json()
    assert [row["row"] for row in invalid["rows"]] == [3] and invalid["rows"][0]["errors"][0]["code"] == "R_ZIP"
    assert api(owner_key).get(manifest["report_url"], {"rows": "none"}).json()["rows"] == []
    assert fields_of(api(owner_key).get(manifest["report_url"], {"rows": "some"})) == ["rows"]


def test_a_file_refused_as_a_whole_has_a_report_with_the_file_error_and_no_rows(api, owner_key, upload):
    manifest = upload(owner_key, "notes.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100).json()
    detail = api(owner_key).get(manifest["url"]).json()
    assert detail["state"] == "failed"
    report = api(owner_key).get(manifest["report_url"]).json()
    assert [e["code"] for e in report["file"]["errors"]] == ["F_NOT_TABULAR"] and report["rows"] == []


def test_the_report_of_an_upload_still_being_read_answers_409(api, owner_key, forwarder_org):
    upload = Upload.objects.create(forwarder=forwarder_org, original_name="m.csv", sha256="0" * 64)
    progress_set("upload", upload.pk, phase="queued")  # as upload_create leaves it
    response = api(owner_key).get(f"/api/v1/manifests/{upload.pk}/report/")
    assert response.status_code == 409 and codes_of(response) == ["not_finished"]
    assert api(owner_key).get(f"/api/v1/manifests/{upload.pk}/").json()["progress"]["phase"] == "queued"
    Upload.objects.filter(pk=upload.pk).update(state=Upload.State.CRASHED)
    response = api(owner_key).get(f"/api/v1/manifests/{upload.pk}/report/")
    assert response.status_code == 409 and codes_of(response) == ["no_report"]


def test_a_colleague_reads_the_upload_and_an_outsider_gets_404(api, owner_key, colleague_key, outsider_key, upload):
    manifest = upload(owner_key).json()
    assert api(colleague_key).get(manifest["url"]).status_code == 200
    assert api(colleague_key).get(manifest["report_url"]).status_code == 200
    assert [m["id"] for m in api(colleague_key).get("/api/v1/manifests/").json()["results"]] == [manifest["id"]]
    assert api(colleague_key).post("/api/v1/manifests/", {"rows": [BASE]}, format="json").status_code == 403
    for url in (manifest["url"], manifest["report_url"]):
        response = api(outsider_key).get(url)
        assert response.status_code == 404 and codes_of(response) == ["not_found"]
    assert api(outsider_key).get("/api/v1/manifests/").json()["results"] == []


def test_only_forwarders_upload_and_a_broker_sees_no_uploads(api, owner_key, broker_key, cfs_key, upload):
    upload(owner_key)
    response = api(broker_key).post("/api/v1/manifests/", {"rows": [BASE]}, format="json")
    assert response.status_code == 403 and codes_of(response) == ["wrong_organization_kind"]
    assert api(cfs_key).post("/api/v1/manifests/", {"rows": [BASE]}, format="json").status_code == 403
    assert Upload.objects.count() == 1


@pytest.mark.parametrize("who", ["broker_key", "cfs_key"])
def test_brokers_and_stations_may_not_list_uploads_that_the_operator_reads(request, api, owner_key, operator_org, upload, who):
    first = upload(owner_key).json()
    key = request.getfixturevalue(who)
    response = api(key).get("/api/v1/manifests/")
    assert response.status_code == 403 and codes_of(response) == ["wrong_organization_kind"]
    assert api(key).get(f"/api/v1/manifests/{first['id']}/").status_code == 404
    assert api(key).get(f"/api/v1/manifests/{first['id']}/report/").status_code == 404
    response = api(key_for(operator_org)).get("/api/v1/manifests/")
    assert response.status_code == 200 and [m["id"] for m in response.json()["results"]] == [first["id"]]


def test_the_upload_list_filters_by_state_newest_first(api, owner_key, upload):
    first = upload(owner_key, data=manifest_bytes([{}])).json()
    second = upload(owner_key, "bad.csv", b"\x00\x01").json()
    listed = api(owner_key).get("/api/v1/manifests/").json()["results"]
    assert [m["id"] for m in listed] == [second["id"], first["id"]]
    assert [m["id"] for m in api(owner_key).get("/api/v1/manifests/", {"state": "failed"}).json()["results"]] == [second["id"]]


def test_an_api_upload_is_the_forwarders_own_and_stores_its_shipments(api, owner_key, forwarder_org, upload):
    manifest = upload(owner_key, data=manifest_bytes([{}, {}])).json()
    stored = Upload.objects.get(pk=manifest["id"])
    assert stored.forwarder == forwarder_org and stored.uploaded_by is None
    assert Shipment.objects.filter(upload=stored, forwarder=forwarder_org).count() == 2


# --- Idempotency ---------------------------------------------------------------------------------------


def test_a_retried_upload_with_the_same_idempotency_key_is_stored_once(api, owner_key, upload):
    first = upload(owner_key, HTTP_IDEMPOTENCY_KEY="order-2026-11-27-001")
    again = upload(owner_key, HTTP_IDEMPOTENCY_KEY="order-2026-11-27-001")
    assert first.status_code == 202 and again.status_code == 201  # the first ingest has finished meanwhile
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Upload.objects.count() == 1 and IdempotencyKey.objects.get().upload_id == first.json()["id"]


def test_the_same_idempotency_key_for_another_file_is_refused(api, owner_key, upload):
    upload(owner_key, HTTP_IDEMPOTENCY_KEY="k-1")
    response = upload(owner_key, data=manifest_bytes([{"hawb": "OTHER1"}]), HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422
    error = errors_of(response)[0]
    assert (error["code"], error["field"]) == ("idempotency_key_reused", "Idempotency-Key") and error["message"]
    assert Upload.objects.count() == 1


def test_json_rows_are_idempotent_too(api, owner_key, upload_rows):
    first = upload_rows(owner_key, [BASE], HTTP_IDEMPOTENCY_KEY="rows-1").json()
    again = upload_rows(owner_key, [BASE], HTTP_IDEMPOTENCY_KEY="rows-1").json()
    assert first["id"] == again["id"] and Upload.objects.count() == 1


def test_without_an_idempotency_key_each_upload_is_stored(api, owner_key, upload):
    upload(owner_key)
    upload(owner_key)
    assert Upload.objects.count() == 2
    assert Upload.objects.order_by("id").last().duplicate_of_id == Upload.objects.order_by("id").first().pk


def test_idempotency_keys_belong_to_their_organization(api, owner_key, outsider_key, upload):
    mine = upload(owner_key, HTTP_IDEMPOTENCY_KEY="shared-name").json()
    theirs = upload(outsider_key, HTTP_IDEMPOTENCY_KEY="shared-name").json()
    assert mine["id"] != theirs["id"]


def test_a_key_still_being_processed_answers_409_and_is_taken_over_once_stale(api, owner_key, forwarder_org, upload, settings):
    IdempotencyKey.objects.create(organization=forwarder_org, key="busy", fingerprint="x" * 64, created_at=timezone.now())
    response = upload(owner_key, HTTP_IDEMPOTENCY_KEY="busy")
    assert response.status_code == 422  # another request's fingerprint: refused whatever its state

    from api.uploads import _fingerprint

    fingerprint = _fingerprint(SimpleUploadedFile("manifest.csv", manifest_bytes()), "manifest.csv", "")
    IdempotencyKey.objects.filter(key="busy").update(fingerprint=fingerprint)
    response = upload(owner_key, HTTP_IDEMPOTENCY_KEY="busy")
    assert response.status_code == 409 and codes_of(response) == ["idempotency_key_in_use"]
    settings.API_IDEMPOTENCY_CLAIM_SECONDS = 0  # the request that claimed it died long ago
    assert upload(owner_key, HTTP_IDEMPOTENCY_KEY="busy").status_code == 202
    assert Upload.objects.count() == 1


def test_an_expired_idempotency_key_can_be_used_again(api, owner_key, upload, settings):
    upload(owner_key, HTTP_IDEMPOTENCY_KEY="daily")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert upload(owner_key, data=manifest_bytes([{"hawb": "NEXT1"}]), HTTP_IDEMPOTENCY_KEY="daily").status_code == 202
    assert Upload.objects.count() == 2


def test_a_bad_idempotency_key_is_a_field_error(api, owner_key, upload):
    response = upload(owner_key, HTTP_IDEMPOTENCY_KEY="x" * 300)
    assert response.status_code == 400 and fields_of(response) == ["Idempotency-Key"]
    assert Upload.objects.count() == 0


# --- Bad input: clear, field-level, never a 500 -------------------------------------------------------------------


def test_another_content_type_answers_415(api, owner_key):
    response = api(owner_key).generic("POST", "/api/v1/manifests/", b"mawb,hawb\n1,2\n", content_type="text/csv")
    assert response.status_code == 415 and codes_of(response) == ["unsupported_media_type"]


def test_malformed_json_answers_400(api, owner_key):
    response = api(owner_key).generic("POST", "/api/v1/manifests/", b'{"rows": [', content_type="application/json")
    assert response.status_code == 400 and codes_of(response) == ["parse_error"]


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"rows": [BASE], "colour": "red"}, "colour", "unknown_field"),
    ({"name": "x"}, "rows", "required"),
    ({"rows": "mawb,hawb"}, "rows", "invalid"),
    ({"rows": []}, "rows", "F_EMPTY"),
    ({"rows": [BASE, "row"]}, "rows[1]", "invalid"),
    ({"rows": [{**BASE, "remark": "fragile"}]}, "rows[0].remark", "unknown_field"),
    ({"rows": [{**BASE, "pieces": [1, 2]}]}, "rows[0].pieces", "invalid"),
    ({"rows": [{**BASE, "pieces": True}]}, "rows[0].pieces", "invalid"),
    ({"rows": [{**BASE, "description": "x" * 5000}]}, "rows[0].description", "max_length"),
    ({"rows": [BASE], "name": 12}, "name", "invalid"),
    ([BASE], None, "invalid"),
])
def test_a_bad_json_body_is_a_field_level_400_and_stores_nothing(api, owner_key, body, field, code):
    response = api(owner_key).post("/api/v1/manifests/", body, format="json")
    assert response.status_code == 400, response.content
    assert errors_of(response)[0]["field"] == field and errors_of(response)[0]["code"] == code
    assert Upload.objects.count() == 0


def test_an_oversized_json_body_is_refused_with_f_too_large(api, owner_key, settings):
    settings.MANIFEST_MAX_BYTES = 2048
    response = api(owner_key).post("/api/v1/manifests/", {"rows": [BASE] * 20}, format="json")
    assert response.status_code == 413 and codes_of(response) == ["F_TOO_LARGE"]
    assert Upload.objects.count() == 0


def test_too_many_json_rows_are_refused_with_f_too_large(api, owner_key, settings):
    settings.MANIFEST_MAX_RECORDS = 2
    response = api(owner_key).post("/api/v1/manifests/", {"rows": [BASE] * 3}, format="json")
    assert response.status_code == 413 and fields_of(response) == ["rows"]


def test_an_oversized_file_is_refused_while_it_streams_in_and_nothing_is_stored(api, owner_key, upload, settings):
    settings.MANIFEST_MAX_BYTES = 1024
    response = upload(owner_key, data=manifest_bytes([{}] * 30))
    assert response.status_code == 413
    assert errors_of(response)[0]["code"] == "F_TOO_LARGE" and fields_of(response) == ["file"]
    assert Upload.objects.count() == 0


def test_an_empty_file_is_refused_with_f_empty_and_stores_nothing(api, owner_key):
    response = api(owner_key).post("/api/v1/manifests/", {"file": SimpleUploadedFile("m.csv", b"")}, format="multipart")
    assert response.status_code == 400 and errors_of(response)[0]["field"] == "file" and codes_of(response) == ["F_EMPTY"]
    assert Upload.objects.count() == 0


def test_a_multipart_upload_without_a_file_or_with_unknown_fields_is_a_field_error(api, owner_key):
    response = api(owner_key).post("/api/v1/manifests/", {"encoding": "utf-8"}, format="multipart")
    assert response.status_code == 400 and fields_of(response) == ["file"] and codes_of(response) == ["required"]
    body = {"file": SimpleUploadedFile("m.csv", manifest_bytes()), "colour": "red"}
    response = api(owner_key).post("/api/v1/manifests/", body, format="multipart")
    assert response.status_code == 400 and fields_of(response) == ["colour"]
    assert Upload.objects.count() == 0


def test_a_chosen_encoding_is_used_for_the_file(api, owner_key, upload):
    data = manifest_bytes([{"consignee_name": "Ana Lopez"}], encoding="utf-16")
    manifest = upload(owner_key, data=data, encoding="utf-16").json()
    report = api(owner_key).get(manifest["report_url"]).json()
    assert report["file"]["encoding"].startswith("utf-16") and report["summary"]["valid"] == 1


def test_unknown_ids_and_paths_answer_a_json_404(api, owner_key):
    for path in ("/api/v1/manifests/999999/", "/api/v1/manifests/99999999999999999999999/", "/api/v1/nothing-here/"):
        response = api(owner_key).get(path)
        assert response.status_code == 404 and json.loads(response.content)["errors"][0]["code"] == "not_found"


def test_a_client_uploads_and_polls_over_real_http(live_server, forwarder_org):
    """What the README's curl example does, against a real server: upload with an Idempotency-Key, retry, poll, read the report."""
    import urllib.request
    import uuid

    from tests.api.conftest import key_for

    key = key_for(forwarder_org)
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"m.csv\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode() + manifest_bytes([{}, {}]) + f"\r\n--{boundary}--\r\n".encode()

    def call(url, data=None, **headers):
        request = urllib.request.Request(url, data=data, headers={"Authorization": f"Bearer {key}", **headers})
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())

    upload = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Idempotency-Key": "live-1"}
    status, headers, created = call(f"{live_server.url}/api/v1/manifests/", body, **upload)
    assert status in (201, 202) and headers["Location"] == created["url"]
    status, headers, again = call(f"{live_server.url}/api/v1/manifests/", body, **upload)
    assert again["id"] == created["id"] and headers["Idempotent-Replayed"] == "true"
    _status, _headers, polled = call(f"{live_server.url}/api/v1/manifests/{created['id']}/")
    assert polled["state"] == "done" and polled["rows_valid"] == 2
    _status, _headers, report = call(f"{live_server.url}/api/v1/manifests/{created['id']}/report/")
    assert report["summary"]["valid"] == 2 and Upload.objects.count() == 1


def test_idempotency_keys_are_forgotten_after_a_day_by_the_hourly_task(forwarder_org):
    from api.tasks import idempotency_keys_expire_task

    now = timezone.now()
    IdempotencyKey.objects.create(organization=forwarder_org, key="old", fingerprint="x", created_at=now - timedelta(hours=25))
    IdempotencyKey.objects.create(organization=forwarder_org, key="new", fingerprint="x", created_at=now)
    assert idempotency_keys_expire_task.delay().get() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
