"""Start and stop the test OIDC provider (tests/oidc_provider/server.py) as a real server in a
subprocess, for tests that need it running, stopped and running again on the same address."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Provider:
    """The provider on a fixed loopback port with one SQLite file and one signing key, so that a
    stop and a start keep its clients, users and keys (its sessions live in the file too)."""

    def __init__(self, directory: Path, *, citizen: dict, client: dict):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = directory / "provider.sqlite3"
        self.mode_file = directory / "mode"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
            "PYTHONPATH": str(ROOT),
            "OIDC_PROVIDER_DB": str(self.db),
            "OIDC_PROVIDER_MODE_FILE": str(self.mode_file),
            "OIDC_PROVIDER_RSA_KEY": key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ).decode(),
            "OIDC_PROVIDER_CITIZEN": json.dumps(citizen),
            "OIDC_PROVIDER_CLIENT": json.dumps(client),
        }
        self.process = None

    def set_mode(self, mode: str) -> None:
        """``strict`` (default), ``lax`` (ignores prompt and max_age), ``no_auth_time``."""
        self.mode_file.write_text(mode)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider.server", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the OIDC provider did not start:\n{self.process.stdout.read()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the OIDC provider did not listen within 60 s") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def settings(self, client: dict) -> dict:
        """Sportel's settings for this provider (as an operator would set them)."""
        return {
            "OIDC_RP_CLIENT_ID": client["client_id"],
            "OIDC_RP_CLIENT_SECRET": client["client_secret"],
            "OIDC_RP_SIGN_ALGO": "RS256",
            "OIDC_RP_SCOPES": "openid profile email",
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.url}/o/authorize/",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.url}/o/token/",
            "OIDC_OP_USER_ENDPOINT": f"{self.url}/o/userinfo/",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.url}/o/.well-known/jwks.json",
            "OIDC_OP_DISCOVERY_ENDPOINT": f"{self.url}/o/.well-known/openid-configuration",
            "OIDC_NID_CLAIM": "nid",
            "OIDC_USE_PKCE": True,
            "OIDC_TIMEOUT": 10,
            "SPORTEL_KIOSK_EID_LOGOUT_TIMEOUT": 2,
        }
