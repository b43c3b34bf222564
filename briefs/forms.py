"""Forms validate and convert what people type; they decide no policy."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from zoneinfo import available_timezones

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import formats, timezone

from briefs.chat import check_url
from briefs.models import (
    AS_OF_WINDOW,
    CHAT_LABEL_LENGTH,
    CHAT_URL_LENGTH,
    ESTIMATE_FLAGS,
    MAX_CADENCE_MINUTES,
    MAX_CUSTOMERS,
    MAX_DURATION_HOURS,
    MAX_REVENUE_PER_HOUR,
    MIN_CADENCE_MINUTES,
    NARRATIVE_LENGTH,
    NOTE_LENGTH,
    SENTENCE_LENGTH,
    TITLE_LENGTH,
    ActionKind,
    CeoDecision,
    ChatKind,
    Confidence,
    Currency,
    EstimateConfidence,
    ImpactEstimate,
    Incident,
    IncidentUpdate,
    IntegrationKind,
    OperatingState,
    RootCauseAnalysis,
    SubscriberCadence,
)
from briefs.services import DecisionChanges, EstimateInput

# Revenue is entered in whole currency units with cents allowed; anything from 10^12 up is a typo.
REVENUE_MAX = MAX_REVENUE_PER_HOUR - Decimal("0.01")


class LocalDateTimeInput(forms.DateTimeInput):
    """A native date-and-time picker; values are read in the viewer's active time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


# Incidents, ETAs and promised updates fall within these years; outside them a date is a typo,
# and near the ends of the calendar (year 1, year 9999) moving it between time zones overflows.
EARLIEST_YEAR = 2000
LATEST_YEAR = 2099


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed in the viewer's time zone."""

    widget = LocalDateTimeInput

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
            raise ValidationError(
                f"Enter a date between {EARLIEST_YEAR} and {LATEST_YEAR}.", code="year"
            )


def _money_field(label: str, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal(0),
        max_value=REVENUE_MAX,
        decimal_places=2,
        error_messages={
            "min_value": "Enter zero or more: a loss is entered as a positive amount.",
            "max_value": "That is more than 1 trillion per hour; check the number of zeros.",
            "invalid": "Enter a number, like 48000 or 48000.50.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "any", "min": "0"}),
        **kwargs,
    )


def _customers_field(label: str, **kwargs: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=MAX_CUSTOMERS,
        error_messages={
            "min_value": "Enter zero or more customers.",
            "max_value": "That is more than 10 billion customers; check the number.",
            "invalid": "Enter a whole number, like 12500.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": "0"}),
        **kwargs,
    )


ESTIMATE_FLAG_NAMES = ["sla_breach", "regulatory", "data_exposure", "reputation"]
# The impact estimate's fields in the order its forms show them, each named as in EstimateInput.
IMPACT_FIELDS = [
    "revenue_per_hour",
    "customers_affected",
    *ESTIMATE_FLAG_NAMES,
    "other_impact",
    "confidence",
    "basis",
]


class EstimateForm:
    """A form that states an impact estimate: the wizard's impact step, an update's revision,
    the resolution's final figures. Each hands services one `EstimateInput`.

    `estimate_fields` maps the form's field names to `EstimateInput`'s.
    """

    estimate_fields: ClassVar[dict[str, str]] = {}
    cleaned_data: dict[str, Any]

    def estimate_input(self) -> EstimateInput | None:
        """The estimate the form states; None without both of its figures (a step saved
        incomplete)."""
        values: dict[str, Any] = {
            attribute: self.cleaned_data.get(name)
            for name, attribute in self.estimate_fields.items()
        }
        if values["revenue_per_hour"] is None or values["customers_affected"] is None:
            return None
        values["confidence"] = values["confidence"] or EstimateConfidence.MEDIUM
        return EstimateInput(**values)


class StepForm(forms.ModelForm[Incident]):
    """A wizard step: a slice of the incident's fields."""

    # Whom the resources step adds (ResourcesForm); services.incident_step_save takes it.
    new_collaborator: User | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.Textarea):
                # Django's Textarea starts at 10 rows: too tall for a one-paragraph answer.
                field.widget.attrs["rows"] = min(int(field.widget.attrs.get("rows", 3)), 3)
                if isinstance(field, forms.CharField) and field.max_length:
                    field.widget.attrs["maxlength"] = field.max_length

    def incident_fields(self) -> dict[str, Any]:
        """The incident's fields as typed on this step (services.incident_step_save)."""
        return {
            name: self.cleaned_data[name]
            for name in self._meta.fields or []
            if name in self.cleaned_data
        }

    def estimate_input(self) -> EstimateInput | None:
        return None  # only the impact step (ImpactForm) states an estimate


class AssessForm(StepForm):
    assess_revenue_per_hour = _money_field(
        "Revenue at risk per hour",
        required=False,
        help_text="Your best estimate now; leave empty if you cannot say yet.",
    )
    assess_customers = _customers_field("Customers affected", required=False)
    assess_duration_hours = forms.IntegerField(
        label="Expected duration in hours",
        required=False,
        min_value=0,
        max_value=MAX_DURATION_HOURS,
        error_messages={"max_value": "Enter at most a year (8760 hours), or tick Unknown."},
    )

    class Meta:
        model = Incident
        fields = [
            "assess_revenue_per_hour",
            "assess_customers",
            "assess_data_exposure",
            "assess_regulatory",
            "assess_public",
            "assess_duration_hours",
            "assess_duration_unknown",
            "assess_beyond_authority",
            "override_reason",
        ]
        widgets = {"override_reason": forms.Textarea}
        labels = {"assess_duration_unknown": "Duration unknown"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("assess_duration_unknown") and data.get("assess_duration_hours") is not None:
            self.add_error(
                "assess_duration_hours", "Leave the hours empty when the duration is unknown."
            )
        return data


# Every IANA zone this machine knows, for the zone pickers. "localtime" and "Factory" are
# not places.
ZONE_NAMES = sorted(available_timezones() - {"localtime", "Factory"})


# A start or detection later than now is a typo, beyond this much difference between the
# architect's clock and ours.
CLOCK_SKEW = timedelta(minutes=1)
# A start further back than this is more often a wrong year than a real incident, and it turns
# the cost so far into a fantasy figure: it takes a confirmation.
OLD_START = timedelta(days=30)


class WhatHappenedForm(StepForm):
    time_zone = forms.ChoiceField(
        label="The incident's time zone",
        choices=[(name, name) for name in ZONE_NAMES],
        help_text="The executive link and the PDF show times in this zone; a reader can switch "
        "the link to their own.",
        # Left out of a post, the zone stays as it was (its owner's, from the draft).
        required=False,
    )
    confirm_old_start = forms.BooleanField(
        required=False,
        # Hidden until the start is found to be old; clean() shows it (see _ask_to_confirm).
        widget=forms.HiddenInput,
        label="Yes, the incident really started more than 30 days ago",
    )

    class Meta:
        model = Incident
        fields = [
            "title",
            "system",
            "description",
            "severity",
            "started_at",
            "detected_at",
            "time_zone",
        ]
        field_classes = {"started_at": LocalDateTimeField, "detected_at": LocalDateTimeField}
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "title": "A short name for the incident",
            "started_at": "When it started",
            "detected_at": "When we detected it",
        }
        help_texts = {
            "description": "One sentence, in business terms: what customers or the company "
            "cannot do.",
            "started_at": "In your time zone.",
        }

    def __init__(self, *args: Any, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.now = now
        for name in ["system", "description", "started_at", "detected_at"]:
            self.fields[name].required = True
        if self["confirm_old_start"].value() not in (None, False, "", "False", "false"):
            # Once ticked, the box stays in sight (and live validation does not hide it).
            self.fields["confirm_old_start"].widget = forms.CheckboxInput()

    def clean_time_zone(self) -> str:
        return str(self.cleaned_data.get("time_zone") or self.instance.time_zone)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        started: datetime | None = data.get("started_at")
        detected: datetime | None = data.get("detected_at")
        latest = self.now + CLOCK_SKEW
        if started and started > latest:
            self.add_error("started_at", self._future_error("The start"))
        if detected and detected > latest:
            self.add_error("detected_at", self._future_error("Detection"))
        if started and detected and detected < started:
            self.add_error("detected_at", "Detection cannot be before the start.")
        # A start saved earlier was confirmed then (or predates this check): asking again on
        # every later edit of the step would teach people to tick the box without reading.
        if (
            started
            and started < self.now - OLD_START
            and started != self.instance.started_at
            and not data.get("confirm_old_start")
        ):
            self._ask_to_confirm(started)
        return data

    def _future_error(self, what: str) -> str:
        now = formats.date_format(timezone.localtime(self.now), "D j M Y, H:i T")
        return f"{what} cannot be in the future: it is now {now}. Check the date and the time."

    def _ask_to_confirm(self, started: datetime) -> None:
        days = (self.now - started).days
        on = formats.date_format(timezone.localtime(started), "j F Y")
        self.add_error(
            "started_at",
            f"That is {days:,} days ago ({on}). If the date is right, tick the confirmation "
            "below the dates and save again; if not, correct it.",
        )
        self.fields["confirm_old_start"].widget = forms.CheckboxInput()


class ImpactForm(EstimateForm, forms.ModelForm[ImpactEstimate]):
    """The first impact estimate, plus the incident's currency."""

    estimate_fields = {name: name for name in IMPACT_FIELDS}
    new_collaborator: User | None = None  # as StepForm's: the impact step adds nobody

    revenue_per_hour = _money_field("Revenue at risk per hour")
    customers_affected = _customers_field("Customers affected")
    currency = forms.ChoiceField(choices=Currency.choices, initial=Currency.USD)

    class Meta:
        model = ImpactEstimate
        fields = IMPACT_FIELDS
        widgets = {
            "other_impact": forms.Textarea(attrs={"rows": 2}),
            "basis": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "basis": "How you arrived at the numbers, e.g. orders per hour times average "
            "order value.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["basis"].required = True
        for name in ["other_impact", "basis"]:
            field = self.fields[name]
            if isinstance(field, forms.CharField) and field.max_length:
                field.widget.attrs["maxlength"] = field.max_length

    def incident_fields(self) -> dict[str, Any]:
        """The incident's one field on this step (services.incident_step_save)."""
        return {"currency": self.cleaned_data.get("currency")}


class CauseForm(StepForm):
    class Meta:
        model = Incident
        fields = ["root_cause", "root_cause_confidence", "mitigation", "operating_state"]
        widgets = {"root_cause": forms.Textarea, "mitigation": forms.Textarea}
        labels = {
            "root_cause": "Root cause, as we understand it now",
            "root_cause_confidence": "How sure are we?",
            "mitigation": "What we are already doing about it",
            "operating_state": "How the service is running now",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.fields[name].required = True
        confidence = self.fields["root_cause_confidence"]
        state = self.fields["operating_state"]
        assert isinstance(confidence, forms.ChoiceField) and isinstance(state, forms.ChoiceField)
        confidence.choices = [("", "Choose…"), *[c for c in Confidence.choices if c[0]]]
        state.choices = [("", "Choose…"), *[c for c in OperatingState.choices if c[0]]]


class OutlookForm(StepForm):
    class Meta:
        model = Incident
        fields = [
            "eta_earliest",
            "eta_latest",
            "dependencies",
            "recurrence_risk",
            "preventive_measures",
            "monitoring_changes",
        ]
        field_classes = {"eta_earliest": LocalDateTimeField, "eta_latest": LocalDateTimeField}
        widgets = {
            "dependencies": forms.Textarea,
            "recurrence_risk": forms.Textarea,
            "preventive_measures": forms.Textarea,
            "monitoring_changes": forms.Textarea,
        }
        labels = {
            "eta_earliest": "Resolved at the earliest by",
            "eta_latest": "Resolved at the latest by",
            "dependencies": "What the estimate depends on",
        }
        help_texts = {
            "eta_latest": "A range is honest: give the latest time you would bet on.",
            "monitoring_changes": "What will catch this earlier next time.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.fields[name].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        earliest: datetime | None = data.get("eta_earliest")
        latest: datetime | None = data.get("eta_latest")
        started = self.instance.started_at
        if earliest and latest and latest < earliest:
            self.add_error("eta_latest", "The latest time cannot be before the earliest.")
        if earliest and started and earliest < started:
            self.add_error("eta_earliest", "Resolution cannot be before the incident started.")
        return data


class ResourcesForm(StepForm):
    update_cadence_minutes = forms.TypedChoiceField(
        label="Updates promised to the CEO",
        coerce=int,
        empty_value=None,
        choices=[
            (30, "Every 30 minutes"),
            (60, "Every hour"),
            (120, "Every 2 hours"),
            (240, "Every 4 hours"),
        ],
        initial=60,
    )
    add_collaborator = forms.CharField(
        label="Add a collaborator (username)",
        required=False,
        max_length=150,
        help_text="Collaborators can edit this escalation and post updates.",
    )

    class Meta:
        model = Incident
        fields = [
            "resources_needed",
            "accountability",
            "remediation_overseer",
            "update_cadence_minutes",
            "ceo_name",
        ]
        widgets = {"resources_needed": forms.Textarea, "accountability": forms.Textarea}
        labels = {
            "resources_needed": "Resources needed",
            "remediation_overseer": "Who personally oversees the fix",
            "ceo_name": "The CEO's name (optional)",
        }
        help_texts = {
            "resources_needed": "What must be re-prioritised, or say that current resources "
            "suffice.",
            "ceo_name": "As you will address them, e.g. Sarah. Only your meeting script uses it.",
        }

    def __init__(self, *args: Any, can_add_collaborators: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ["resources_needed", "accountability", "remediation_overseer"]:
            self.fields[name].required = True
        if not can_add_collaborators:
            del self.fields["add_collaborator"]

    def clean_update_cadence_minutes(self) -> int | None:
        value: int | None = self.cleaned_data["update_cadence_minutes"]
        if value is not None and not MIN_CADENCE_MINUTES <= value <= MAX_CADENCE_MINUTES:
            raise ValidationError("Choose one of the offered intervals.")
        return value

    def clean_add_collaborator(self) -> str:
        username: str = self.cleaned_data.get("add_collaborator", "").strip()
        if not username:
            return ""
        user = get_user_model().objects.filter(username__iexact=username, is_active=True).first()
        if user is None:
            raise ValidationError(f"No active user is called “{username}”.")
        if user.pk == self.instance.owner_id:
            raise ValidationError("The owner already has access.")
        self.new_collaborator = user
        return username


class DecisionForm(forms.ModelForm[CeoDecision]):
    class Meta:
        model = CeoDecision
        fields = ["question", "options", "trade_offs", "recommendation"]
        widgets = {
            "options": forms.Textarea(attrs={"rows": 2}),
            "trade_offs": forms.Textarea(attrs={"rows": 2}),
        }


class BaseDecisionFormSet(forms.BaseInlineFormSet[CeoDecision, Incident, DecisionForm]):
    def decision_changes(self) -> DecisionChanges:
        """What the architect changed, unsaved: services.incident_step_save writes it after
        its version check, so a conflict saves none of it."""
        saved = self.save(commit=False)
        return DecisionChanges(saved=saved, deleted=list(self.deleted_objects))


DecisionFormSet = forms.inlineformset_factory(
    Incident,
    CeoDecision,
    form=DecisionForm,
    formset=BaseDecisionFormSet,
    extra=1,
    max_num=5,
    validate_max=True,
    can_delete=True,
)


def _flag_field(name: str) -> forms.BooleanField:
    return forms.BooleanField(label=dict(ESTIMATE_FLAGS)[name], required=False)


def _other_impact_field() -> forms.CharField:
    return forms.CharField(
        label="Other business impact",
        max_length=NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class EstimateRevisionForm(EstimateForm, forms.Form):
    """A form that revises the impact estimate: it shows the current estimate and reports
    only the fields the architect changed, so a revision keeps everything else.

    `estimate_fields` maps the form's field names to `EstimateInput`'s. Each of them carries
    the value the page showed in a hidden input (`show_hidden_initial`): a change is judged
    against what the architect saw, not against whatever was saved since.
    """

    # What the page showed, and what a revision starts from (estimate_input).
    shown_estimate: ImpactEstimate | None = None

    def show_estimate(self, estimate: ImpactEstimate | None) -> None:
        self.shown_estimate = estimate
        for name, attribute in self.estimate_fields.items():
            self.fields[name].show_hidden_initial = True
            if estimate is not None:
                self.initial.setdefault(name, getattr(estimate, attribute))

    def estimate_changes(self) -> dict[str, Any]:
        """The revised fields, by `EstimateInput` name; empty when the estimate is unchanged."""
        return {
            self.estimate_fields[name]: self.cleaned_data[name]
            for name in self.changed_data
            if name in self.estimate_fields and name in self.cleaned_data
        }

    def estimate_input(self) -> EstimateInput | None:
        """The shown estimate with the fields the architect changed; None when none changed."""
        changes = self.estimate_changes()
        return EstimateInput.revising(self.shown_estimate, **changes) if changes else None

    @property
    def estimate_open(self) -> bool:
        """Whether the page shows the revision fields unfolded: a revision was typed."""
        touched = set(self.estimate_fields)
        return self.is_bound and bool(touched & (set(self.changed_data) | set(self.errors)))


class UpdateForm(EstimateRevisionForm):
    """A timeline entry, with an optional revised estimate and ETA."""

    estimate_fields = {
        "revenue_per_hour": "revenue_per_hour",
        "customers_affected": "customers_affected",
        **{name: name for name in ESTIMATE_FLAG_NAMES},
        "other_impact": "other_impact",
        "estimate_confidence": "confidence",
        "estimate_basis": "basis",
    }

    what_changed = forms.CharField(
        label="What changed", max_length=NARRATIVE_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    operating_state = forms.ChoiceField(
        label="Current operating state", choices=[c for c in OperatingState.choices if c[0]]
    )
    next_steps = forms.CharField(
        label="Next steps",
        max_length=NARRATIVE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    revenue_per_hour = _money_field("Revised revenue at risk per hour", required=False)
    customers_affected = _customers_field("Revised customers affected", required=False)
    sla_breach = _flag_field("sla_breach")
    regulatory = _flag_field("regulatory")
    data_exposure = _flag_field("data_exposure")
    reputation = _flag_field("reputation")
    other_impact = _other_impact_field()
    estimate_confidence = forms.ChoiceField(
        label="Confidence in the revised estimate",
        choices=EstimateConfidence.choices,
        initial=EstimateConfidence.MEDIUM,
        required=False,
    )
    estimate_basis = forms.CharField(
        label="Basis of the revised estimate", max_length=NOTE_LENGTH, required=False
    )
    eta_earliest = LocalDateTimeField(label="Revised ETA: earliest", required=False)
    eta_latest = LocalDateTimeField(label="Revised ETA: latest", required=False)
    next_update_due = LocalDateTimeField(
        label="Next update due", help_text="Your promise to the CEO."
    )
    as_of = LocalDateTimeField(
        label="These facts are as of",
        required=False,
        help_text="Leave empty for now; up to 24 hours earlier if you report what was true then.",
    )
    corrects = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, incident: Incident, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.incident = incident
        self.now = now
        self.corrected: IncidentUpdate | None = None
        self.show_estimate(incident.current_estimate())
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and field.max_length:
                field.widget.attrs["maxlength"] = field.max_length

    def update_post_fields(self) -> dict[str, Any]:
        """What `services.update_post` takes from this form, the same from the brief's page and
        from the API."""
        data = self.cleaned_data
        return {
            "what_changed": data["what_changed"],
            "operating_state": data["operating_state"],
            "next_steps": data["next_steps"],
            "eta_earliest": data.get("eta_earliest"),
            "eta_latest": data.get("eta_latest"),
            "next_update_due": data["next_update_due"],
            "estimate": self.estimate_input(),
            "corrects": self.corrected,
            "as_of": data["as_of"],
        }

    def clean_next_update_due(self) -> datetime:
        due: datetime = self.cleaned_data["next_update_due"]
        # A minute of slack: the form was filled in a little before it was sent.
        if due < self.now - timedelta(minutes=1):
            raise ValidationError("The next update must be due in the future.")
        if due > self.now + timedelta(days=2):
            raise ValidationError("Promise the next update within two days.")
        return max(due, self.now)

    def clean_as_of(self) -> datetime:
        as_of: datetime | None = self.cleaned_data.get("as_of")
        # The picker gives minutes: the current one means now, so the entry keeps its place
        # after whatever was posted earlier in that minute.
        if as_of is None or as_of <= self.now < as_of + timedelta(minutes=1):
            return self.now
        # The same minute of slack as the promise: the form was filled in before it was sent.
        if as_of > self.now + timedelta(minutes=1):
            raise ValidationError("The facts cannot be as of a time in the future.")
        # The picker has no seconds: a time typed in the window's first minute stays in it.
        if as_of < self.now - AS_OF_WINDOW - timedelta(minutes=1):
            raise ValidationError(
                "Report facts at most 24 hours old; older ones belong in the RCA."
            )
        started = self.incident.started_at
        if started is not None and as_of < started - timedelta(minutes=1):
            raise ValidationError("The facts cannot be as of before the incident started.")
        if started is not None:
            as_of = max(as_of, started)
        return min(max(as_of, self.now - AS_OF_WINDOW), self.now)

    def clean_corrects(self) -> int | None:
        sequence: int | None = self.cleaned_data.get("corrects")
        if sequence is None:
            return None
        corrected = next((u for u in self.incident.updates.all() if u.sequence == sequence), None)
        if corrected is None:
            raise ValidationError("The entry to correct does not exist.")
        self.corrected = corrected
        return sequence

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        revenue, customers = data.get("revenue_per_hour"), data.get("customers_affected")
        revised = (revenue is not None) or (customers is not None) or self.estimate_changes()
        if (
            revised
            and (revenue is None or customers is None)
            and not self.errors.get("revenue_per_hour")
        ):
            missing = "customers_affected" if customers is None else "revenue_per_hour"
            self.add_error(missing, "A revised estimate needs both revenue and customers.")
        earliest, latest = data.get("eta_earliest"), data.get("eta_latest")
        if (earliest is None) != (latest is None):
            self.add_error(
                "eta_latest" if latest is None else "eta_earliest", "Give both ends of the range."
            )
        if earliest and latest and latest < earliest:
            self.add_error("eta_latest", "The latest time cannot be before the earliest.")
        started = self.incident.started_at
        if earliest and started and earliest < started:
            self.add_error("eta_earliest", "Resolution cannot be before the incident started.")
        return data


class ShareLinkForm(forms.Form):
    label = forms.CharField(
        label="Who is it for?", max_length=100, help_text="For example CEO or Board.", initial="CEO"
    )
    valid_days = forms.TypedChoiceField(
        label="Valid for",
        coerce=int,
        choices=[(1, "1 day"), (3, "3 days"), (7, "7 days"), (14, "14 days"), (30, "30 days")],
        initial=7,
    )


class VersionedForm(forms.Form):
    """A form that changes the incident: it carries the version the page was read at."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


CADENCE_CHOICES = [
    (30, "Every 30 minutes"),
    (60, "Every hour"),
    (120, "Every 2 hours"),
    (240, "Every 4 hours"),
]


class MeetingForm(VersionedForm):
    held_at = LocalDateTimeField(label="When the meeting was held")
    attendees = forms.CharField(
        label="Who attended", max_length=NOTE_LENGTH, help_text="For example: CEO, CFO, VP Eng."
    )
    resources_granted = forms.CharField(
        label="Resources granted",
        max_length=NOTE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    cadence_minutes = forms.TypedChoiceField(
        label="Update cadence agreed",
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "No change"), *CADENCE_CHOICES],
    )
    rca_due_on = forms.DateField(
        label="Root-cause analysis promised by",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class MeetingDecisionForm(forms.Form):
    decision = forms.CharField(label="Decision taken", max_length=SENTENCE_LENGTH * 2)
    decided_by = forms.CharField(label="Decided by", max_length=TITLE_LENGTH)
    ask = forms.ModelChoiceField(
        label="Answers the ask",
        queryset=CeoDecision.objects.none(),
        required=False,
        empty_label="None: a decision nobody asked for",
    )

    def __init__(self, *args: Any, asks: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ask = self.fields["ask"]
        assert isinstance(ask, forms.ModelChoiceField)
        if asks is None:
            del self.fields["ask"]  # an incident without asks has nothing to answer
        else:
            ask.queryset = asks


MeetingDecisionFormSet = forms.formset_factory(MeetingDecisionForm, extra=2, max_num=10)


class ActionItemForm(forms.Form):
    description = forms.CharField(label="Action", max_length=SENTENCE_LENGTH * 2)
    kind = forms.ChoiceField(label="Kind", choices=ActionKind.choices)
    owner = forms.ModelChoiceField(
        label="Owner",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Someone outside the app",
    )
    owner_name = forms.CharField(
        label="Owner outside the app", max_length=TITLE_LENGTH, required=False
    )
    due_on = forms.DateField(
        label="Due on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        if people is not None:
            owner.queryset = people

    def has_changed(self) -> bool:
        # A browser always sends a kind (an untouched select sends its first choice), so an
        # action row of the meeting form left empty is one with nothing else filled in.
        return any(name != "kind" for name in self.changed_data)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("description") and not data.get("owner") and not data.get("owner_name"):
            self.add_error("owner_name", "Name an owner: someone in the app or outside it.")
        return data


ActionItemFormSet = forms.formset_factory(ActionItemForm, extra=2, max_num=20)


class ResolveForm(VersionedForm, EstimateRevisionForm):
    estimate_fields = {name: name for name in IMPACT_FIELDS}

    resolved_at = LocalDateTimeField(label="Resolved at")
    revenue_per_hour = _money_field("Final revenue at risk per hour")
    customers_affected = _customers_field("Customers affected in total")
    sla_breach = _flag_field("sla_breach")
    regulatory = _flag_field("regulatory")
    data_exposure = _flag_field("data_exposure")
    reputation = _flag_field("reputation")
    other_impact = _other_impact_field()
    confidence = forms.ChoiceField(
        label="Confidence in the final figures",
        choices=EstimateConfidence.choices,
        initial=EstimateConfidence.HIGH,
    )
    basis = forms.CharField(label="Basis of the final figures", max_length=NOTE_LENGTH)
    closing_update = forms.CharField(
        label="Closing update to the CEO",
        max_length=NARRATIVE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, incident: Incident, now: datetime, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.incident = incident
        self.now = now
        self.show_estimate(incident.current_estimate())

    def estimate_input(self) -> EstimateInput:
        """The final figures: stated even when unchanged, since the resolution records them."""
        return EstimateInput.revising(self.shown_estimate, **self.estimate_changes())

    def clean_resolved_at(self) -> datetime:
        resolved: datetime = self.cleaned_data["resolved_at"]
        if self.incident.started_at and resolved < self.incident.started_at:
            raise ValidationError("Resolution cannot be before the incident started.")
        if resolved > self.now + timedelta(minutes=1):
            raise ValidationError("Resolution cannot be in the future.")
        # The picker gives a minute, which stands for the whole of it: the resolution came
        # after whatever the timeline records in that minute (and is now, in the current one),
        # so "resolved" is never listed before the updates that preceded it.
        minute_end = resolved + timedelta(minutes=1)
        if resolved <= self.now < minute_end:
            return self.now
        after = [
            update.facts_at + timedelta(microseconds=1)
            for update in self.incident.updates.all()
            if resolved <= update.facts_at < minute_end
        ]
        return max([resolved, *after])


class ReopenForm(VersionedForm):
    reason = forms.CharField(label="Why reopen?", max_length=SENTENCE_LENGTH)


class RcaForm(forms.ModelForm[RootCauseAnalysis]):
    # The RCA's version when the page was read; 0 while there is none (services.rca_save).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = RootCauseAnalysis
        fields = [
            "root_cause",
            "root_cause_confirmed",
            "contributing_factors",
            "why_not_caught",
            "went_well",
            "went_badly",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in [
                "root_cause",
                "contributing_factors",
                "why_not_caught",
                "went_well",
                "went_badly",
            ]
        }


# --- Chat webhooks (briefs/chat.py) -------------------------------------------------------------


class ChatWebhookForm(forms.Form):
    kind = forms.ChoiceField(label="Where", choices=ChatKind.choices, initial=ChatKind.SLACK)
    label = forms.CharField(
        label="Channel",
        max_length=CHAT_LABEL_LENGTH,
        help_text="How the delivery list names it, for example #exec-incidents.",
    )
    url = forms.CharField(
        label="Webhook address",
        max_length=CHAT_URL_LENGTH,
        # A secret: shown once typed, never again once saved (ChatWebhook.masked_url).
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text="The incoming webhook's https:// address from Slack or Teams.",
    )

    def clean_label(self) -> str:
        # One line: the label names the channel in delivery lists and messages.
        return " ".join(str(self.cleaned_data["label"]).split())

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"].strip()
        problem = check_url(url)
        if problem:
            raise ValidationError(problem)
        return url


# --- Alert webhooks (issue 17) ---------------------------------------------------------------


class IntegrationForm(forms.Form):
    kind = forms.ChoiceField(label="Tool", choices=IntegrationKind.choices)
    name = forms.CharField(
        label="Name",
        max_length=100,
        required=False,
        help_text="Which alerts post here, e.g. “Production Alertmanager”.",
    )


# --- API tokens (issue 17: the JSON API) -------------------------------------------------------


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=100, help_text="What uses it, for example: deploy script."
    )
    valid_days = forms.TypedChoiceField(
        label="Valid for",
        coerce=int,
        choices=[(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year")],
        initial=90,
    )
    read_only = forms.BooleanField(
        label="Read only", required=False, help_text="It can read incidents but change nothing."
    )


# --- Subscribers (issue 16) -----------------------------------------------------------------


class SubscriberForm(forms.Form):
    """An executive who gets the incident's notices by mail (briefs.notifications)."""

    name = forms.CharField(label="Name", max_length=TITLE_LENGTH)
    email = forms.EmailField(
        label="Email",
        max_length=254,
        error_messages={"invalid": "Enter an email address like dana@example.com."},
    )
    cadence = forms.ChoiceField(
        label="Sends", choices=SubscriberCadence.choices, initial=SubscriberCadence.EACH_UPDATE
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "subscriber_%s")
        super().__init__(*args, **kwargs)

    def clean_name(self) -> str:
        # A name goes into a mail's To: header; line breaks there would start a header of
        # their own (the mail strips them too, briefs.notifications.one_line).
        return " ".join(str(self.cleaned_data["name"]).split())
