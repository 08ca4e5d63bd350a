from django.core.management.base import BaseCommand, CommandError

from sportel.core.models import Municipality
from sportel.documents import keys


class Command(BaseCommand):
    help = (
        "Seal keys. `sportel keys init <municipality>` creates a DEVELOPMENT CA and seal "
        "certificate (PKCS#12) under SPORTEL_DATA_DIR/keys/; `--rotate` replaces the seal, keeping "
        "the old one. `sportel keys show <municipality>` says which seal would be used."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        init = sub.add_parser("init", help="create a development seal (and the development CA)")
        init.add_argument("municipality", help="municipality slug, e.g. shkoder")
        init.add_argument("--rotate", action="store_true", help="replace an existing seal")
        show = sub.add_parser("show", help="where the seal comes from and its certificate")
        show.add_argument("municipality")

    def handle(self, *args, action: str, municipality: str, **options):
        found = Municipality.objects.filter(slug=municipality).first()
        if found is None:
            raise CommandError(f"No municipality with slug {municipality!r}.")
        if action == "init":
            try:
                path, created = keys.init_development_seal(
                    found.slug, found.name, rotate=options["rotate"]
                )
            except keys.SealKeyError as exc:
                raise CommandError(str(exc)) from None
            keys.log_private_key(create=True)
            if created:
                self.stdout.write(f"created DEVELOPMENT seal for {found.name}: {path}")
                self.stdout.write(
                    f"trusted development CA: {keys.keys_dir() / 'development-ca.pem'}"
                )
            else:
                self.stdout.write(f"{found.name} already has a seal: {path} (use --rotate)")
            return
        from sportel.documents.sealing import forget_signers, load_seal

        forget_signers()
        source = keys.seal_source(found.slug)
        self.stdout.write(
            f"PKCS#12: {source.path} ({'environment' if source.from_env else 'default'})"
        )
        try:
            seal = load_seal(found)
        except keys.SealKeyError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"subject: {seal.subject}")
        self.stdout.write(f"SHA-256: {seal.fingerprint}")
        self.stdout.write(f"valid until: {seal.not_after:%Y-%m-%d}")
        self.stdout.write(f"PAdES level: {'B-T (TSA configured)' if seal.timestamped else 'B-B'}")
