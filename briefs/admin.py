from django.contrib import admin
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat

from briefs.models import (
    ActionItem,
    ApiToken,
    Delivery,
    ImpactEstimate,
    Incident,
    IncidentUpdate,
    Integration,
    Meeting,
    MeetingDecision,
    PdfDocument,
    RootCauseAnalysis,
    ShareLink,
    Subscriber,
)
from briefs.pdf_documents import pdf_storage


class ImpactEstimateInline(admin.TabularInline[ImpactEstimate, Incident]):
    model = ImpactEstimate
    extra = 0
    fields = ["effective_at", "revenue_per_hour", "customers_affected", "confidence", "author"]
    raw_id_fields = ["author"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin[Incident]):
    list_display = [
        "title",
        "system",
        "severity",
        "status",
        "operating_state",
        "started_at",
        "owner",
    ]
    list_filter = ["status", "severity", "operating_state"]
    search_fields = ["title", "system", "description", "public_id", "owner__username"]
    readonly_fields = ["public_id", "version", "created_at", "updated_at"]
    raw_id_fields = ["owner"]
    filter_horizontal = ["collaborators"]
    date_hierarchy = "created_at"
    inlines = [ImpactEstimateInline]

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # An incident's timeline is append-only, and on PostgreSQL the database refuses it.
        return False


@admin.register(ImpactEstimate)
class ImpactEstimateAdmin(admin.ModelAdmin[ImpactEstimate]):
    list_display = [
        "incident",
        "effective_at",
        "revenue_per_hour",
        "customers_affected",
        "confidence",
    ]
    list_filter = ["confidence"]
    search_fields = ["incident__title", "basis", "other_impact"]
    raw_id_fields = ["incident", "author"]


@admin.register(IncidentUpdate)
class IncidentUpdateAdmin(admin.ModelAdmin[IncidentUpdate]):
    """Read-only: the timeline is append-only everywhere, the admin included."""

    list_display = [
        "incident",
        "sequence",
        "posted_at",
        "author",
        "operating_state",
        "next_update_due",
    ]
    list_filter = ["operating_state"]
    search_fields = ["incident__title", "what_changed", "next_steps"]

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ShareLink)
class ShareLinkAdmin(admin.ModelAdmin[ShareLink]):
    list_display = [
        "label",
        "incident",
        "created_by",
        "created_at",
        "expires_at",
        "revoked_at",
        "view_count",
    ]
    search_fields = ["label", "incident__title"]
    readonly_fields = ["token_hash", "last_viewed_at", "view_count", "seen_sequence"]
    raw_id_fields = ["incident", "created_by"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin[ActionItem]):
    list_display = ["description", "incident", "kind", "owner", "owner_name", "due_on", "done_at"]
    list_filter = ["kind"]
    search_fields = ["description", "owner_name", "incident__title"]
    raw_id_fields = ["incident", "owner"]


class MeetingDecisionInline(admin.TabularInline[MeetingDecision, Meeting]):
    model = MeetingDecision
    extra = 0


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin[Meeting]):
    list_display = ["incident", "held_at", "attendees", "cadence_minutes", "rca_due_on"]
    search_fields = ["incident__title", "attendees"]
    raw_id_fields = ["incident", "recorded_by"]
    inlines = [MeetingDecisionInline]


@admin.register(RootCauseAnalysis)
class RootCauseAnalysisAdmin(admin.ModelAdmin[RootCauseAnalysis]):
    list_display = ["incident", "root_cause_confirmed", "updated_at"]
    search_fields = ["incident__title", "root_cause"]
    raw_id_fields = ["incident", "author"]


@admin.register(PdfDocument)
class PdfDocumentAdmin(admin.ModelAdmin[PdfDocument]):
    """Read-only: the worker writes these rows (briefs.pdf_documents); the list shows which PDFs
    are stored, waiting or failed, and why."""

    list_display = [
        "incident",
        "kind",
        "size",
        "file_size",
        "status",
        "rendered_at",
        "render_seconds",
        "failure",
    ]
    list_filter = ["status", "kind", "failure"]
    list_select_related = ["incident"]
    search_fields = ["incident__title"]
    readonly_fields = ["file_size"]

    @admin.display(description="size of the file")
    def file_size(self, document: PdfDocument) -> str:
        """Asks the storage (a disk or a bucket) once per row shown: the list has 100 at most."""
        if not document.file:
            return "–"
        try:
            size = pdf_storage().size(document.file)
        except Exception:  # a disk's OSError, a bucket client's own error: the list still shows
            return "missing"
        return filesizeformat(size)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Deleting a row would leave its file in the storage with nothing pointing at it.
        return False


# --- Alert webhooks (issue 17) -----------------------------------------------------------------


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin[Integration]):
    # PagerDuty's signing secret (not editable) is shown nowhere here, not even read-only.
    list_display = ["name", "kind", "owner", "created_at", "last_received_at", "revoked_at"]
    list_filter = ["kind"]
    search_fields = ["name", "owner__username"]
    readonly_fields = ["token_hash", "last_received_at"]
    raw_id_fields = ["owner"]


# --- API tokens (issue 17) --------------------------------------------------------------------


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Who holds which token and when it was last used; an operator may revoke one (set its
    revocation time). Tokens are made on the user's settings page or by `manage.py
    api_token_create`, where the token is shown once: never here."""

    list_display = [
        "name",
        "user",
        "visible_prefix",
        "scope",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["scope"]
    search_fields = ["name", "user__username", "visible_prefix"]
    readonly_fields = [
        "user",
        "name",
        "visible_prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
    ]
    exclude = ["token_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# --- Notifications (issue 16) -----------------------------------------------------------------


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin[Subscriber]):
    list_display = ["name", "email", "incident", "cadence", "created_at", "unsubscribed_at"]
    list_filter = ["cadence"]
    search_fields = ["name", "email", "incident__title"]
    # With SECRET_KEY the salt makes the person's link: never shown, never edited.
    exclude = ["link_salt"]
    readonly_fields = ["share_link"]
    raw_id_fields = ["incident", "created_by"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin[Delivery]):
    """Read-only: the engine writes these rows (briefs.notifications); the list shows what was
    sent to whom, what failed and why."""

    list_display = [
        "recipient_label",
        "channel",
        "trigger",
        "status",
        "attempts",
        "incident",
        "created_at",
        "sent_at",
    ]
    list_filter = ["status", "channel", "trigger"]
    list_select_related = ["incident"]
    search_fields = ["recipient_label", "recipient_address", "incident__title"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
