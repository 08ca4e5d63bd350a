"""Django admin for platform operators: the catalogue is editable, cases are read-only.

Municipal staff never use the admin (DESIGN.md); it is how an operator or administrator with
admin access inspects the catalogue and publishes a new service version (docs/services-admin.md).
Saving a version that cases already use would rewrite history, so versions are read-only once
used: publish a new one with the "Publish a copy as a new version" action instead.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .catalogue import VERSION_FIELDS, publish_version
from .models import (
    AssignmentRule,
    Case,
    CaseEvent,
    LifeEvent,
    ServiceType,
    ServiceTypeVersion,
)


@admin.register(LifeEvent)
class LifeEventAdmin(admin.ModelAdmin):
    list_display = ("name_sq", "name_en", "code", "municipality", "order")
    list_filter = ("municipality",)
    search_fields = ("code", "name_sq", "name_en")


class VersionInline(admin.TabularInline):
    model = ServiceTypeVersion
    fields = ("number", "name_sq", "fee", "legal_deadline_days", "instant", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ("code", "__str__", "municipality", "department", "is_active", "order")
    list_filter = ("municipality", "is_active", "life_events")
    search_fields = ("code", "versions__name_sq", "versions__name_en")
    filter_horizontal = ("life_events",)
    raw_id_fields = ("current_version",)
    inlines = [VersionInline]


@admin.action(description=_("Publish a copy as a new version"))
def publish_copy(modeladmin, request, queryset):
    for version in queryset.select_related("service_type"):
        values = {field: getattr(version, field) for field in VERSION_FIELDS}
        new = publish_version(version.service_type, values, actor=request.user)
        messages.info(
            request, _("Published %(service)s v%(n)d.") % {"service": new, "n": new.number}
        )


@admin.register(ServiceTypeVersion)
class ServiceTypeVersionAdmin(admin.ModelAdmin):
    list_display = ("name_sq", "number", "municipality", "fee", "legal_deadline_days", "instant")
    list_filter = ("municipality", "instant", "applicant_kind")
    search_fields = ("name_sq", "name_en", "service_type__code")
    actions = [publish_copy]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.cases.exists():
            return [f.name for f in obj._meta.fields]
        return ["number", "created_at"]

    def save_model(self, request, obj, form, change):
        if obj.pk is None and obj.service_type_id:
            last = obj.service_type.versions.order_by("-number").first()
            obj.number = (last.number + 1) if last else 1
        super().save_model(request, obj, form, change)


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ("service_type", "unit", "assignee", "municipality")
    list_filter = ("municipality",)
    raw_id_fields = ("assignee",)


class EventInline(admin.TabularInline):
    model = CaseEvent
    fields = ("seq", "at", "actor_label", "kind", "action", "from_status", "to_status", "text")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    """Read-only: cases change only through sportel.services.services."""

    list_display = ("number", "service_type", "status", "legal_end", "channel", "municipality")
    list_filter = ("municipality", "status", "channel")
    search_fields = ("number", "tracking_code")
    inlines = [EventInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
