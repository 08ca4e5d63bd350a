"""Account pages: sign-up and confirmation, login and 2FA, profile, NID, password, data accesses,
and the staff home. Thin: parse, call a service or selector, render."""

import base64
import contextlib
from dataclasses import asdict
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, ngettext, override
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token

from . import kin, permissions, selectors, services, throttle
from .decorators import staff_required
from .forms import (
    KioskLoginForm,
    LoginForm,
    NidForm,
    OtpForm,
    PhoneCodeForm,
    ProfileForm,
    ResendForm,
    SignUpForm,
    UnlockCodeForm,
)
from .links import municipalities_of
from .middleware import start_kiosk_session
from .normalize import login_identifier
from .staff import links_for

PENDING_LOGIN = "accounts_pending_login"


def oidc_enabled() -> bool:
    return "sportel.accounts.oidc.EIDBackend" in settings.AUTHENTICATION_BACKENDS


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_initial(self):
        return {"username": self.request.GET.get("login", "")}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        context["unconfirmed"] = any(
            error.code == "unconfirmed" for error in form.errors.as_data().get("__all__", [])
        )
        context["oidc_enabled"] = oidc_enabled()
        return context


class KioskLoginView(LoginView):
    """Log in at a kiosk: no sign-up or eID links, back into the kiosk flow afterwards, and a
    session that ends when the screen is left idle.

    This kiosk is a web page, not a registered device: Sportel cannot tell one screen from
    another, so it could not end the resident's session at the eID provider when they walk away
    (the next person would find it open there). The managed kiosk of the floor module is a
    device with its own token and offers the eID safely: a fresh login forced at the provider,
    the callback bound to the device and browser, and the provider's session ended with the
    kiosk session (``sportel.floor.kiosk_eid``)."""

    template_name = "accounts/kiosk_login.html"
    authentication_form = KioskLoginForm
    redirect_authenticated_user = False

    def form_valid(self, form):
        response = super().form_valid(form)
        start_kiosk_session(self.request, self.kwargs["municipality_slug"])
        return response

    def get_default_redirect_url(self):
        return reverse(
            "kiosk:catalogue", kwargs={"municipality_slug": self.kwargs["municipality_slug"]}
        )

    def get_redirect_url(self):
        # Only back into this municipality's kiosk: a kiosk session has no business elsewhere.
        target = super().get_redirect_url()
        kiosk_root = self.get_default_redirect_url()
        return target if target.startswith(kiosk_root) else ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["kiosk"] = True
        return context


@require_POST
def logout_view(request):
    auth.logout(request)
    return redirect("web:home")


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def page_language() -> str:
    """The language of the page being served (from its ``/en/`` prefix, or the default)."""
    return (get_language() or settings.LANGUAGE_CODE)[:2]


def _in_language(language: str, url_name: str, **kwargs) -> str:
    with override(language):
        return reverse(url_name, kwargs=kwargs or None)


def _with_language_cookie(response, language: str):
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", secure=settings.PRODUCTION
    )
    return response


def after_login(request):
    """Staff pass the second factor, then land on their municipality's staff home (the first
    by name when they serve several); citizens land on their account page. A language chosen in
    the address (``/en/...``) stays English through login, whatever the account's preference;
    from a page in the default language, the account's preferred language takes over."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    language = page_language()
    if language == settings.LANGUAGE_CODE and user.language:
        language = user.language
    if permissions.needs_second_factor(user):
        target = _in_language(language, "accounts:otp")
    else:
        municipality = selectors.staff_municipalities(user).order_by("name").first()
        if municipality is not None:
            target = _in_language(language, "staff:home", municipality_slug=municipality.slug)
        elif user.is_platform_operator:
            target = reverse("admin:index")
        else:
            target = _in_language(language, "accounts:account")
    return _with_language_cookie(HttpResponseRedirect(target), language)


def _qr_data_uri(text: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def otp_verify(request):
    """The second factor: enrolment (QR code) when there is no confirmed device, else a code."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if not permissions.needs_second_factor(user):
        return redirect(_safe_next(request, reverse("accounts:after-login")))
    enrolling = not user.totpdevice_set.filter(confirmed=True).exists()
    device = services.enrolment_device(user) if enrolling else None
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"].strip()
        wait = _second_factor_wait(user, device)
        if wait:
            form.add_error("token", _wait_message(wait))
        else:
            if enrolling:
                verified = device if services.confirm_enrolment(user, device, token) else None
            else:
                verified = match_token(user, token)
            if verified is not None:
                otp_login(request, verified)
                return redirect(_safe_next(request, reverse("accounts:after-login")))
            message = _("This code is not valid. Enter the current code from your app.")
            wait = _second_factor_wait(user, device)
            if wait:
                message = f"{message} {_wait_message(wait)}"
            form.add_error("token", message)
    context = {"form": form, "enrolling": enrolling, "next": _safe_next(request, "")}
    if enrolling:
        context["qr_code"] = _qr_data_uri(device.config_url)
        context["secret"] = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(request, "accounts/otp.html", context)


def _second_factor_wait(user, device=None) -> int:
    """Seconds before django-otp accepts another code (it waits longer after each wrong one)."""
    from django.utils import timezone

    devices = [device] if device is not None else list(user.totpdevice_set.filter(confirmed=True))
    waits = []
    for candidate in devices:
        allowed, data = candidate.verify_is_allowed()
        if allowed:
            return 0
        until = (data or {}).get("locked_until")
        waits.append(max(1, int((until - timezone.now()).total_seconds() + 0.999)) if until else 1)
    return min(waits) if waits else 0


def _wait_message(seconds: int) -> str:
    return ngettext(
        "Wait %(seconds)d second before trying again.",
        "Wait %(seconds)d seconds before trying again.",
        seconds,
    ) % {"seconds": seconds}


def locked_out(request, credentials=None, *args, **kwargs):
    """The 429 page after too many failures, with the owner's way back in (a code)."""
    from .normalize import axes_username

    login = axes_username(request, credentials)
    return render(
        request,
        "accounts/locked_out.html",
        {"form": ResendForm(initial={"login": login}), "minutes": _cooloff_minutes()},
        status=429,
    )


def _cooloff_minutes() -> int:
    return max(1, round(float(settings.AXES_COOLOFF_TIME) * 60))


UNLOCK_CHALLENGE = "accounts_unlock_challenge"


def unlock(request):
    """Locked out? A code to the account's email or phone clears the lock for its owner."""
    form = ResendForm(request.POST or None, initial={"login": request.GET.get("login", "")})
    if request.method == "POST" and form.is_valid():
        login = login_identifier(form.cleaned_data["login"])
        try:
            challenge = services.send_unlock_code(login)
        except services.RateLimited:
            form.add_error(
                "login",
                _("We have already sent 3 codes in the last hour. Use the last one, or try later."),
            )
        else:
            request.session[UNLOCK_CHALLENGE] = asdict(challenge)
            return redirect("accounts:unlock-code")
    return render(request, "accounts/unlock.html", {"form": form})


def unlock_code(request):
    data = request.session.get(UNLOCK_CHALLENGE)
    if not data:
        return redirect("accounts:unlock")
    challenge = services.UnlockChallenge(**data)
    form = UnlockCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.check_unlock_code(challenge, form.cleaned_data["code"])
        except services.ConfirmationError as error:
            challenge.attempts += 1
            request.session[UNLOCK_CHALLENGE] = asdict(challenge)
            form.add_error("code", str(error))
        else:
            request.session.pop(UNLOCK_CHALLENGE, None)
            throttle.grant_unlock(request.session, challenge.login)
            messages.success(
                request, _("Your account is unlocked on this device. Log in with your password.")
            )
            login_url = reverse("accounts:login")
            return redirect(f"{login_url}?{urlencode({'login': challenge.login})}")
    return render(request, "accounts/unlock_code.html", {"form": form, "login": challenge.login})


# --- Sign-up and confirmation ---------------------------------------------------------------


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:account")
    form = SignUpForm(request.POST or None, initial={"language": request.LANGUAGE_CODE or "sq"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.sign_up(
                contact=data["contact"],
                password=data["password1"],
                full_name=data["full_name"],
                language=data["language"],
                base_url=_base_url(request),
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            request.session[PENDING_LOGIN] = user.username
            return redirect("accounts:signup-sent")
    return render(request, "accounts/signup.html", {"form": form})


def signup_sent(request):
    login = request.session.get(PENDING_LOGIN, "")
    if login.startswith("+"):
        return redirect("accounts:confirm-phone")
    return render(request, "accounts/signup_sent.html", {"login": login})


def confirm_email(request, token: str):
    try:
        services.confirm_email(token)
    except services.ConfirmationError as error:
        return render(
            request,
            "accounts/confirm_failed.html",
            {"message": str(error), "form": ResendForm()},
            status=400,
        )
    request.session.pop(PENDING_LOGIN, None)
    return render(request, "accounts/confirmed.html")


def confirm_phone(request):
    form = PhoneCodeForm(
        request.POST or None, initial={"login": request.session.get(PENDING_LOGIN, "")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.confirm_phone(login=form.cleaned_data["login"], code=form.cleaned_data["code"])
        except services.ConfirmationError as error:
            form.add_error("code", str(error))
        else:
            request.session.pop(PENDING_LOGIN, None)
            return render(request, "accounts/confirmed.html")
    return render(request, "accounts/confirm_phone.html", {"form": form})


def resend(request):
    form = ResendForm(request.POST or None, initial={"login": request.GET.get("login", "")})
    if request.method == "POST" and form.is_valid():
        login = login_identifier(form.cleaned_data["login"])
        # Rate limited or not, the same answer: the page must not tell whether the account exists.
        with contextlib.suppress(services.RateLimited):
            services.resend_confirmation(login, base_url=_base_url(request))
        request.session[PENDING_LOGIN] = login
        messages.info(
            request,
            _(
                "If an unconfirmed account uses this email or phone number, we have sent a new "
                "link or code. You can ask for a new one up to 3 times an hour."
            ),
        )
        if login.startswith("+"):
            return redirect("accounts:confirm-phone")
        return redirect("accounts:signup-sent")
    return render(request, "accounts/resend.html", {"form": form})


# --- Account pages --------------------------------------------------------------------------


@login_required
def account(request):
    user = request.user
    staff = list(selectors.staff_municipalities(user).order_by("name"))
    return render(
        request,
        "accounts/account.html",
        {
            "account": user,
            "staff_municipalities": staff,
            "municipalities": municipalities_of(user),
            "relationships": kin.relationships_of(user),
        },
    )


@login_required
def profile(request):
    user = request.user
    login_is_phone = services.is_phone_login(user)
    initial = {
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "language": user.language,
    }
    form = ProfileForm(request.POST or None, initial=initial, login_is_phone=login_is_phone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_profile(
                user,
                full_name=data["full_name"],
                language=data["language"],
                email=data.get("email", user.email) or "",
                phone=data.get("phone", user.phone) or "",
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            with override(user.language):
                messages.success(request, _("Your details are saved."))
            target = _in_language(user.language, "accounts:account")
            return _with_language_cookie(HttpResponseRedirect(target), user.language)
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def link_nid(request):
    user = request.user
    form = NidForm(request.POST or None, initial={"nid": user.nid})
    warning = None
    if request.method == "POST" and form.is_valid():
        try:
            services.link_nid(
                user,
                form.cleaned_data["nid"],
                accept_check_letter=form.cleaned_data["accept_check_letter"],
            )
        except ValidationError as error:
            for err in error.error_dict.get("nid", []):
                if err.code == "check_letter":
                    warning = err.messages[0]
                else:
                    form.add_error("nid", err.messages)
        else:
            messages.success(request, _("Your personal number is linked to your account."))
            return redirect("accounts:account")
    return render(request, "accounts/nid.html", {"form": form, "warning": warning})


@login_required
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.change_password(request.user, new_password=form.cleaned_data["new_password1"])
        auth.update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password is changed."))
        return redirect("accounts:account")
    return render(request, "accounts/password.html", {"form": form})


@login_required
def accesses(request):
    return render(
        request,
        "accounts/accesses.html",
        {"entries": selectors.data_accesses(request.user)},
    )


@staff_required("staff.home")
def staff_home(request, municipality_slug: str):
    return render(
        request,
        "accounts/staff_home.html",
        {
            "roles": selectors.role_labels(request.staff_roles),
            "links": links_for(request.user, request.municipality),
            "other_municipalities": selectors.staff_municipalities(request.user)
            .exclude(pk=request.municipality.pk)
            .order_by("name"),
        },
    )
