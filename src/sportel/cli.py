"""``sportel``: django-admin with Sportel's settings. ``sportel help`` lists every command."""

import os
import sys


def main() -> None:
    if sys.argv[1:2] == ["generate-secret-key"]:
        # Before settings load: production refuses to start until it has the key this prints.
        from sportel.core.secrets import new_secret_key

        print(new_secret_key())
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sportel.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line([sys.argv[0], *sys.argv[1:]])


if __name__ == "__main__":
    main()
