"""Print the demo accounts of SPEC §9 as `seed_demo` left them in the database (used by `make run`).

Reads the database rather than repeating a list, so what it prints is what you can log in with.
Exit status 1 when an account of SPEC §9 is missing.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

PASSWORD = "Hz-demo-2026"
# SPEC §9 "Demo data", in its order.
USERNAMES = [
    "ent_a",
    "ent_c",
    "ent_b",
    "rev_shangcheng",
    "rev_xihu",
    "tax_shangcheng",
    "mkt_shangcheng",
    "drc_shangcheng",
    "fin_shangcheng",
    "city_approver",
    "fund_shangcheng",
    "policy_admin",
    "auditor",
]


def main() -> int:
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=USERNAMES).select_related("enterprise", "organisation")
    }
    width = max(len(name) for name in USERNAMES)
    print(f"演示账号（密码均为 {PASSWORD}）：")
    missing = []
    for name in USERNAMES:
        user = users.get(name)
        if user is None:
            missing.append(name)
            print(f"  {name:<{width}}  （缺少：seed_demo 没有创建这个账号）")
            continue
        where = user.enterprise or user.organisation or ""
        ok = "" if user.check_password(PASSWORD) else "  （注意：密码不是 " + PASSWORD + "）"
        role = str(user.get_role_display()).ljust(5, "\u3000")  # full-width pad: columns line up
        print(f"  {name:<{width}}  {role}  {where}{ok}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
