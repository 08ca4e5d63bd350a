import os

# Forced, not setdefault: the benchmark's environment names Sportel's settings.
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.floor.settings"

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
