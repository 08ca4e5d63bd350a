"""Voting at a kiosk: ``/<municipality_slug>/participation/kiosk/<token>/...``.

The resident signs in on the floor's kiosk (personal number + a code sent by SMS to the phone
of the account whose number was verified, ``floor.kiosk_sign_in``); this module only offers the
open votes to that kiosk session and records the ballot with ``channel=kiosk`` through
``services.cast_ballot``, so one person still has one ballot whether they vote online, at a
kiosk or at the counter. The kiosk session ends on the server after
``SPORTEL_KIOSK_IDLE_SECONDS`` without a request, the page goes back to the kiosk's start
screen after the device's idle time (floor/kiosk.js), and *Finish* logs out at once.
"""

from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from sportel.accounts.middleware import kiosk_of

from . import selectors, services
from .models import Ballot, Channel, Phase


def kiosk_page(view):
    """The view needs the token of an active kiosk of the path's municipality that offers the
    residents' sign-in; pages are never cached (a shared screen)."""

    def wrapped(request, municipality_slug: str, token: str, *args, **kwargs):
        from sportel.floor.models import Device
        from sportel.floor.selectors import device_by_token

        device = device_by_token(request.municipality, token, kind=Device.Kind.KIOSK)
        if device is None or not device.office.is_active:
            raise Http404(_("There is no such device."))
        if device.revoked_at is not None:
            raise PermissionDenied(_("This device has been revoked."))
        if Device.Function.APPLY not in device.functions:
            raise Http404(_("This kiosk does not offer that."))
        response = view(request, device, token, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return never_cache(wrapped)


def _signed_in(request) -> bool:
    """A resident signed in on a kiosk of this municipality (not a web session)."""
    return request.user.is_authenticated and kiosk_of(request) == request.municipality.slug


def _to_sign_in(request, token: str):
    return redirect("floor:kiosk-sign-in", municipality_slug=request.municipality.slug, token=token)


def _context(device, **extra) -> dict:
    return {"device": device, "office": device.office, "kiosk": True, **extra}


@kiosk_page
def votes(request, device, token: str):
    """The votes open now in which the signed-in resident may vote."""
    if not _signed_in(request):
        return _to_sign_in(request, token)
    rows = []
    for budget in selectors.budgets_of(request.municipality):
        if budget.phase != Phase.VOTING:
            continue
        person = services.resident_person(budget, request.user)
        rows.append(
            {
                "budget": budget,
                "may_vote": person is not None,
                "voted": person is not None
                and Ballot.objects.filter(budget=budget, person=person).exists(),
            }
        )
    return render(request, "participation/kiosk/votes.html", _context(device, rows=rows))


@kiosk_page
def vote(request, device, token: str, slug: str):
    """Tick projects and cast (or change) the ballot; refusals are said on the page."""
    if not _signed_in(request):
        return _to_sign_in(request, token)
    budget = selectors.budget(request.municipality, slug)
    if budget.phase == Phase.DRAFT:
        raise Http404  # being prepared: the public does not see it yet
    person = services.resident_person(budget, request.user)
    ballot = Ballot.objects.filter(budget=budget, person=person).first() if person else None
    current = [str(p.pk) for p in ballot.projects.all()] if ballot else []
    chosen = request.POST.getlist("projects") if request.method == "POST" else current
    error, status = None, 200
    if request.method == "POST":
        try:
            services.cast_ballot(budget, voter=request.user, projects=chosen, channel=Channel.KIOSK)
        except (PermissionDenied, ValidationError) as refused:
            error = refused.messages[0] if isinstance(refused, ValidationError) else str(refused)
            status = 400
        else:
            return redirect(
                "participation:kiosk-voted",
                municipality_slug=request.municipality.slug,
                token=token,
                slug=budget.slug,
            )
    elif budget.phase != Phase.VOTING:
        error = _("This vote is not open now.")
    elif person is None:
        area = budget.unit.name if budget.unit else budget.municipality.name
        error = _("Only residents of %(area)s can vote in this budget.") % {"area": area}
    return render(
        request,
        "participation/kiosk/vote.html",
        _context(
            device,
            budget=budget,
            projects=selectors.ballot_projects(budget) if budget.phase == Phase.VOTING else [],
            may_vote=person is not None and budget.phase == Phase.VOTING,
            chosen=chosen,
            has_ballot=ballot is not None,
            error=error,
        ),
        status=status,
    )


@kiosk_page
def voted(request, device, token: str, slug: str):
    """The ballot is recorded: say so, and offer to finish (log out) or vote in another."""
    if not _signed_in(request):
        return _to_sign_in(request, token)
    budget = selectors.budget(request.municipality, slug)
    return render(request, "participation/kiosk/voted.html", _context(device, budget=budget))


@kiosk_page
@require_POST
def finish(request, device, token: str):
    """Log the resident out and go back to the kiosk's start screen for the next person."""
    logout(request)
    return redirect("floor:kiosk", municipality_slug=request.municipality.slug, token=token)
