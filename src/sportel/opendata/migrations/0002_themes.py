"""The DCAT-AP data themes, which CKAN clients read as groups."""

from django.db import migrations

CODES = ["AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "REGI", "SOCI",
         "TECH", "TRAN"]


def add(apps, schema_editor):
    Theme = apps.get_model("opendata", "Theme")
    for code in CODES:
        Theme.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("opendata", "0001_initial")]
    operations = [migrations.RunPython(add, migrations.RunPython.noop)]
