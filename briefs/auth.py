"""Django's model backend, with a cheaper lookup of the logged-in user on every request."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.contrib.auth import backends
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper

_FIELDS = User._meta.concrete_fields
_ATTNAMES = [field.attname for field in _FIELDS]
_USER_SQL = "SELECT {columns} FROM {table} WHERE {pk} = %s".format(  # noqa: S608 - names from the model
    columns=", ".join(str(field.column) for field in _FIELDS),
    table=User._meta.db_table,
    pk=User._meta.pk.column,
)

Converter = tuple[int, Any, list[Callable[..., Any]]]


@cache
def _converters(alias: str) -> list[Converter]:
    """What the ORM would do to each column's value on this database (on SQLite, make the
    datetimes aware; on PostgreSQL, nothing)."""
    connection: BaseDatabaseWrapper = connections[alias]
    converters = []
    for index, field in enumerate(_FIELDS):
        column = field.get_col(User._meta.db_table)
        functions = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        if functions:
            converters.append((index, column, functions))
    return converters


class ModelBackend(backends.ModelBackend):
    """Logs in, checks passwords and permissions exactly as Django's `ModelBackend` does.

    Only `get_user`, which every logged-in request runs, differs: it loads the user with one
    query written once, where Django builds the same query with the ORM on each request and
    that costs more than running it (about 250 µs against 95 µs here). Everything the auth
    middleware does with the user afterwards (the session hash check, `is_active`) is unchanged.
    """

    def get_user(self, user_id: Any) -> User | None:
        try:
            pk = User._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        alias = router.db_for_read(User)
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(_USER_SQL, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        for index, column, functions in _converters(alias):
            for convert in functions:
                values[index] = convert(values[index], column, connection)
        user = User.from_db(alias, _ATTNAMES, values)
        return user if self.user_can_authenticate(user) else None
