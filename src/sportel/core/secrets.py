"""Secret keys for SPORTEL_SECRET_KEY. Importable without Django settings: ``sportel
generate-secret-key`` must work before production has a key, since it refuses to start without."""

import secrets
import string

# Letters, digits, - and _: safe unquoted in shells, systemd EnvironmentFile and .env files.
ALPHABET = string.ascii_letters + string.digits + "-_"


def new_secret_key(length: int = 64) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))
