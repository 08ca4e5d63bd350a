"""Identity pages: the resident's "verify my identity at the counter" code, and the clerk's page
that proves an account's personal number with the identity document in hand."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import identity
from .decorators import staff_required
from .forms import IdentityCheckForm


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
            )
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            for field, errors in error.error_dict.items():
                for err in errors:
                    if err.code == "check_letter":
                        warning = err.messages[0]
                    else:
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
    return render(request, "accounts/verify_identity.html", {"form": form, "warning": warning})
