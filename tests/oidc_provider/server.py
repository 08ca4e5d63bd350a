"""Run the test OIDC provider: migrate its SQLite file, register Sportel as a client and the
citizen as a user, then serve on 127.0.0.1:<port> until killed. Prints READY when listening.

    python -m tests.oidc_provider.server <port>
"""

import json
import os
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # keep the test output readable
        pass


def main() -> None:
    port = int(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0)
    citizen = json.loads(os.environ["OIDC_PROVIDER_CITIZEN"])
    user_model = get_user_model()
    if not user_model.objects.filter(username=citizen["username"]).exists():
        user_model.objects.create_user(
            citizen["username"], email=citizen["email"], password=citizen["password"]
        )
    client = json.loads(os.environ["OIDC_PROVIDER_CLIENT"])
    Application.objects.update_or_create(
        client_id=client["client_id"],
        defaults={
            "name": "Sportel",
            "client_secret": client["client_secret"],
            "client_type": Application.CLIENT_CONFIDENTIAL,
            "authorization_grant_type": Application.GRANT_AUTHORIZATION_CODE,
            "redirect_uris": client["redirect_uri"],  # several: space-separated
            "post_logout_redirect_uris": client.get("post_logout_redirect_uri", ""),
            "algorithm": Application.RS256_ALGORITHM,
            "skip_authorization": True,
        },
    )
    httpd = make_server(
        "127.0.0.1", port, WSGIHandler(), server_class=WSGIServer, handler_class=QuietHandler
    )
    print("READY", flush=True)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
