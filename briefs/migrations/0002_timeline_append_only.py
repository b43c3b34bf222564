"""Timeline entries cannot be changed or deleted, even by raw SQL (PostgreSQL only).

The app never updates or deletes an IncidentUpdate; this trigger makes the database refuse it
too. The demo's reset may delete inside a transaction that sets `briefs.timeline_unlocked`
(see briefs.services.timeline_unlocked). TRUNCATE is left alone: test teardown uses it. `%%` is how psycopg spells a literal `%`.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION briefs_timeline_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('briefs.timeline_unlocked', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'timeline entries are append-only: %% refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER briefs_incidentupdate_append_only
BEFORE UPDATE OR DELETE ON briefs_incidentupdate
FOR EACH ROW EXECUTE FUNCTION briefs_timeline_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS briefs_incidentupdate_append_only ON briefs_incidentupdate;
DROP FUNCTION IF EXISTS briefs_timeline_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("briefs", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
