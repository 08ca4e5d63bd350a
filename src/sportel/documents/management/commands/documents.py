from django.core.management.base import BaseCommand, CommandError

from sportel.core.models import Municipality


class Command(BaseCommand):
    help = (
        "Sealed documents. `sample <municipality> <out.pdf>` issues a SAMPLE through the whole "
        "pipeline and prints its code last; `publish-sth` signs the transparency log's tree head "
        "(run it periodically); `verify-log` recomputes the whole log and checks every tree head."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sample = sub.add_parser("sample", help="issue a SAMPLE document to check a seal")
        sample.add_argument("municipality")
        sample.add_argument("out", help="where to write the sealed PDF")
        sample.add_argument("--language", default="sq", choices=["sq", "en"])
        publish = sub.add_parser("publish-sth", help="sign and publish the current tree head")
        publish.add_argument("--force", action="store_true", help="even if the log did not grow")
        sub.add_parser("verify-log", help="recompute the log; check every node and tree head")
        clean = sub.add_parser(
            "clean-files", help="list (or --delete) stored PDFs that no registry row points to"
        )
        clean.add_argument("--delete", action="store_true")
        clean.add_argument("--older-than", type=int, default=3600, help="seconds (default 3600)")

    def handle(self, *args, action: str, **options):
        getattr(self, action.replace("-", "_"))(**options)

    def sample(self, municipality: str, out: str, language: str, **options):
        from sportel.documents.services import SealKeyError, issue_document

        found = Municipality.objects.filter(slug=municipality).first()
        if found is None:
            raise CommandError(f"No municipality with slug {municipality!r}.")
        try:
            document = issue_document(
                found,
                document_type="sample",
                title={"sq": "Dokument mostër", "en": "Sample document"},
                fields=[
                    (
                        "Qëllimi" if language == "sq" else "Purpose",
                        "Provë e vulës elektronike"
                        if language == "sq"
                        else "Test of the electronic seal",
                    ),
                    ("Shkronja shqipe" if language == "sq" else "Albanian letters", "ë Ë ç Ç"),
                ],
                language=language,
                body=(
                    "Ky dokument është mostër: nuk vërteton asgjë për askënd."
                    if language == "sq"
                    else "This document is a sample: it proves nothing about anyone."
                ),
                actor="sportel documents sample",
                sample=True,
            )
        except SealKeyError as exc:
            raise CommandError(str(exc)) from None
        with open(out, "wb") as fh:
            fh.write(document.pdf.read())
        self.stdout.write(f"sealed sample written to {out}")
        self.stdout.write(f"verify at {document.verify_url()}")
        self.stdout.write(document.code)

    def publish_sth(self, force: bool = False, **options):
        from sportel.documents import translog
        from sportel.documents.keys import SealKeyError

        try:
            sth = translog.publish_sth(force=force)
        except SealKeyError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"tree head: {sth.tree_size} entries, root {bytes(sth.root_hash).hex()}, "
            f"signed {sth.timestamp:%Y-%m-%d %H:%M:%S}"
        )

    def clean_files(self, delete: bool = False, older_than: int = 3600, **options):
        from sportel.documents.models import IssuedDocument
        from sportel.documents.services import orphan_files

        storage = IssuedDocument._meta.get_field("pdf").storage
        orphans = orphan_files(older_than_seconds=older_than)
        for path in orphans:
            if delete:
                storage.delete(path)
            self.stdout.write(f"{'deleted' if delete else 'orphan'}  {path}")
        self.stdout.write(f"{len(orphans)} stored PDF(s) without a registry row")

    def verify_log(self, **options):
        from sportel.documents import translog

        report = translog.verify_log()
        for problem in report.problems:
            self.stdout.write(f"BROKEN  {problem}")
        if not report.ok:
            raise CommandError(f"transparency log broken: {len(report.problems)} problem(s)")
        self.stdout.write(
            f"transparency log intact: {report.leaves} entries, "
            f"{report.tree_heads} signed tree heads verified"
        )
