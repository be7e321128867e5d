"""The frame of the project: vendored front-end, translations, docker-compose, no CDN."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_front_end_libraries_are_vendored_and_no_template_loads_from_a_cdn():
    for path in ["bootstrap/bootstrap.min.css", "bootstrap/bootstrap.bundle.min.js", "htmx/htmx.min.js", "chartjs/chart.umd.min.js"]:
        assert (ROOT / "static/vendor" / path).stat().st_size > 10_000
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"""(src|href)=["']https?://""", text), template


def test_no_template_has_an_inline_script():
    for template in (ROOT / "templates").rglob("*.html"):
        for tag in re.findall(r"<script[^>]*>", template.read_text()):
            assert "src=" in tag, f"inline script in {template}"


def test_the_chinese_catalog_is_compiled_and_up_to_date():
    po = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
    mo = ROOT / "locale/zh_Hans/LC_MESSAGES/django.mo"
    assert mo.exists(), "run make messages"
    import gettext

    catalog = gettext.GNUTranslations(mo.open("rb"))
    translated = re.findall(r'^(?:msgctxt "(.+)"\n)?msgid "(.+)"\nmsgstr "(.+)"', po.read_text(), re.M)
    assert len(translated) > 50
    for context, msgid, msgstr in translated:
        msgid, msgstr = msgid.replace('\\"', '"'), msgstr.replace('\\"', '"')
        assert (catalog.pgettext(context, msgid) if context else catalog.gettext(msgid)) == msgstr, msgid


def _entries(po_text: str):
    """(context, msgid, translated) of each live entry of a .po file (the header and obsolete entries left out)."""
    for block in po_text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid ") for line in lines):
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        fields, current = {}, None
        for line in lines:
            match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                current = match.group(1)
                fields[current] = match.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if fields.get("msgid"):
            strings = [v for k, v in fields.items() if k.startswith("msgstr")]
            yield fields.get("msgctxt"), fields["msgid"], bool(strings) and all(strings) and not fuzzy


def test_every_string_of_the_source_is_in_the_chinese_catalog_and_translated(tmp_path):
    """makemessages on a copy of the source: a new string nobody translated (or a fuzzy guess) fails here, not in front of a user."""
    import os
    import shutil
    import subprocess
    import sys

    if shutil.which("xgettext") is None and not os.environ.get("REQUIRE_SERVICES"):  # CI installs gettext and runs it
        pytest.skip("GNU gettext is not installed (apt-get install gettext)")
    ignored = shutil.ignore_patterns(".venv", "var", ".git", "node_modules", "test-artifacts", "__pycache__", "*.mo", "vendor")
    copy = tmp_path / "src"
    shutil.copytree(ROOT, copy, ignore=ignored)
    command = [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--ignore=var", "--ignore=static/vendor"]
    subprocess.run(command, cwd=copy, check=True, capture_output=True, env={**os.environ, "VAR_DIR": str(tmp_path / "var")})
    missing = [(context, msgid) for context, msgid, translated in
               _entries((copy / "locale/zh_Hans/LC_MESSAGES/django.po").read_text()) if not translated]
    assert not missing, f"run make messages and translate: {missing[:10]}"


@pytest.mark.django_db
def test_the_login_page_speaks_chinese_when_asked(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "登录" in response.content.decode()
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Log in to Calista" in response.content.decode()


def test_docker_compose_describes_the_production_shape():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis", "minio"} <= set(services)
    command = services["web"]["command"]
    assert "gunicorn" in (" ".join(command) if isinstance(command, list) else command)
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["CELERY_BROKER_URL"].startswith("redis://")
        assert environment["STORAGE_BACKEND"] == "s3"
        assert "postgres" in services[name]["depends_on"] and "redis" in services[name]["depends_on"]


def test_the_readme_documents_every_setting_and_both_commands():
    from calista.env import VARIABLES

    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    missing = [name for name in VARIABLES if f"`{name}`" not in readme]
    assert not missing, f"README's configuration table lacks {missing}"


@pytest.mark.django_db
def test_every_page_carries_a_strict_content_security_policy(client):
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


def test_no_template_has_an_inline_style_or_event_handler():
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"\sstyle=", text), f"inline style in {template}"
        assert not re.search(r"\son[a-z]+=", text), f"event handler attribute in {template}"


def test_the_deployment_check_is_clean_with_production_settings():
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"}  # set by the browser tests
    env = {**env, "DJANGO_SETTINGS_MODULE": "calista.settings", "DEBUG": "0", "HTTPS": "1",
           "SECRET_KEY": "a-long-random-production-secret-" + "x" * 40, "ALLOWED_HOSTS": "portal.example.com"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
