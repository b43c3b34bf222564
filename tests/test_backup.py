"""`manage.py backup` and `manage.py restore` (`make backup`, `make restore FILE=...`).

Round trips on whichever database the suite runs on: pg_dump/pg_restore on PostgreSQL,
dumpdata/loaddata on SQLite. Transactional tests, because pg_restore works from another
connection and must see committed rows, and no open transaction may hold its tables.
"""

import gzip
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.test import Client

from briefs import backups
from briefs.models import (
    ActionItem,
    ActionKind,
    EstimateConfidence,
    ImpactEstimate,
    Incident,
    IncidentUpdate,
    Meeting,
    MeetingDecision,
    OperatingState,
    ShareLink,
)
from briefs.seed import make_incident
from briefs.services import (
    ActionInput,
    EstimateInput,
    action_item_add,
    action_item_complete,
    share_link_create,
    share_link_revoke,
    update_post,
)
from tests.factories import PASSWORD

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# The brief states its figures as of the current minute.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("frozen")]


@pytest.fixture
def token(incident: Incident, owner: User, collaborator: User) -> str:
    """An incident with two updates, a revised estimate, an executive link and an action item."""
    update_post(
        incident=incident,
        author=owner,
        what_changed="Card payments fail over to the standby provider.",
        operating_state=OperatingState.DEGRADED,
        next_update_due=NOW + timedelta(minutes=30),
        posted_at=NOW - timedelta(minutes=50),
    )
    update_post(
        incident=incident,
        author=collaborator,
        what_changed="Orders flow again at 40% of normal.",
        operating_state=OperatingState.LIMITED,
        next_update_due=NOW + timedelta(minutes=40),
        eta_earliest=NOW + timedelta(hours=2),
        eta_latest=NOW + timedelta(hours=4),
        estimate=EstimateInput(
            Decimal("30000"), 6_000, EstimateConfidence.HIGH, basis="Measured orders per hour."
        ),
        posted_at=NOW - timedelta(minutes=20),
    )
    _link, token = share_link_create(incident=incident, created_by=owner, label="CEO")
    action_item_add(
        incident=incident,
        data=ActionInput(
            "Alert on card authorisation latency",
            ActionKind.MONITORING,
            due_on=date(2026, 3, 8),
            owner=collaborator,
        ),
    )
    return token


def snapshot(client: Client, owner: User, incident: Incident, token: str) -> dict[str, Any]:
    """What a restore must bring back: both Markdown briefs, and what they do not show."""
    # Sessions are not backed up: a restore logs everyone out.
    client.force_login(owner)
    architect = client.get(f"/incidents/{incident.public_id}/brief.md")
    executive = client.get(f"/b/{token}/brief.md")
    assert architect.status_code == executive.status_code == 200
    return {
        "architect": architect.content.decode(),
        "executive": executive.content.decode(),
        "actions": list(
            ActionItem.objects.order_by("pk").values_list(
                "description", "kind", "owner__username", "due_on", "done_at"
            )
        ),
        "links": list(
            ShareLink.objects.order_by("pk").values_list(
                "label", "token_hash", "expires_at", "revoked_at", "created_by__username"
            )
        ),
        "history": [
            list(model.history.order_by("pk").values_list("pk", "history_type", "history_date"))
            for model in (Incident, ImpactEstimate, ShareLink, ActionItem)
        ],
        "counts": [model.objects.count() for model in (User, Incident, IncidentUpdate)],
    }


def backup(path: Path) -> Path:
    call_command("backup", output=path, stdout=StringIO())
    return path


def restore(path: Path) -> str:
    out = StringIO()
    call_command("restore", path, interactive=False, stdout=out)
    return out.getvalue()


def backup_file(tmp_path: Path) -> Path:
    return tmp_path / ("brief.dump" if connection.vendor == "postgresql" else "brief.json.gz")


def drop_every_table() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in connection.introspection.table_names(cursor):
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(table)}")
            cursor.execute("PRAGMA foreign_keys = ON")


def assert_timeline_append_only() -> None:
    """On PostgreSQL the trigger of migration 0002 came back with the table."""
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError, match="append-only"):
            IncidentUpdate.objects.update(what_changed="Rewritten")
    assert not IncidentUpdate.objects.filter(what_changed="Rewritten").exists()


def assert_new_rows_fit(owner: User, incident: Incident) -> None:
    """The id sequences came back too: new rows do not collide with restored ones."""
    update = update_post(
        incident=Incident.objects.get(pk=incident.pk),
        author=owner,
        what_changed="Posted after the restore.",
        next_update_due=NOW + timedelta(hours=1),
    )
    assert update.sequence == 3
    assert make_incident(owner=owner).pk > incident.pk


def test_restore_brings_back_the_brief_over_changed_data(
    client: Client, owner: User, incident: Incident, token: str, tmp_path: Path
) -> None:
    before = snapshot(client, owner, incident, token)
    path = backup(backup_file(tmp_path))

    incident.title = "Renamed after the backup"
    incident.save()
    update_post(
        incident=incident,
        author=owner,
        what_changed="Posted after the backup.",
        next_update_due=NOW + timedelta(hours=1),
        posted_at=NOW - timedelta(minutes=5),
    )
    action_item_complete(item=ActionItem.objects.get())
    share_link_revoke(link=ShareLink.objects.get())
    make_incident(owner=owner, title="Created after the backup")
    assert client.get(f"/b/{token}/brief.md").status_code == 404

    assert restore(path).startswith("Restored the ")
    assert snapshot(client, owner, incident, token) == before
    assert not Incident.objects.filter(title__contains="after the backup").exists()
    assert_new_rows_fit(owner, incident)


def test_restore_into_an_empty_database(
    client: Client, owner: User, incident: Incident, token: str, tmp_path: Path
) -> None:
    before = snapshot(client, owner, incident, token)
    path = backup(backup_file(tmp_path))
    drop_every_table()
    try:
        restore(path)
        assert snapshot(client, owner, incident, token) == before
        assert_timeline_append_only()
        assert_new_rows_fit(owner, incident)
    finally:
        # If the restore failed, the tests after this one still need a schema.
        call_command("migrate", verbosity=0)


def test_the_timeline_stays_append_only_after_a_restore(
    incident: Incident, token: str, tmp_path: Path
) -> None:
    restore(backup(backup_file(tmp_path)))
    assert_timeline_append_only()


def test_a_backup_leaves_out_sessions(
    client: Client, owner: User, incident: Incident, tmp_path: Path
) -> None:
    client.force_login(owner)
    restore(backup(backup_file(tmp_path)))
    assert client.get(f"/incidents/{incident.public_id}/").status_code == 302


def test_history_naming_a_deleted_user_is_backed_up(
    owner: User, collaborator: User, incident: Incident, tmp_path: Path
) -> None:
    # The audit trail keeps the id of an action item's owner after the user is deleted.
    item = action_item_add(
        incident=incident,
        data=ActionInput("Rotate the keys", ActionKind.CORRECTIVE, owner=collaborator),
    )
    deleted = collaborator.pk
    collaborator.delete()
    item.refresh_from_db()
    assert item.owner is None
    restore(backup(backup_file(tmp_path)))
    assert ActionItem.history.filter(owner_id=deleted).exists()


def test_backup_goes_to_var_backups_with_a_timestamp_and_prints_its_path(
    incident: Incident, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backups, "BACKUP_DIR", tmp_path / "backups")
    out = StringIO()
    call_command("backup", stdout=out)
    path = Path(out.getvalue().strip())
    assert path.parent == tmp_path / "backups"
    assert re.fullmatch(r"escalation-20260301T120000Z\.(dump|json\.gz)", path.name)
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_backup_never_overwrites_a_file(incident: Incident, tmp_path: Path) -> None:
    path = backup_file(tmp_path)
    path.write_text("an older backup")
    with pytest.raises(CommandError, match="already exists"):
        backup(path)
    assert path.read_text() == "an older backup"


def test_restore_asks_first_and_a_no_changes_nothing(
    incident: Incident, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = backup(backup_file(tmp_path))
    Incident.objects.update(title="Kept")
    answers = iter(["no"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    with pytest.raises(CommandError, match="cancelled"):
        call_command("restore", path)
    assert Incident.objects.get().title == "Kept"


def test_a_damaged_backup_changes_nothing(
    client: Client, owner: User, incident: Incident, token: str, tmp_path: Path
) -> None:
    path = backup(backup_file(tmp_path))
    damaged = tmp_path / f"damaged-{path.name}"
    damaged.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    incident.title = "Kept"
    incident.save()
    before = snapshot(client, owner, incident, token)
    with pytest.raises(CommandError, match="Nothing restored"):
        restore(damaged)
    assert snapshot(client, owner, incident, token) == before


def test_restore_refuses_a_backup_from_the_other_kind_of_database(
    incident: Incident, tmp_path: Path
) -> None:
    if connection.vendor == "postgresql":
        path = tmp_path / "from-sqlite.json"
        path.write_text("[]")
        expected = "not a pg_dump custom-format file"
    else:
        path = tmp_path / "from-postgresql.dump"
        path.write_bytes(b"PGDMP\x01\x0e\x00")
        expected = "is a PostgreSQL backup"
    # Refused before the question: pytest fails any read from stdin.
    with pytest.raises(CommandError, match=expected):
        call_command("restore", path)
    with pytest.raises(CommandError, match="is not a file"):
        call_command("restore", tmp_path / "missing.dump")
    assert Incident.objects.get() == incident


def test_tables_newer_than_the_backup_are_dropped(
    owner: User, incident: Incident, tmp_path: Path
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("on SQLite the schema comes from the code: `migrate`, then the rows")
    # As if the backup predates the migration that added meeting decisions.
    with connection.schema_editor() as editor:
        editor.delete_model(MeetingDecision)
    path = backup(backup_file(tmp_path))
    with connection.schema_editor() as editor:
        editor.create_model(MeetingDecision)
    meeting = Meeting.objects.create(
        incident=incident, held_at=NOW, attendees="CEO", recorded_by=owner
    )
    MeetingDecision.objects.create(meeting=meeting, decision="Pause releases", decided_by="CEO")
    try:
        restore(path)
        assert "briefs_meetingdecision" not in connection.introspection.table_names()
        assert not Meeting.objects.exists()
    finally:
        if "briefs_meetingdecision" not in connection.introspection.table_names():
            with connection.schema_editor() as editor:
                editor.create_model(MeetingDecision)


# --- Links revoked since the backup, and login records ----------------------------------------


def test_restore_lists_the_links_it_brings_back_and_revoke_links_ends_them(
    client: Client, owner: User, incident: Incident, token: str, tmp_path: Path
) -> None:
    link = ShareLink.objects.get()
    still_revoked, _ = share_link_create(incident=incident, created_by=owner, label="Board")
    share_link_revoke(link=still_revoked)
    path = backup(backup_file(tmp_path))
    share_link_revoke(link=link)
    assert client.get(f"/b/{token}").status_code == 404

    output = restore(path)

    # The link revoked after the backup works again, and the restore says so.
    assert client.get(f"/b/{token}").status_code == 200
    assert f"incident {incident.public_id}" in output
    assert "“CEO”" in output
    assert "“Board”" not in output  # revoked in the backup too
    assert "revoke_links --incident" in output

    out = StringIO()
    call_command("revoke_links", incident=str(incident.public_id), stdout=out)
    assert "1 link(s) revoked" in out.getvalue()
    assert client.get(f"/b/{token}").status_code == 404
    # Revocations are audited like the architect's own.
    assert ShareLink.history.filter(public_id=link.public_id, revoked_at__isnull=False).exists()


def test_a_restore_that_changes_no_link_lists_none(
    incident: Incident, token: str, tmp_path: Path
) -> None:
    output = restore(backup(backup_file(tmp_path)))
    assert "executive link" not in output


def test_revoke_links_all_ends_every_incidents_links(
    client: Client, owner: User, incident: Incident, token: str
) -> None:
    other = make_incident(owner=owner, title="Search outage")
    _, other_token = share_link_create(incident=other, created_by=owner, label="CFO")
    out = StringIO()
    call_command("revoke_links", "--all", stdout=out)
    assert "2 link(s) revoked" in out.getvalue()
    assert client.get(f"/b/{token}").status_code == 404
    assert client.get(f"/b/{other_token}").status_code == 404


def test_revoke_links_needs_an_incident_or_all(incident: Incident) -> None:
    with pytest.raises(CommandError, match="one of the arguments"):
        call_command("revoke_links")
    with pytest.raises(CommandError, match="No incident has the id"):
        call_command("revoke_links", incident="00000000-0000-0000-0000-000000000000")


def test_a_backup_leaves_out_the_login_records(
    client: Client, owner: User, incident: Incident, tmp_path: Path
) -> None:
    client.post("/login/", {"username": "owner", "password": "wrong-password-1"})
    client.post("/login/", {"username": "owner", "password": PASSWORD})
    assert AccessAttempt.objects.exists() or AccessLog.objects.exists()
    path = backup(backup_file(tmp_path))
    if path.suffix == ".gz":
        with gzip.open(path, "rt") as dump:
            assert '"axes.' not in dump.read()
    restore(path)
    assert not AccessAttempt.objects.exists()
    assert not AccessLog.objects.exists()
    assert not AccessFailureLog.objects.exists()
