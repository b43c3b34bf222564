"""Slack and Microsoft Teams incoming webhooks (issue 16): the interface, until chat lands."""

from dataclasses import dataclass

from briefs.models import Incident
from briefs.notices import Notice


class ChatDeliveryError(Exception):
    """A chat message was not delivered. `retryable` is False for what a retry cannot fix."""

    def __init__(self, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class ChatTarget:
    # Stable across runs: part of a delivery's idempotency key, e.g. "slack:<webhook public_id>".
    key: str
    channel: str  # "slack" | "teams"
    label: str  # shown in the delivery list: "Slack: #exec-incidents"
    url: str


def targets_for(incident: Incident) -> list[ChatTarget]:
    """The chat webhooks an incident's notices go to: the deployment's and the incident's own."""
    return []


def send(target: ChatTarget, notice: Notice) -> None:
    """Post one notice to one webhook, or raise ChatDeliveryError."""
    raise ChatDeliveryError("chat delivery is not built yet", retryable=False)
