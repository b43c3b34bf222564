import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from briefs.models import ImpactEstimate, Incident, IncidentUpdate, ShareLink


def _counts() -> tuple[int, int, int, int]:
    return (
        Incident.objects.count(),
        ImpactEstimate.objects.count(),
        IncidentUpdate.objects.count(),
        ShareLink.objects.count(),
    )


@override_settings(DEBUG=True)
def test_demo_builds_a_realistic_escalation(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("demo")
    incident = Incident.objects.get(title="Order processing outage")
    assert incident.system == "Checkout service"
    assert incident.estimates.count() == 3
    assert incident.updates.count() == 18
    assert 18 * 3600 <= incident.elapsed().total_seconds() < 19 * 3600
    login = Client().post("/login/", {"username": "architect", "password": "escalate-demo"})
    assert login.status_code == 302
    meeting = incident.meetings.get()
    assert meeting.decisions.count() == 2
    assert incident.action_items.count() == 4
    assert sum(item.is_overdue() for item in incident.action_items.all()) == 1
    resolved = Incident.objects.get(title="Product search outage")
    assert resolved.resolved_at is not None
    assert resolved.rca.root_cause_confirmed
    assert resolved.share_links.count() == 1
    out = capsys.readouterr().out
    assert "architect / escalate-demo" in out
    assert "Executive link to the demo brief: http://127.0.0.1:8000/b/" in out
    assert "Executive link to the resolved demo incident: http://127.0.0.1:8000/b/" in out


@override_settings(DEBUG=True)
def test_demo_is_idempotent(db: None) -> None:
    call_command("demo")
    first = _counts()
    call_command("demo")
    assert _counts() == first


@override_settings(DEBUG=False)
def test_demo_refuses_to_run_without_debug(db: None) -> None:
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo")
    assert Incident.objects.count() == 0


@override_settings(DEBUG=False)
def test_demo_runs_without_debug_when_forced(db: None) -> None:
    call_command("demo", "--force")
    assert Incident.objects.count() == 2
