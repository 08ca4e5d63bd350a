"""Admin for platform operators only (never the staff UI): the notifications outbox."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import notifications
from .models import Notification, NotificationAttempt


class AttemptInline(admin.TabularInline):
    model = NotificationAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "at", "ok", "error"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "channel", "template", "language", "status", "attempts"]
    list_filter = ["status", "channel", "template", "municipality"]
    # The reference is in every copy's Message-ID / SMS client reference: find a reported duplicate.
    search_fields = ["reference"]
    date_hierarchy = "created_at"
    inlines = [AttemptInline]
    actions = ["retry"]
    # The outbox is a record: operators read it and retry failures, they do not edit it.
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Retry delivery of the selected failed notifications"))
    def retry(self, request, queryset):
        count = notifications.retry_failed(
            queryset.values_list("pk", flat=True), actor=request.user
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d notification queued again.",
                "%(count)d notifications queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
