"""What the presenter types during the meeting: one small form per kind of capture, the end of
the meeting, and a move of the screen. Each capture form's prefix is its kind, so the five
forms share one page (and one POST URL) without their fields colliding."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib.auth import get_user_model

from briefs.forms import CADENCE_CHOICES, VersionedForm
from briefs.models import (
    NOTE_LENGTH,
    SENTENCE_LENGTH,
    TITLE_LENGTH,
    ActionKind,
    CaptureKind,
    CeoDecision,
)


class CaptureForm(forms.Form):
    kind: ClassVar[CaptureKind]

    def capture_fields(self) -> dict[str, Any]:
        """The cleaned data as `Capture` fields (services.presentation_capture_add)."""
        return dict(self.cleaned_data)


class DecisionCaptureForm(CaptureForm):
    kind = CaptureKind.DECISION
    text = forms.CharField(label="Decision taken", max_length=SENTENCE_LENGTH * 2)
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
            ask.queryset = CeoDecision.objects.none()
        else:
            ask.queryset = asks


class CommitmentCaptureForm(CaptureForm):
    kind = CaptureKind.COMMITMENT
    text = forms.CharField(label="What we promised", max_length=SENTENCE_LENGTH * 2)
    due_on = forms.DateField(
        label="By", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class ActionCaptureForm(CaptureForm):
    kind = CaptureKind.ACTION
    text = forms.CharField(label="Action", max_length=SENTENCE_LENGTH * 2)
    owner = forms.ModelChoiceField(
        label="Owner",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Someone outside the app",
    )
    owner_name = forms.CharField(
        label="Owner outside the app", max_length=TITLE_LENGTH, required=False
    )
    due_on = forms.DateField(label="Due on", widget=forms.DateInput(attrs={"type": "date"}))
    action_kind = forms.ChoiceField(label="Kind", choices=ActionKind.choices)

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields["owner"]
        assert isinstance(owner, forms.ModelChoiceField)
        if people is not None:
            owner.queryset = people

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("owner") and not data.get("owner_name"):
            self.add_error("owner_name", "Name an owner: someone in the app or outside it.")
        return data

    def capture_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("owner") is not None:
            data["owner_name"] = ""
        return data


class ResourcesCaptureForm(CaptureForm):
    kind = CaptureKind.RESOURCES
    text = forms.CharField(label="Resources granted", max_length=SENTENCE_LENGTH * 2)


class CadenceCaptureForm(CaptureForm):
    kind = CaptureKind.CADENCE
    cadence_minutes = forms.TypedChoiceField(
        label="Updates from now on", coerce=int, choices=CADENCE_CHOICES
    )


_CAPTURE_FORM_CLASSES: list[type[CaptureForm]] = [
    DecisionCaptureForm,
    CommitmentCaptureForm,
    ActionCaptureForm,
    ResourcesCaptureForm,
    CadenceCaptureForm,
]
CAPTURE_FORMS = {form.kind.value: form for form in _CAPTURE_FORM_CLASSES}


class EndMeetingForm(VersionedForm):
    attendees = forms.CharField(
        label="Who attended", max_length=NOTE_LENGTH, help_text="For example: CEO, CFO, VP Eng."
    )


class ShowForm(forms.Form):
    """A move: to a cue card, to a question's section (keys 1-6), or a step either way."""

    card = forms.IntegerField(required=False, min_value=0)
    question = forms.IntegerField(required=False, min_value=1, max_value=6)
    step = forms.ChoiceField(required=False, choices=[("next", "Next"), ("previous", "Previous")])
