"""Identity pages: the resident's "verify my identity at the counter" code, and the clerk's page
that proves an account's personal number with the identity document in hand."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import identity, kin
from .decorators import staff_required
from .forms import IdentityCheckForm, KinForm, KinRevokeForm, KinSearchForm


@login_required
def identity_page(request):
    """How the account's identity stands, and how to prove it (eID, or a code for the counter)."""
    return render(
        request,
        "accounts/identity.html",
        {
            "account": request.user,
            "level": identity.level_of(request.user),
            "verification": identity.latest_verification(request.user),
            "relationships": kin.relationships_of(request.user),
            "code": request.session.pop("accounts_identity_code", None),
        },
    )


@login_required
@require_POST
def identity_code(request):
    """A new one-time code to read out at the counter (shown once, on the next page)."""
    request.session["accounts_identity_code"] = identity.new_counter_code(request.user)
    return redirect("accounts:identity")


@staff_required("people.verify")
def verify_identity(request, municipality_slug: str):
    """The clerk proves a resident's account: code from the resident, NID from the document."""
    form = IdentityCheckForm(request.POST or None)
    warning = None
    differs = bool(request.POST.get("correct_identity"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            verification = identity.verify_at_counter(
                request.municipality,
                clerk=request.user,
                code=data["code"],
                nid=data["nid"],
                document=data["document"],
                document_seen=data["document_seen"],
                override_check=data["override_check"],
                correction_reason=(data["correction_reason"] if data["correct_identity"] else ""),
            )
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                for err in errors:
                    if err.code == "check_letter":
                        warning = err.messages[0]
                    else:
                        differs = differs or err.code == "nid_differs"
                        form.add_error(field if field in form.fields else None, err.messages)
        else:
            messages.success(
                request,
                _("The identity of %(name)s is verified with personal number %(nid)s.")
                % {
                    "name": verification.user.full_name or verification.user.username,
                    "nid": verification.nid,
                },
            )
            return redirect("staff:verify-identity", municipality_slug=municipality_slug)
    return render(
        request,
        "accounts/verify_identity.html",
        {"form": form, "warning": warning, "differs": differs},
    )


def _service_errors(form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, errors in error.error_dict.items():
        for err in errors:
            form.add_error(field if field in form.fields else None, err.messages)


@staff_required("people.verify")
def record_kin(request, municipality_slug: str):
    """The clerk records a parent's or guardian's relationship to a minor, from the birth
    certificate or the court decision in hand; finds the relationships of one person by their
    number (posted, so the number stays out of addresses and history; each search that shows
    someone is recorded as a read of their data); or revokes one recorded here."""
    posted = request.method == "POST"
    revoking = posted and "revoke" in request.POST
    searching = posted and "find" in request.POST
    search_form = KinSearchForm(request.POST if searching else None)
    found = None
    if searching and search_form.is_valid():
        try:
            found = kin.find_relationships(
                request.municipality, clerk=request.user, nid=search_form.cleaned_data["nid"]
            )
        except ValidationError as error:
            _service_errors(search_form, error)
    form = KinForm(request.POST if posted and not (revoking or searching) else None)
    revoke_form = KinRevokeForm(request.POST if revoking else None)
    if revoking and revoke_form.is_valid():
        try:
            kin.revoke_relationship(
                request.municipality,
                clerk=request.user,
                relationship_id=revoke_form.cleaned_data["relationship"],
                reason=revoke_form.cleaned_data["reason"],
            )
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        else:
            messages.success(request, _("The relationship is revoked."))
        return redirect("staff:record-kin", municipality_slug=municipality_slug)
    if revoking:
        messages.error(request, _("Say why the relationship is revoked."))
        return redirect("staff:record-kin", municipality_slug=municipality_slug)
    if posted and not searching and form.is_valid():
        data = form.cleaned_data
        try:
            relationship = kin.record_relationship(
                request.municipality,
                clerk=request.user,
                parent_nid=data["parent_nid"],
                child_nid=data["child_nid"],
                child_first_name=data["child_first_name"],
                child_last_name=data["child_last_name"],
                child_birth_date=data["child_birth_date"],
                kind=data["kind"],
                document=data["document"],
                document_number=data["document_number"],
                document_seen=data["document_seen"],
            )
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            _service_errors(form, error)
        else:
            child = relationship.child
            messages.success(
                request,
                _("Recorded: %(parent)s is the %(kind)s of %(child)s.")
                % {
                    "parent": relationship.user.full_name or relationship.parent_nid,
                    "kind": relationship.get_kind_display().lower(),
                    "child": f"{child.first_name} {child.last_name}",
                },
            )
            return redirect("staff:record-kin", municipality_slug=municipality_slug)
    return render(
        request,
        "accounts/record_kin.html",
        {"form": form, "search_form": search_form, "found": found},
    )
