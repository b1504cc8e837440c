"""Production settings pass Django's deploy check; the API docs work offline."""
import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("STORYCORE_HTTPS", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"))}
    environment.update({"DJANGO_SETTINGS_MODULE": "storycore.settings", **env})
    return subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=environment,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING",
                    SECRET_KEY="k" * 20 + "production-like-secret-0123456789-abcdefghijk")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_refuses_to_start_without_a_secret_key_in_production():
    result = manage("check", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_malformed_setting_names_the_variable():
    result = manage("check", SECRET_KEY="x" * 50, STORYCORE_JOB_TIMEOUT="ten")
    assert result.returncode != 0
    assert "STORYCORE_JOB_TIMEOUT must be an integer" in result.stderr


def test_the_schema_is_valid_and_complete(db, anon_client):
    result = manage("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull,
                    SECRET_KEY="x" * 50, DJANGO_SETTINGS_MODULE="tests.settings")  # fmt: skip
    assert result.returncode == 0, result.stderr

    schema = anon_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in ["/api/automation/jobs/", "/api/automation/jobs/{job_id}", "/api/automation/jobs/retry-queue",
                 "/api/automation/jobs/retry-queue/process", "/api/automation/health"]:  # fmt: skip
        assert any(p.rstrip("/") == path.rstrip("/") for p in paths), path


def test_swagger_and_redoc_are_served_without_a_cdn(db, anon_client):
    for url in ["/docs", "/redoc"]:
        page = anon_client.get(url).content.decode()
        assert "/static/drf_spectacular_sidecar/" in page
        for cdn in ["cdn.jsdelivr.net", "unpkg.com", "cdnjs"]:
            assert cdn not in page
    assert anon_client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js").status_code == 200
