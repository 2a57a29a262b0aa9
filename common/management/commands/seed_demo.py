from django.core.management.base import BaseCommand

from common.demo import seed_demo
from common.demo_refdata import DEMO_PASSWORD, OFFICIALS


class Command(BaseCommand):
    help = "载入种子政策和演示数据（SPEC §9），可重复执行。"

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        result = seed_demo()
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。"))
        self.stdout.write(f"政策：{result['policies']}")
        self.stdout.write(f"开放中的申报批次：{result['open_rounds']}；本次新建演示案件：{result['cases_created']}")
        self.stdout.write("演示案件状态：" + "，".join(f"{k} {v}" for k, v in result["states"].items()))
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, label in [
            ("ent_a", "企业用户 杭州示例商贸有限公司（上城区）"),
            ("ent_c", "企业用户 杭州示范零售有限公司（上城区）"),
            ("ent_b", "企业用户 杭州样例制造有限公司（西湖区）"),
        ]:
            self.stdout.write(f"  {username:<18} {label}")
        for username, display, _role, _org in OFFICIALS:
            self.stdout.write(f"  {username:<18} {display}")
