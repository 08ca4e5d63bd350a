from django.http import HttpResponse
from django.urls import path


def constant(request):
    return HttpResponse(b'{"status": "ok"}', content_type="application/json")


urlpatterns = [path("", constant)]
