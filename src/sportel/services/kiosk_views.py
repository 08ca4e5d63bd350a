"""The kiosk's own handling of a resident's document: shown to print, or sent to them."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sportel.accounts.decorators import login_required_here

from . import kiosk, web_selectors
from .views import _own_case, document_response


@login_required_here
def document(request, municipality_slug: str, number: str):
    """The sealed PDF, opened in the kiosk's viewer to print: inline and never cached."""
    response = document_response(web_selectors.issued_document(_own_case(request, number)))
    response["Content-Disposition"] = "inline"
    response["Cache-Control"] = "no-store"
    return response


@login_required_here
@require_POST
def send_document(request, municipality_slug: str, number: str):
    case = _own_case(request, number)
    document = web_selectors.issued_document(case)
    if document is None or not document.pdf:
        # Nothing issued (yet): no "link to your document" for a case that has none.
        raise Http404(_("This case has no document yet."))
    sent_to = kiosk.send_document_link(case, user=request.user)
    if sent_to:
        messages.success(
            request,
            _("We have sent a link to your document to %(contact)s.") % {"contact": sent_to},
        )
    else:
        messages.error(request, _("Your account has no email address or phone number."))
    return redirect("kiosk:receipt", municipality_slug=municipality_slug, number=number)
