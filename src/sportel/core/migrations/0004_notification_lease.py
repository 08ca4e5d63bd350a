import uuid

from django.db import migrations, models


def give_each_row_its_own_reference(apps, schema_editor):
    Notification = apps.get_model("core", "Notification")
    for pk in Notification.objects.filter(reference__isnull=True).values_list("pk", flat=True):
        Notification.objects.filter(pk=pk).update(reference=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("core", "0003_notification_sensitive")]

    operations = [
        migrations.AlterField(
            model_name="notification",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "queued"),
                    ("sending", "sending"),
                    ("sent", "sent"),
                    ("failed", "failed"),
                ],
                default="queued",
                max_length=7,
                verbose_name="status",
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="reference",
            field=models.UUIDField(editable=False, null=True, verbose_name="reference"),
        ),
        migrations.RunPython(give_each_row_its_own_reference, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="notification",
            name="reference",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, unique=True, verbose_name="reference"
            ),
        ),
        migrations.AddField(
            model_name="notification",
            name="lease",
            field=models.UUIDField(blank=True, editable=False, null=True, verbose_name="lease"),
        ),
        migrations.AddField(
            model_name="notification",
            name="leased_until",
            field=models.DateTimeField(blank=True, null=True, verbose_name="leased until"),
        ),
    ]
