"""The clerk's set-up pages: boards, who holds which role, meetings and the papers owed."""

from __future__ import annotations

from django.contrib import admin

from boardpack.web.models import Board, Event, Meeting, Membership, Paper


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1


class PaperInline(admin.TabularInline):
    model = Paper
    extra = 1
    fields = ("position", "name", "title", "manager", "approver", "state")
    readonly_fields = ("state",)


@admin.register(Board)
class BoardAdmin(admin.ModelAdmin):
    list_display = ("name", "profile", "requires_approval", "deadline_days")
    inlines = [MembershipInline]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("board", "date", "time", "venue", "published")
    list_filter = ("board",)
    inlines = [PaperInline]


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "action", "meeting", "paper", "detail")
    list_filter = ("action",)

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False  # the audit trail is never edited

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
