"""Filtering by a long list of ids, cheaply.

`field__in=[5 000 ids]` makes Django and psycopg handle 5 000 separate parameters per query
(most of a batch's Python time in the deadline jobs). On PostgreSQL `column = ANY(%s)` with one
array parameter does the same filtering; other databases keep `__in`. Callers: deadlines.jobs
and deadlines.notify.
"""

from collections.abc import Iterable

from django.db import connection
from django.db.models import BooleanField, Model, Q
from django.db.models.expressions import RawSQL


def in_ids(model: type[Model], ids: Iterable[int | str], *, field: str = "pk") -> Q | RawSQL:
    """A filter() argument: rows of `model` whose `field` (pk, a foreign key or a plain column)
    is one of `ids` (all of one type)."""
    values = sorted(set(ids))
    if connection.vendor != "postgresql":
        return Q(**{f"{field}__in": values})
    meta = model._meta
    target = meta.pk if field == "pk" else meta.get_field(field)
    column = getattr(target, "column", None)
    if not isinstance(column, str):  # a reverse relation or a field without a column of its own
        raise TypeError(f"in_ids: {model.__name__}.{field} has no column")
    qn = connection.ops.quote_name
    return RawSQL(f"{qn(meta.db_table)}.{qn(column)} = ANY(%s)", (values,), output_field=BooleanField())
