"""The mail that tells an owner an alert opened a draft escalation (until issue 16's engine)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from briefs.models import Incident, Status


def send_alert_draft_mail(incident_id: int) -> str:
    """Plain text only: every value in it came from an alert payload."""
    incident = (
        Incident.objects.select_related("owner")
        .prefetch_related("alert_groups__integration")
        .filter(pk=incident_id)
        .first()
    )
    if incident is None or incident.status != Status.DRAFT:
        return "skipped"  # discarded or escalated before the worker got to it
    if not incident.owner.email:
        return "no address"
    group = incident.alert_groups.all()[0]
    url = settings.SITE_URL + reverse("briefs:incident_resume", args=[incident.public_id])
    lines = [
        f"{group.integration} opened a draft escalation from an alert:",
        "",
        f"  {incident.title}",
    ]
    if incident.system:
        lines.append(f"  Affected system: {incident.system}")
    if group.source_url:
        lines.append(f"  Source: {group.source_url}")
    lines += ["", f"Review it and decide whether to escalate: {url}"]
    send_mail(
        subject=f"Draft escalation from an alert: {incident.title}"[:200],
        message="\n".join(lines),
        from_email=None,
        recipient_list=[incident.owner.email],
    )
    return "sent"
