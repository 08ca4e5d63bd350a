"""Staff pages: a clerk records a resident's ballot at the counter (identity document seen)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sportel.accounts.decorators import staff_required
from sportel.core.identifiers import check_identifier
from sportel.core.models import Person

from . import selectors, services
from .models import Channel


class CounterBallotForm(forms.Form):
    nid = forms.CharField(
        label=gettext_lazy("Resident's personal number (NID)"),
        max_length=10,
        help_text=gettext_lazy("As printed on the identity document you have in front of you."),
    )
    document_seen = forms.BooleanField(
        label=gettext_lazy("I have seen the resident's identity document"),
    )


@staff_required("participation.counter")
def counter_vote(request, municipality_slug: str, slug: str):
    budget = selectors.budget(request.municipality, slug)
    form = CounterBallotForm(request.POST or None)
    chosen = request.POST.getlist("projects") if request.method == "POST" else []
    error = None
    if request.method == "POST" and form.is_valid():
        checked = check_identifier(form.cleaned_data["nid"])
        person = Person.objects.filter(municipality=request.municipality, nid=checked.value).first()
        if checked.error:
            form.add_error("nid", checked.error)
        elif person is None:
            form.add_error(
                "nid", _("No resident with this personal number is in the municipality's register.")
            )
        else:
            try:
                services.cast_ballot(
                    budget,
                    person=person,
                    projects=chosen,
                    channel=Channel.COUNTER,
                    clerk=request.user,
                )
            except ValidationError as refused:
                error = refused.messages[0]
            else:
                messages.success(request, _("The ballot is recorded."))
                return redirect(
                    "participation-staff:counter-vote",
                    municipality_slug=request.municipality.slug,
                    slug=budget.slug,
                )
    return render(
        request,
        "participation/staff/counter_vote.html",
        {
            "municipality": request.municipality,
            "budget": budget,
            "phase": budget.phase,
            "form": form,
            "projects": selectors.ballot_projects(budget),
            "chosen": chosen,
            "error": error,
        },
    )
