"""A first `sportel demo` compiles the catalogues and serves from the same process: the pages must
be Albanian from the first request, not from the second run on."""

import shutil
import subprocess
import sys
from pathlib import Path

import sportel

SCRIPT = """
import django
from django.core.management import call_command
from django.utils import translation

django.setup()
translation.activate("sq")
before = translation.gettext("Municipal services in one place")
call_command("compile-messages", verbosity=0)
translation.activate("sq")
print(before)
print(translation.gettext("Municipal services in one place"))
"""


def test_catalogues_compiled_in_a_running_process_take_effect_at_once(tmp_path):
    package = tmp_path / "src" / "sportel"
    shutil.copytree(
        Path(sportel.__file__).parent, package, ignore=shutil.ignore_patterns("*.mo", "__pycache__")
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=tmp_path,
        env={
            "PYTHONPATH": str(tmp_path / "src"),
            "DJANGO_SETTINGS_MODULE": "sportel.settings",
            "SPORTEL_DATA_DIR": str(tmp_path / "var"),
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    before, after = result.stdout.strip().splitlines()[-2:]
    assert before == "Municipal services in one place"  # no .mo yet: the source text
    assert after == "Shërbimet e bashkisë në një vend"
