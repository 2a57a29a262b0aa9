"""The audit trail and the append-only history, enforced by PostgreSQL (SECURITY.md, "Audit").

1. `security_auditlog`, filled by statement-level AFTER INSERT/UPDATE/DELETE triggers (with
   transition tables, so a set-based `QuerySet.update()` of 10 000 rows costs one INSERT … SELECT)
   on cases, awards, policy items, rounds and dishonesty-list entries. INSERT and DELETE keep
   the whole row; UPDATE keeps the changed columns only (old and new); `actor` comes from
   `current_setting('app.actor')` (security/audit.py), else `db:<database role>`.
2. BEFORE UPDATE OR DELETE row triggers that raise on the history tables and on the audit table
   itself: the application can append to them, never change or remove a row.

SQLite (the local demo) gets the table only: the guarantees are PostgreSQL's.
"""

import django.db.models.functions.datetime
from django.db import migrations, models

AUDITED = [
    "applications_application",
    "awards_award",
    "policies_policyitem",
    "policies_round",
    "enterprises_dishonestyentry",
]
APPEND_ONLY = [
    "applications_applicationevent",
    "awards_awardevent",
    "enterprises_enterprisechange",
    "security_auditlog",
]

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION security_audit_actor() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('app.actor', true), ''), 'db:' || session_user)
$$;

CREATE OR REPLACE FUNCTION security_audit_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO security_auditlog (table_name, row_id, op, old, new, at, actor, txid)
  SELECT TG_TABLE_NAME, (r.j ->> 'id')::bigint, 'INSERT', NULL, r.j, now(), security_audit_actor(), txid_current()
  FROM (SELECT to_jsonb(n) AS j FROM audit_new n) r;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION security_audit_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO security_auditlog (table_name, row_id, op, old, new, at, actor, txid)
  SELECT TG_TABLE_NAME, (r.j ->> 'id')::bigint, 'DELETE', r.j, NULL, now(), security_audit_actor(), txid_current()
  FROM (SELECT to_jsonb(o) AS j FROM audit_old o) r;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION security_audit_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO security_auditlog (table_name, row_id, op, old, new, at, actor, txid)
  SELECT TG_TABLE_NAME, (n.j ->> 'id')::bigint, 'UPDATE', d.old, d.new, now(), security_audit_actor(), txid_current()
  FROM (SELECT to_jsonb(x) AS j FROM audit_new x) n
  JOIN (SELECT to_jsonb(y) AS j FROM audit_old y) o ON (o.j ->> 'id') = (n.j ->> 'id')
  CROSS JOIN LATERAL (
    SELECT jsonb_object_agg(ne.key, oe.value) AS old, jsonb_object_agg(ne.key, ne.value) AS new
    FROM jsonb_each(n.j) ne JOIN jsonb_each(o.j) oe ON oe.key = ne.key
    WHERE ne.value IS DISTINCT FROM oe.value
  ) d
  WHERE d.new IS NOT NULL;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION security_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '审计记录只能追加，不能修改或删除：% 上的 % 被拒绝（append-only）', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def _create_sql() -> str:
    parts = [FUNCTIONS]
    for table in AUDITED:
        parts.append(
            f"""
CREATE TRIGGER security_audit_ins AFTER INSERT ON {table}
  REFERENCING NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION security_audit_insert();
CREATE TRIGGER security_audit_upd AFTER UPDATE ON {table}
  REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION security_audit_update();
CREATE TRIGGER security_audit_del AFTER DELETE ON {table}
  REFERENCING OLD TABLE AS audit_old FOR EACH STATEMENT EXECUTE FUNCTION security_audit_delete();
"""
        )
    for table in APPEND_ONLY:
        parts.append(
            f"CREATE TRIGGER security_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION security_append_only();\n"
        )
    return "\n".join(parts)


def _drop_sql() -> str:
    parts = []
    for table in AUDITED:
        for name in ("security_audit_ins", "security_audit_upd", "security_audit_del"):
            parts.append(f"DROP TRIGGER IF EXISTS {name} ON {table};")
    for table in APPEND_ONLY:
        parts.append(f"DROP TRIGGER IF EXISTS security_append_only ON {table};")
    for fn in ("security_audit_insert", "security_audit_update", "security_audit_delete", "security_append_only"):
        parts.append(f"DROP FUNCTION IF EXISTS {fn}();")
    parts.append("DROP FUNCTION IF EXISTS security_audit_actor();")
    return "\n".join(parts)


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_create_sql(), params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_drop_sql(), params=None)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("applications", "0003_initial"),
        ("awards", "0002_initial"),
        ("policies", "0001_initial"),
        ("enterprises", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditLog",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("table_name", models.CharField(db_index=True, max_length=63, verbose_name="数据表")),
                ("row_id", models.BigIntegerField(db_index=True, verbose_name="记录ID")),
                (
                    "op",
                    models.CharField(
                        choices=[("INSERT", "新增"), ("UPDATE", "修改"), ("DELETE", "删除")],
                        max_length=6,
                        verbose_name="操作",
                    ),
                ),
                ("old", models.JSONField(blank=True, null=True, verbose_name="修改前")),
                ("new", models.JSONField(blank=True, null=True, verbose_name="修改后")),
                (
                    "at",
                    models.DateTimeField(
                        db_default=django.db.models.functions.datetime.Now(),
                        db_index=True,
                        verbose_name="时间（UTC存储）",
                    ),
                ),
                ("actor", models.TextField(blank=True, default="", verbose_name="操作人")),
                ("txid", models.BigIntegerField(blank=True, null=True, verbose_name="事务号")),
            ],
            options={
                "verbose_name": "审计日志",
                "verbose_name_plural": "审计日志",
                "ordering": ["-id"],
                "indexes": [models.Index(fields=["table_name", "row_id", "id"], name="auditlog_row_idx")],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
