"""Public verification and transparency pages, and the staff monitoring page. Thin: they parse,
call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from sportel.accounts.decorators import staff_required
from sportel.accounts.permissions import has_permission

from . import selectors, services, translog
from .codes import normalise
from .forms import CodeForm, RevokeForm, UploadForm
from .models import SignedTreeHead
from .verification import Outcome, count_lookup, find_by_code, status_outcome, verify_upload


def verify_start(request):
    """Enter a code or upload a PDF. POST = upload; GET ?code= jumps to the code's page."""
    code_form = CodeForm(request.GET or None)
    upload_form = UploadForm()
    if request.GET.get("code") is not None and code_form.is_valid():
        code = normalise(code_form.cleaned_data["code"])
        if code is None:
            code_form.add_error(
                "code", _("This is not a document code: check the 16 characters and try again.")
            )
        else:
            return redirect("documents:verify-code", code=code)
    if request.method == "POST":
        upload_form = UploadForm(request.POST, request.FILES)
        if upload_form.is_valid():
            upload = upload_form.cleaned_data["document"]
            result = verify_upload(upload.read())
            count_lookup(result.document, "file")
            return render(
                request,
                "documents/verify_result.html",
                {"result": result, "outcome": result.outcome, "document": result.document},
            )
        return render(
            request,
            "documents/verify_start.html",
            {"code_form": code_form, "upload_form": upload_form},
            status=400,
        )
    return render(
        request,
        "documents/verify_start.html",
        {"code_form": code_form, "upload_form": upload_form},
    )


def verify_code(request, code: str):
    canonical = normalise(code)
    if canonical is not None and canonical != code:
        return redirect("documents:verify-code", code=canonical)
    document = find_by_code(code) if canonical else None
    if document is None:
        return render(
            request,
            "documents/verify_result.html",
            {"outcome": Outcome.UNKNOWN, "document": None, "by_code": True, "code": code[:40]},
            status=404,
        )
    count_lookup(document, "code")
    return render(
        request,
        "documents/verify_result.html",
        {
            "outcome": status_outcome(document),
            "document": document,
            "by_code": True,
            "events": document.events.order_by("at", "log_index"),
            "upload_form": UploadForm(),
        },
    )


# --- Transparency ------------------------------------------------------------------------------
def _wants_json(request) -> bool:
    return request.GET.get("format") == "json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def transparency(request):
    heads = list(SignedTreeHead.objects.order_by("-tree_size", "-timestamp")[:100])
    try:
        public_key = translog.public_key_b64()
    except services.SealKeyError:  # production without a log key yet: say so, do not crash
        public_key = None
    payload = {
        "log": translog.LOG_ID,
        "tree_size": translog.size(),
        "public_key": public_key,
        "public_key_algorithm": "Ed25519",
        "signed_message": "canonical JSON of {log, tree_size, root_hash (hex), timestamp (ms)}",
        "latest": translog.sth_json(heads[0]) if heads else None,
        "tree_heads": [translog.sth_json(h) for h in heads],
    }
    if _wants_json(request):
        return JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    # People read the signing time in words (the JSON keeps ISO 8601 for machines).
    rows = [
        {**row, "signed_at": h.timestamp}
        for row, h in zip(payload["tree_heads"], heads, strict=True)
    ]
    return render(
        request,
        "documents/transparency.html",
        {"payload": payload, "heads": rows, "latest": rows[0] if rows else None},
    )


def _int(request, name: str) -> int | None:
    try:
        return int(request.GET.get(name, ""))
    except ValueError:
        return None


@never_cache
def inclusion_proof(request):
    code = normalise(request.GET.get("code", ""))
    tree_size = _int(request, "size")
    if tree_size is None:
        latest = SignedTreeHead.objects.order_by("-tree_size").first()
        tree_size = latest.tree_size if latest else translog.size()
    if code is None:
        return JsonResponse(
            {"detail": "code is not a document code", "code": "bad_code"}, status=400
        )
    try:
        return JsonResponse(translog.inclusion(code, tree_size))
    except translog.ProofError as exc:
        return JsonResponse(
            {"detail": str(exc), "code": exc.code}, status=404 if exc.code == "not_found" else 400
        )


@never_cache
def consistency_proof(request):
    first, second = _int(request, "first"), _int(request, "second")
    if first is None or second is None:
        return JsonResponse(
            {"detail": "first and second must be tree sizes", "code": "bad_size"}, status=400
        )
    try:
        return JsonResponse(translog.consistency(first, second))
    except translog.ProofError as exc:
        return JsonResponse({"detail": str(exc), "code": exc.code}, status=400)


# --- Staff -------------------------------------------------------------------------------------
@staff_required("documents.monitor")
def staff_monitor(request, municipality_slug: str):
    query = request.GET.get("q", "").strip()
    if query:
        document = selectors.document_of(request.municipality, query)
        if document is not None:
            return redirect(
                "documents-staff:document",
                municipality_slug=municipality_slug,
                code=document.code,
            )
        messages.error(request, _("No document of this municipality has that code."))
    return render(
        request,
        "documents/staff_monitor.html",
        {"stats": selectors.monitoring(request.municipality), "query": query},
    )


def _can_revoke(request) -> bool:
    return has_permission(request.user, request.municipality, "documents.revoke")


@staff_required("documents.monitor")
def staff_document(request, municipality_slug: str, code: str):
    document = selectors.document_of(request.municipality, code)
    if document is None:
        raise Http404(_("No document of this municipality has that code."))
    return render(
        request,
        "documents/staff_document.html",
        {
            "document": document,
            "events": document.events.order_by("at", "log_index"),
            "form": RevokeForm(),
            "can_revoke": _can_revoke(request) and document.status == "valid",
        },
    )


def _staff_action(request, municipality_slug, code, action):
    document = selectors.document_of(request.municipality, code)
    if document is None:
        raise Http404(_("No document of this municipality has that code."))
    form = RevokeForm(request.POST)
    back = reverse(
        "documents-staff:document",
        kwargs={"municipality_slug": municipality_slug, "code": document.code},
    )
    if not form.is_valid():
        messages.error(request, _("Give the reason (at most 300 characters)."))
        return redirect(back)
    try:
        result = action(document, reason=form.cleaned_data["reason"], actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(back)
    except services.SealKeyError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    return result, back


@require_POST
@staff_required("documents.revoke")
def staff_revoke(request, municipality_slug: str, code: str):
    outcome = _staff_action(request, municipality_slug, code, services.revoke_document)
    if not isinstance(outcome, tuple):
        return outcome
    messages.success(request, _("The document is revoked; the verification page now says so."))
    return redirect(outcome[1])


@require_POST
@staff_required("documents.revoke")
def staff_reissue(request, municipality_slug: str, code: str):
    outcome = _staff_action(request, municipality_slug, code, services.reissue_document)
    if not isinstance(outcome, tuple):
        return outcome
    new = outcome[0]
    messages.success(
        request,
        _("A new copy was issued: %(code)s. The old one now says it was replaced.")
        % {"code": new.display_code},
    )
    return redirect("documents-staff:document", municipality_slug=municipality_slug, code=new.code)
