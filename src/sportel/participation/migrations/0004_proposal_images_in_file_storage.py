"""Proposal photos move from the database (``content``) to the project's file storage (``file``).

Each stored photo was checked and re-encoded when it was uploaded (core.uploads), so its bytes
are written as they are, under a random name with the extension of its type. Reversible: going
back reads each file into ``content`` again.
"""

import secrets

from django.core.files.base import ContentFile
from django.db import migrations, models

import sportel.participation.models

EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg"}


def to_storage(apps, schema_editor):
    ProposalImage = apps.get_model("participation", "ProposalImage")
    for image in ProposalImage.objects.select_related("proposal").order_by("pk").iterator(
        chunk_size=100
    ):
        if image.file or image.content is None:
            continue
        extension = EXTENSIONS.get(image.content_type, "bin")
        image.file.save(
            f"{secrets.token_hex(12)}.{extension}", ContentFile(bytes(image.content)), save=False
        )
        image.content = b""
        image.save(update_fields=["file", "content"])


def to_database(apps, schema_editor):
    ProposalImage = apps.get_model("participation", "ProposalImage")
    for image in ProposalImage.objects.order_by("pk").iterator(chunk_size=100):
        if not image.file:
            continue
        with image.file.open("rb") as stored:
            image.content = stored.read()
        image.save(update_fields=["content"])


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0003_milestones"),
    ]

    operations = [
        migrations.AddField(
            model_name="proposalimage",
            name="file",
            field=models.FileField(
                default="",
                max_length=200,
                upload_to=sportel.participation.models.proposal_image_path,
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="proposalimage",
            name="content",
            field=models.BinaryField(default=b""),
        ),
        migrations.RunPython(to_storage, to_database),
        migrations.RemoveField(model_name="proposalimage", name="content"),
    ]
