from django.db import migrations, models

from sportel.core import rowcache


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in rowcache.install_generation(vendor) + rowcache.watch_table_sql(
        vendor, "core_municipality"
    ):
        schema_editor.execute(sql)


def uninstall(apps, schema_editor):
    for sql in rowcache.unwatch_table_sql(schema_editor.connection.vendor, "core_municipality"):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_notification_lease")]

    operations = [
        migrations.CreateModel(
            name="ConfigGeneration",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("n", models.BigIntegerField(default=0)),
            ],
            options={
                "verbose_name": "configuration generation",
                "verbose_name_plural": "configuration generations",
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
