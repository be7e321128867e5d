"""The OpenAPI schema is generated from the code, and the portal serves its documentation itself (no CDN, no inline script)."""

import json
import re

import pytest
import yaml

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/v1/manifests/", "get"), ("/api/v1/manifests/", "post"), ("/api/v1/manifests/{id}/", "get"),
    ("/api/v1/manifests/{id}/report/", "get"), ("/api/v1/mawbs/", "get"), ("/api/v1/mawbs/{id}/", "get"),
    ("/api/v1/mawbs/collect/", "post"), ("/api/v1/mawbs/{id}/arrival/", "post"), ("/api/v1/mawbs/{id}/breakdown/", "post"),
    ("/api/v1/shipments/", "get"), ("/api/v1/shipments/{id}/", "get"), ("/api/v1/shipments/approve/", "post"),
    ("/api/v1/shipments/reject/", "post"), ("/api/v1/shipments/{id}/correct/", "post"), ("/api/v1/shipments/hand-off/", "post"),
}


@pytest.fixture
def schema(client):
    response = client.get("/api/v1/schema/?format=json", HTTP_HOST="localhost")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_is_public_and_lists_every_operation_with_the_bearer_key(schema):
    operations = {(path, method) for path, methods in schema["paths"].items() for method in methods}
    assert operations == OPERATIONS
    assert schema["components"]["securitySchemes"]["ApiKey"] == {**schema["components"]["securitySchemes"]["ApiKey"],
                                                                 "type": "http", "scheme": "bearer"}
    for methods in schema["paths"].values():
        for operation in methods.values():
            assert operation["security"] == [{"ApiKey": []}]
            assert {"400", "401", "403", "404", "429"} <= set(operation["responses"])


def test_the_upload_takes_a_file_or_json_rows_and_an_idempotency_key(schema):
    post = schema["paths"]["/api/v1/manifests/"]["post"]
    assert set(post["requestBody"]["content"]) == {"multipart/form-data", "application/json"}
    assert {"201", "202", "409", "413", "415", "422"} <= set(post["responses"])
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in post["parameters"])
    row = schema["components"]["schemas"]["ManifestRowRequest"]["properties"]
    assert {"mawb", "hawb", "consignee_zip", "value", "currency"} <= set(row)


def test_the_schema_is_also_yaml(client):
    response = client.get("/api/v1/schema/", HTTP_HOST="localhost")
    assert response.status_code == 200 and yaml.safe_load(response.content)["info"]["title"] == "Calista API"


@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/docs/redoc/"])
def test_the_docs_load_their_assets_from_the_portal_with_no_inline_script(client, path):
    response = client.get(path, HTTP_HOST="localhost")
    assert response.status_code == 200
    page = response.content.decode()
    assert not re.search(r"""(src|href)=["']https?://""", page)
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", page))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    for asset in re.findall(r"""(?:src|href)=["'](/[^"']+)["']""", page):
        if asset.startswith("/api/v1/docs/assets/"):
            served = client.get(asset, HTTP_HOST="localhost")
            assert served.status_code == 200 and int(served["Content-Length"]) > 10_000


def test_only_the_sidecars_ui_files_are_served(client):
    assert client.get("/api/v1/docs/assets/swagger-ui-dist/swagger-ui-bundle.js", HTTP_HOST="localhost").status_code == 200
    assert client.get("/api/v1/docs/assets/swagger-ui-dist/swagger-ui.css", HTTP_HOST="localhost")["Content-Type"] == "text/css"
    for name in ("../../settings.py", "swagger-ui-dist/LICENSE", "redoc/bundles/other.js"):
        assert client.get(f"/api/v1/docs/assets/{name}", HTTP_HOST="localhost").status_code == 404


def test_with_the_sidecar_among_the_apps_the_docs_use_its_static_files(client):
    page = client.get("/api/v1/docs/", HTTP_HOST="localhost").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200
