"""A cheaper audit of UPDATE statements (issue #9, P3): same rows in security_auditlog, a third
of the trigger's cost.

0001's `security_audit_update` turned every old and new row into jsonb, joined them on the
text of their `id`, and expanded both into key/value sets to find the changed columns: per row
two `to_jsonb`, two `jsonb_each` of ~30 pairs, a join and two aggregates. Measured on awards
(50 000 rows in one UPDATE, same machine, interleaved): UPDATE alone ≈ 4.5 s, with 0001's
trigger ≈ 15 s, with this one ≈ 9 s.

This version compares the columns in their own types (`n.col IS DISTINCT FROM o.col`) and
keeps only the changed keys of `to_jsonb(row)` (`jsonb - text[]` drops the unchanged ones),
joining the transition tables on the native `id`. The statement is built per call from the
table's current columns (pg_attribute), so a column added later is audited without touching the
trigger, and run with EXECUTE (transition tables are visible to it). What a row of the audit
log holds does not change: `old`/`new` carry the changed columns only, `actor` is
`security_audit_actor()` (evaluated once per statement, same value as before), `txid`, `at`;
rows whose columns all stay equal are not logged, as before. Columns of types without an
equality operator (json, xml, point) are compared as text.

INSERT/DELETE keep the whole row; they now read `id` from the row instead of from its jsonb.
The append-only triggers and which tables are audited are unchanged (0001).
"""

import importlib

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION security_audit_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO security_auditlog (table_name, row_id, op, old, new, at, actor, txid)
  SELECT TG_TABLE_NAME, n.id, 'INSERT', NULL, to_jsonb(n), now(), security_audit_actor(), txid_current()
  FROM audit_new n;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION security_audit_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO security_auditlog (table_name, row_id, op, old, new, at, actor, txid)
  SELECT TG_TABLE_NAME, o.id, 'DELETE', to_jsonb(o), NULL, now(), security_audit_actor(), txid_current()
  FROM audit_old o;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION security_audit_update() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  same_keys text;
BEGIN
  -- One element per column: its name when the value did not change, else NULL.
  SELECT string_agg(format('CASE WHEN %s IS NOT DISTINCT FROM %s THEN %L END', n_col, o_col, attname), ', '
                    ORDER BY attnum)
    INTO same_keys
    FROM (
      SELECT a.attnum, a.attname,
             format(CASE WHEN t.typname IN ('json', '_json', 'xml', '_xml', 'point', '_point')
                         THEN 'n.%1$I::text' ELSE 'n.%1$I' END, a.attname) AS n_col,
             format(CASE WHEN t.typname IN ('json', '_json', 'xml', '_xml', 'point', '_point')
                         THEN 'o.%1$I::text' ELSE 'o.%1$I' END, a.attname) AS o_col
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
       WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped
    ) c;
  EXECUTE format(
    'INSERT INTO security_auditlog (table_name, row_id, op, old, new, at, actor, txid) '
    'SELECT $1, n.id, ''UPDATE'', to_jsonb(o) - k.same, to_jsonb(n) - k.same, now(), $2, $3 '
    'FROM audit_new n JOIN audit_old o ON o.id = n.id '
    'CROSS JOIN LATERAL (SELECT ARRAY[%s]::text[] AS same) k '
    'WHERE array_position(k.same, NULL) IS NOT NULL',
    same_keys)
  USING TG_TABLE_NAME::text, security_audit_actor(), txid_current();
  RETURN NULL;
END $fn$;
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTIONS, params=None)


def restore_0001(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        initial = importlib.import_module("security.migrations.0001_initial")
        schema_editor.execute(initial.FUNCTIONS, params=None)


class Migration(migrations.Migration):
    dependencies = [("security", "0001_initial")]

    operations = [migrations.RunPython(install, restore_0001)]
