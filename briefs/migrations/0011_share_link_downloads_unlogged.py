"""The download counts are not worth a WAL flush: on PostgreSQL their table is UNLOGGED.

Every executive-link PDF download writes one count (briefs.pdf_downloads). Logged, each of those
commits waited for the write-ahead log to reach the disk, which made a download of a stored PDF
dearer than the executive page (make bench). A crash empties an unlogged table: the counts of
the current minute start again, which a rate limit can afford. SQLite has no such tables.
"""

from django.db import migrations

TABLE = "briefs_sharelinkdownloads"


def unlogged(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET UNLOGGED")


def logged(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} SET LOGGED")


class Migration(migrations.Migration):
    dependencies = [("briefs", "0010_share_link_downloads")]

    operations = [migrations.RunPython(unlogged, logged)]
