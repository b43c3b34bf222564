"""Django's `ModelBackend`, loading the signed-in user on each request with one query
written once.

Every architect request loads its user (`django.contrib.auth.get_user`), and Django's
`ModelBackend` builds that `SELECT` through the ORM each time. On the bench's PostgreSQL that
cost about 300 µs of CPU of a cached brief page's 1.5 ms (in-process, `time.process_time`,
2026-12-01), against 140-160 µs for `User.objects.raw` with the query written once; with
Django's backend the architect's brief measured 36-41% of `/healthz` in `make bench` against
its budget of 40% (docs/scaling.md). Signing in, passwords and permissions are Django's,
unchanged; so are the session-hash check and `is_active` (`user_can_authenticate`).
`tests/test_security.py` proves it returns what Django's backend returns.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

# Every path that signs a user in names this backend, so each request loads the user through it.
BACKEND = "briefs.auth.ModelBackend"

# Names from the model, the value as a parameter.
_USER_SQL = f"SELECT * FROM {User._meta.db_table} WHERE {User._meta.pk.column} = %s"  # noqa: S608


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = next(iter(User.objects.raw(_USER_SQL, [pk])), None)
        return user if user is not None and self.user_can_authenticate(user) else None
