"""Compiled read statements, kept per process and keyed by the query's structure (issue #9).

Building a queryset is cheap; turning it into SQL (values() with related columns, joins,
compilation) cost the case list ≈ 0.55 ms a page, a tenth of the request. `values_statement(qs,
fields)` gives the statement of `qs.values(*fields)` and keeps it, keyed by what decides the SQL:
the model, the fields, the WHERE tree (Django's own lookup equality: the same columns, lookups
and values), the joins, the ordering and the slice. A query with anything else (annotations,
extra, sub-queries or expressions as values, DISTINCT, locking, set operations) is compiled and
not kept, so a key can only match a query whose SQL is the same.

On PostgreSQL the statement is one literal text (Django's client-side binding, psycopg's
quoting: exactly what Django would send) for common.pgbackend's repeatable_cursor; elsewhere it
is the SQL and its parameters. Who calls: applications.fastlist.read_items. No side effects
beyond this process's memory (at most MAX_ENTRIES statements; dropped whole beyond that).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.expressions import Col
from django.db.models.lookups import Lookup
from django.db.models.sql.where import WhereNode

MAX_ENTRIES = 1024
_PLAIN = (int, str, bool, float, Decimal, date, datetime, time, timedelta, UUID, type(None))


@dataclass(frozen=True)
class Statement:
    sql: str
    params: tuple | None  # None: `sql` is a literal statement
    names: tuple[str, ...]  # the values() names, in column order
    converters: dict[int, tuple[list[Any], Any]]  # column → (Django's from_db converters, expression)


_cache: dict[tuple, Statement] = {}


def _plain_where(node: Any) -> bool:
    if isinstance(node, WhereNode):
        return type(node) is WhereNode and all(_plain_where(child) for child in node.children)
    if not isinstance(node, Lookup) or not isinstance(node.lhs, Col):
        return False
    rhs = node.rhs
    if isinstance(rhs, list | tuple | set | frozenset):
        return all(isinstance(v, _PLAIN) for v in rhs)
    return isinstance(rhs, _PLAIN)


def _key(queryset: QuerySet, fields: Sequence[str]) -> tuple | None:
    """What decides the SQL of `queryset.values(*fields)`, or None when not plainly knowable."""
    q = queryset.query
    plain = (
        not q.annotations
        and not q.extra
        and not q.extra_tables
        and not q.extra_order_by
        and q.combinator is None
        and not q.distinct
        and not q.distinct_fields
        and q.group_by is None
        and not q.select_for_update
        and not q.subquery
        and not q.select
        and not q.values_select
        and q.default_cols
        and q.deferred_loading == (frozenset(), True)
        and q.explain_info is None
        and all(isinstance(o, str) for o in q.order_by)
        and _plain_where(q.where)
    )
    if not plain:
        return None
    try:
        key = (
            queryset.db,
            q.model,
            tuple(fields),
            q.where,
            tuple(q.order_by),
            q.default_ordering,
            q.standard_ordering,
            q.low_mark,
            q.high_mark,
            tuple(q.alias_map.items()),
        )
        hash(key)
    except TypeError:  # an unhashable value somewhere: not kept
        return None
    return key


def _compile(queryset: QuerySet, fields: Sequence[str]) -> Statement:
    query = queryset.values(*fields).query
    compiler = query.get_compiler(using=queryset.db)
    names = tuple(query.values_select)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return Statement("", None, names, {})
    if query.extra_select or query.annotation_select or len(names) != len(fields):
        raise ValueError("values_statement: only plain values() of model fields")
    converters = compiler.get_converters([col for col, _, _ in compiler.select])
    connection = connections[queryset.db]
    if sql and hasattr(connection, "repeatable_cursor"):
        return Statement(connection.ops.compose_sql(sql, params), None, names, converters)  # type: ignore[attr-defined]  # PostgreSQL's
    return Statement(sql, tuple(params), names, converters)


def values_statement(queryset: QuerySet, fields: Sequence[str]) -> Statement:
    """The statement of `queryset.values(*fields)` (an empty `sql` when the query can match
    nothing, e.g. `.none()`), from this process's memory when a query of the same structure was
    compiled before. Errors: ValueError for values() beyond plain model fields."""
    key = _key(queryset, fields)
    if key is not None:
        known = _cache.get(key)
        if known is not None:
            return known
    statement = _compile(queryset, fields)
    if key is not None:
        if len(_cache) >= MAX_ENTRIES:
            _cache.clear()
        _cache[key] = statement
    return statement
