"""Admin for platform operators (never the staff UI). Role grants go through the services, so
a grant made here is audited like any other."""

from django.contrib import admin

from . import services
from .models import StaffRole, User


class StaffRoleInline(admin.TabularInline):
    model = StaffRole
    extra = 0
    fields = ("municipality", "role", "granted_at")
    readonly_fields = ("municipality", "role", "granted_at")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # grants are added on the staff role page, through grant_role


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("username", "full_name", "confirmed_at", "nid_verified", "is_platform_operator")
    list_filter = ("is_platform_operator", "nid_verified", "language")
    search_fields = ("username", "full_name", "email", "phone")
    fields = (
        "username",
        "full_name",
        "email",
        "phone",
        "language",
        "nid",
        "nid_verified",
        "confirmed_at",
        "is_active",
        "is_platform_operator",
        "is_staff",
        "is_superuser",
        "last_login",
        "date_joined",
    )
    readonly_fields = ("username", "nid", "nid_verified", "last_login", "date_joined")
    inlines = [StaffRoleInline]


@admin.register(StaffRole)
class StaffRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "municipality", "role", "granted_at")
    list_filter = ("municipality", "role")
    search_fields = ("user__username", "user__full_name")
    autocomplete_fields = ("user",)
    fields = ("user", "municipality", "role")

    def has_change_permission(self, request, obj=None):
        return False  # a grant is given or taken away, never edited

    def save_model(self, request, obj, form, change):
        grant = services.grant_role(obj.user, obj.municipality, obj.role, actor=request.user)
        obj.pk = grant.pk

    def delete_model(self, request, obj):
        services.revoke_role(obj.user, obj.municipality, obj.role, actor=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
