from django.db import migrations

from sportel.core import rowcache

TABLES = ("services_servicetype", "services_servicetypeversion", "services_assignmentrule")


def install(apps, schema_editor):
    for table in TABLES:
        for sql in rowcache.watch_table_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(sql)


def uninstall(apps, schema_editor):
    for table in TABLES:
        for sql in rowcache.unwatch_table_sql(schema_editor.connection.vendor, table):
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_configgeneration"),
        ("services", "0007_caseevent_idempotency_key"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
