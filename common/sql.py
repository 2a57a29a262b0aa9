"""Hand-written statements of the hot paths, from the models' own metadata (issue #9, P5).

- `column(model, name)`: a field's column name, for SQL written once per process;
- `insert_instance(instance)`: one INSERT without the ORM's per-call compiling.

`Model.save(force_insert=True)` compiles its INSERT every time: ≈ 0.5 ms of the upload's 6 ms,
for a statement that never changes. `insert_instance` writes the statement once per model and
process, from the model's own metadata, and runs it through common.pgbackend.statement_cursor
(prepared on PostgreSQL after a few runs). Values are what `save()` would write: each field's
`pre_save(add=True)` (auto_now_add, a FileField's name) and `get_db_prep_save`. The pre_save and
post_save signals are sent as `save()` sends them. Not for models with parents (multi-table
inheritance) or with a primary key set by the caller. Backends that cannot return the new key
from an INSERT get `save(force_insert=True)` itself.
"""

from typing import Any

from django.db import connections, router
from django.db.models import Model, signals

from common.pgbackend import statement_cursor

_SQL: dict[tuple[type, str], tuple[str, list[Any]]] = {}


def column(model: type[Model], name: str) -> str:
    """The database column of `model`'s field `name` (a foreign key's `<name>_id`)."""
    return str(model._meta.get_field(name).column)  # type: ignore[union-attr]  # a concrete field: has one


def _statement(model: type[Model], connection: Any) -> tuple[str, list[Any]]:
    key = (model, connection.alias)
    if key not in _SQL:
        meta = model._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        qn = connection.ops.quote_name
        _SQL[key] = (
            f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {qn(meta.pk.column)}",  # type: ignore[union-attr]
            fields,
        )
    return _SQL[key]


def insert_instance(instance: Model) -> Model:
    """Insert `instance` (a new row; its pk unset) as save(force_insert=True) would, and set its
    pk and saved state. Errors: the database's (IntegrityError for a broken constraint): call
    it inside the caller's transaction. Who calls: applications.materials."""
    model = type(instance)
    meta = model._meta
    using = router.db_for_write(model, instance=instance)
    connection = connections[using]
    if meta.parents or instance.pk is not None or not connection.features.can_return_columns_from_insert:
        instance.save(force_insert=True, using=using)
        return instance
    sql, fields = _statement(model, connection)
    signals.pre_save.send(sender=model, instance=instance, raw=False, using=using, update_fields=None)
    params = [f.get_db_prep_save(f.pre_save(instance, True), connection=connection) for f in fields]
    with statement_cursor(connection) as cursor:
        cursor.execute(sql, params)
        pk = cursor.fetchone()[0]
    setattr(instance, meta.pk.attname, pk)  # type: ignore[union-attr]
    instance._state.adding = False
    instance._state.db = using
    signals.post_save.send(sender=model, instance=instance, created=True, update_fields=None, raw=False, using=using)
    return instance
