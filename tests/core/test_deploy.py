"""Production mode: `sportel check --deploy` is clean with real settings, and start-up refuses
a missing or development secret key with a message that says what to do."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.core.test_tasks import REPO

SPORTEL = str(Path(sys.executable).parent / "sportel")


def sportel(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    # A deployment has none of the test run's settings (the browser tests allow async-unsafe
    # database access in their own process, which a deployment must not).
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SPORTEL_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    return subprocess.run(
        [SPORTEL, *args],
        env={
            **clean,
            "SPORTEL_DATA_DIR": str(tmp_path),
            "PYTHONPATH": str(REPO / "src"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production(key: str | None, hosts: str = "sportel.shkoder.gov.al") -> dict[str, str]:
    env = {
        "SPORTEL_ENV": "production",
        "SPORTEL_ALLOWED_HOSTS": hosts,
        "SPORTEL_SOURCE_URL": "https://code.example.al/sportel",
    }
    if key is not None:
        env["SPORTEL_SECRET_KEY"] = key
    return env


def test_generate_secret_key_works_before_production_has_a_key(tmp_path):
    first = sportel("generate-secret-key", tmp_path=tmp_path, **production(None))
    second = sportel("generate-secret-key", tmp_path=tmp_path, **production(None))
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) == 64 and key != second.stdout.strip()
    assert key.replace("-", "").replace("_", "").isalnum()  # safe unquoted in env files


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    key = sportel("generate-secret-key", tmp_path=tmp_path).stdout.strip()
    result = sportel(
        "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **production(key)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_the_source_code_link_is_missing(tmp_path):
    """The AGPL asks a deployment to offer its source; until the operator sets where, the deploy
    check says so (and the footer has no link)."""
    key = sportel("generate-secret-key", tmp_path=tmp_path).stdout.strip()
    env = {**production(key), "SPORTEL_SOURCE_URL": ""}
    result = sportel("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **env)
    assert result.returncode != 0
    assert "sportel.W001" in result.stdout + result.stderr
    assert "SPORTEL_SOURCE_URL is not set" in result.stdout + result.stderr


def test_check_deploy_is_clean_when_the_proxy_does_the_https_redirect(tmp_path):
    """The operator guide allows SPORTEL_SSL_REDIRECT=off behind its TLS proxy; the check agrees,
    and everything else it asks for (HSTS, secure cookies) is still checked and still on."""
    key = sportel("generate-secret-key", tmp_path=tmp_path).stdout.strip()
    env = {**production(key), "SPORTEL_SSL_REDIRECT": "off"}
    result = sportel("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, **env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (1 silenced)" in result.stdout
    shown = sportel(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.SECURE_PROXY_SSL_HEADER)",
        tmp_path=tmp_path,
        **env,
    )
    assert shown.stdout.strip().splitlines()[-1] == (
        "False 31536000 True ('HTTP_X_FORWARDED_PROTO', 'https')"
    ), shown.stderr
    # Without a header saying so, nothing else is silenced: a weak HSTS still warns.
    weak = sportel(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        **env,
        SPORTEL_HSTS_SECONDS="0",
    )
    assert weak.returncode != 0 and "security.W004" in weak.stdout + weak.stderr


@pytest.mark.parametrize(
    "key",
    [None, "", "sportel-development-secret-key-not-for-production", "short-key"],
    ids=["missing", "empty", "development", "too-short"],
)
def test_production_refuses_to_start_without_a_real_secret(tmp_path, key):
    result = sportel("check", tmp_path=tmp_path, **production(key))
    assert result.returncode != 0
    assert (
        "SPORTEL_SECRET_KEY must be set to a random value of at least 50 characters in "
        "production (generate one with: sportel generate-secret-key)."
    ) in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path):
    key = sportel("generate-secret-key", tmp_path=tmp_path).stdout.strip()
    result = sportel("check", tmp_path=tmp_path, **production(key, hosts=""))
    assert result.returncode != 0
    assert "SPORTEL_ALLOWED_HOSTS must list the site's host names." in result.stderr


def test_sportel_serve_takes_bind_workers_and_threads_from_the_environment(tmp_path):
    result = sportel(
        "serve",
        "--dry-run",
        tmp_path=tmp_path,
        SPORTEL_BIND="0.0.0.0:8080",
        SPORTEL_WORKERS="3",
        SPORTEL_THREADS="8",
        SPORTEL_TIMEOUT="20",
    )
    assert result.returncode == 0, result.stderr
    command, multiproc = result.stdout.splitlines()
    for expected in (
        "-m gunicorn",
        "--bind 0.0.0.0:8080",
        "--workers 3",
        "--threads 8",
        "--worker-class gthread",
        "--timeout 20",
        "sportel.wsgi:application",
    ):
        assert expected in command
    assert multiproc == f"PROMETHEUS_MULTIPROC_DIR={tmp_path}/prometheus/0_0_0_0_8080"
    explicit = sportel("serve", "--dry-run", "--bind", "127.0.0.1:9000", tmp_path=tmp_path)
    assert "--bind 127.0.0.1:9000" in explicit.stdout
