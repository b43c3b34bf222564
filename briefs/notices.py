"""What a notification says, whatever carries it (email, Slack, Microsoft Teams).

The notification engine (briefs/notifications.py) composes one `Notice` per moment and
recipient; each channel turns it into its own format (an email's HTML and text parts, a Slack
Block Kit message, a Teams Adaptive Card). Every field is plain text: a channel escapes it for
its own markup, and nothing here is trusted as markup.
"""

from dataclasses import dataclass, field

from django.db import models


class NoticeKind(models.TextChoices):
    ESCALATED = "escalated", "Escalated to the CEO"
    UPDATE = "update", "Update posted"
    DIGEST = "digest", "Digest of updates"
    RESOLVED = "resolved", "Resolved"
    REMINDER_DUE = "reminder_due", "Update due soon"
    REMINDER_OVERDUE = "reminder_overdue", "Update overdue"
    ALERT_DRAFT = "alert_draft", "Draft opened by an alert"
    MEETING = "meeting", "Meeting with the CEO"


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    # The whole subject line, e.g. "[SEV1] Order processing outage: $762,000 so far, fixed by
    # 10:39–13:39 UTC". One line: the engine strips line breaks before it gets here.
    subject: str
    # One sentence that leads the message.
    headline: str
    # The figures, in order, each with its zone where it is a time:
    # [("Cost so far", "$762,000 as of 10:02 UTC"), ("Expected fix", "10:39–13:39 UTC"), ...]
    facts: list[tuple[str, str]] = field(default_factory=list)
    # Paragraphs: what changed, the ask with our recommendation, what is still open.
    paragraphs: list[str] = field(default_factory=list)
    # Absolute URL of the recipient's own executive link (or, for an architect's reminder, the
    # brief), and the words of the button that opens it.
    link_url: str = ""
    link_label: str = "Open the brief"
