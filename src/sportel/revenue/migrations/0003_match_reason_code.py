"""A payment's match reason is kept as a code and its parameters (shown in the reader's
language), no longer as English text."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("revenue", "0002_ledger_triggers")]

    operations = [
        migrations.RemoveField(model_name="payment", name="match_reason"),
        migrations.AddField(
            model_name="payment",
            name="match_code",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="payment",
            name="match_params",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
