from django import forms
from django.contrib import auth
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request):
    auth.logout(request)
    return redirect("web:home")


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def after_login(request):
    """Staff go through the second factor; citizens go to their account."""
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if request.user.needs_second_factor and not request.user.is_verified():
        return redirect("accounts:otp")
    return redirect("web:home")


class OtpForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def otp_verify(request):
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_safe_next(request, "web:home"))
        form.add_error("token", _("This code is not valid. Enter the current code from your app."))
    return render(request, "accounts/otp.html", {"form": form})


def locked_out(request, credentials, *args, **kwargs):
    return render(request, "accounts/locked_out.html", status=429)
