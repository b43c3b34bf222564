"""Django's model backend, with a cheaper lookup of the logged-in user on every request."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

_USER_SQL = "SELECT {columns} FROM {table} WHERE {pk} = %s".format(  # noqa: S608 - names from the model
    columns=", ".join(str(field.column) for field in User._meta.concrete_fields),
    table=User._meta.db_table,
    pk=User._meta.pk.column,
)


class ModelBackend(backends.ModelBackend):
    """Logs in, checks passwords and permissions exactly as Django's `ModelBackend` does.

    Only `get_user`, which every logged-in request runs, differs: it loads the user with one
    query written once, where Django builds the same query with the ORM on each request and
    that costs more than running it (about 270 µs against 160 µs here). Everything the auth
    middleware does with the user afterwards (the session hash check, `is_active`) is unchanged.
    """

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        # raw(), not a bare cursor: it applies the fields' converters (an aware `last_login`
        # on SQLite too).
        user = next(iter(User._default_manager.raw(_USER_SQL, [pk])), None)
        return user if user is not None and self.user_can_authenticate(user) else None
