"""`manage.py load_policies`: load policies/data/ into the database (idempotent)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from policies.loader import load_all
from policies.schema import PolicySchemaError


class Command(BaseCommand):
    help = "载入 policies/data/ 中的政策文件、同类政策组和政策事项（可重复运行）。"

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = load_all()
        except PolicySchemaError as error:
            raise CommandError(f"政策数据有误，未写入任何数据：\n{error.message}") from error
        for kind, label in (("documents", "政策文件"), ("groups", "同类政策组"), ("items", "政策事项")):
            c = counts[kind]
            self.stdout.write(f"{label}：新增 {c['created']}，更新 {c['updated']}，未变 {c['unchanged']}")
        self.stdout.write(
            self.style.SUCCESS(f"共 {counts['total_items']} 个事项，其中完整编码 {counts['detailed']} 个。")
        )
