"""The database audit trail (ASVS 16.2.1, 16.4.2).

`security_auditlog` is written by PostgreSQL triggers (security/migrations/0001_initial.py) on
every INSERT, UPDATE and DELETE of cases, awards, policy items, rounds and dishonesty-list
entries, including set-based `QuerySet.update()` calls of the deadline jobs. The table itself
and the history tables (ApplicationEvent, AwardEvent, EnterpriseChange) are append-only: an
UPDATE or DELETE raises in the database. The application only reads it (read-only admin).
"""

from django.db import models
from django.db.models.functions import Now


class AuditLog(models.Model):
    class Op(models.TextChoices):
        INSERT = "INSERT", "新增"
        UPDATE = "UPDATE", "修改"
        DELETE = "DELETE", "删除"

    table_name = models.CharField("数据表", max_length=63, db_index=True)
    row_id = models.BigIntegerField("记录ID", db_index=True)
    op = models.CharField("操作", max_length=6, choices=Op.choices)
    old = models.JSONField("修改前", null=True, blank=True)
    new = models.JSONField("修改后", null=True, blank=True)
    at = models.DateTimeField("时间（UTC存储）", db_default=Now(), db_index=True)
    actor = models.TextField("操作人", blank=True, default="")
    txid = models.BigIntegerField("事务号", null=True, blank=True)

    class Meta:
        verbose_name = "审计日志"
        verbose_name_plural = "审计日志"
        ordering = ["-id"]
        indexes = [models.Index(fields=["table_name", "row_id", "id"], name="auditlog_row_idx")]

    def __str__(self) -> str:
        return f"{self.table_name}#{self.row_id} {self.op}"

    def changed_fields(self) -> list[str]:
        """Names of the columns an UPDATE changed (updated_at left out)."""
        if self.op != self.Op.UPDATE or not isinstance(self.old, dict) or not isinstance(self.new, dict):
            return []
        return sorted(k for k in self.new if k != "updated_at" and self.old.get(k) != self.new.get(k))
