"""``sportel participation publish <municipality> <budget>``: count a closed vote and publish the
result with its ``.pb`` file; ``sportel participation recount <file.pb>``: recount a published
file with Sportel's engine (pabutools gives the same, see docs/participation.md)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from sportel.core.models import Municipality


class Command(BaseCommand):
    help = "Participatory budgets: publish the result of a closed vote, or recount a .pb file."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        publish = sub.add_parser("publish", help="count a closed vote and publish its result")
        publish.add_argument("municipality")
        publish.add_argument("budget")
        recount = sub.add_parser("recount", help="recount the ballots of a .pb file")
        recount.add_argument("file")

    def handle(self, *args, action: str, **options):
        if action == "recount":
            from sportel.participation.fair import equal_shares
            from sportel.participation.pabulib import read_pb, sha256

            try:
                text = Path(options["file"]).read_text(encoding="utf-8")
                meta, election = read_pb(text)
            except (OSError, ValueError, KeyError) as exc:
                raise CommandError(f"cannot read {options['file']}: {exc}") from exc
            result = equal_shares(election)
            self.stdout.write(f"sha256 {sha256(text)}")
            self.stdout.write(f"rule {meta.get('rule', '')}, {len(election.ballots)} ballots")
            self.stdout.write("winners " + ",".join(sorted(result.winners, key=_key)))
            return
        from sportel.participation import services
        from sportel.participation.models import Budget

        budget = Budget.objects.filter(
            municipality=Municipality.objects.filter(slug=options["municipality"]).first(),
            slug=options["budget"],
        ).first()
        if budget is None:
            raise CommandError("no such budget in that municipality")
        try:
            result = services.publish_result(budget, actor="cli")
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from exc
        self.stdout.write(f"{result.ballots} ballots, sha256 {result.pb_sha256}")
        self.stdout.write("winners " + ",".join(result.winners))


def _key(pid: str):
    return (0, int(pid), "") if pid.isdigit() else (1, 0, pid)
