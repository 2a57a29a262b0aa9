"""What `manage.py generate_load` (perf/management/commands/generate_load.py) generates: the
marks that find generated rows again, the weights and state mixes, the history paths per state,
and the SQL helpers (`case_sql`, `values_sql`, `insert_select`) the steps build their
INSERT … SELECT statements with."""

from collections.abc import Sequence
from typing import Any

from django.core.management.base import CommandError
from django.db import connection, models

MARK = "QY"  # characters 9–10 of a generated enterprise's credit code
ROUND_PREFIX = "压测批次"
USER_PREFIX = "load_"
SHANGHAI = "Asia/Shanghai"

# Share of enterprises per district (urban districts hold most; the scenic area very few).
DISTRICT_WEIGHTS = {
    "shangcheng": 10,
    "gongshu": 10,
    "xihu": 10,
    "binjiang": 9,
    "xiaoshan": 13,
    "yuhang": 13,
    "linping": 7,
    "qiantang": 7,
    "fuyang": 6,
    "linan": 5,
    "tonglu": 3,
    "chunan": 2,
    "jiande": 3,
    "xihu_scenic": 1,
}
NAME_WORDS = "恒瑞华信达联创鼎盛泰新远博嘉和宏锦睿东海天正元中诚德"
INDUSTRIES = [
    "科技",
    "贸易",
    "制造",
    "电子",
    "物流",
    "生物",
    "医药",
    "软件",
    "机械",
    "食品",
    "纺织",
    "新材料",
    "网络",
    "能源",
]
SIZES = ["large", "medium", "small", "micro"]
SIZE_WEIGHTS = [3, 17, 45, 35]

# Application states by round kind: (state, cumulative share). Open rounds hold the drafts and the
# review queue; closed rounds mostly decided cases, a backlog, and the drafts that expired.
OPEN_STATES = [
    ("draft", 0.25),
    ("submitted", 0.53),
    ("district_review", 0.75),
    ("returned", 0.83),
    ("district_approved", 0.88),
    ("city_review", 0.91),
    ("withdrawn", 0.95),
    ("district_rejected", 1.0),
]
CLOSED_STATES = [
    ("approved", 0.50),
    ("district_rejected", 0.58),
    ("city_rejected", 0.62),
    ("withdrawn", 0.66),
    ("expired", 0.74),
    ("city_review", 0.80),
    ("district_approved", 0.85),
    ("district_review", 0.91),
    ("returned", 0.93),
    ("submitted", 1.0),
]
# History of a case by its state: (action, from, to, step) with step × the case's pace after submission.
APP_PATHS: dict[str, list[tuple[str, str, str, int]]] = {
    "draft": [("create", "", "draft", -1)],
    "expired": [("create", "", "draft", -1), ("expire", "draft", "expired", 6)],
    "submitted": [("create", "", "draft", -1), ("submit", "draft", "submitted", 0)],
    "withdrawn": [
        ("create", "", "draft", -1),
        ("submit", "draft", "submitted", 0),
        ("withdraw", "submitted", "withdrawn", 1),
    ],
}
_REVIEW = [
    ("create", "", "draft", -1),
    ("submit", "draft", "submitted", 0),
    ("accept", "submitted", "district_review", 1),
]
APP_PATHS["district_review"] = _REVIEW
APP_PATHS["returned"] = [*_REVIEW, ("return", "district_review", "returned", 2)]
APP_PATHS["district_rejected"] = [*_REVIEW, ("reject", "district_review", "district_rejected", 2)]
APP_PATHS["district_approved"] = [*_REVIEW, ("approve", "district_review", "district_approved", 2)]
_CITY = [*APP_PATHS["district_approved"], ("submit_to_city", "district_approved", "city_review", 3)]
APP_PATHS["city_review"] = _CITY
APP_PATHS["approved"] = [*_CITY, ("city_approve", "city_review", "approved", 4)]
APP_PATHS["city_rejected"] = [*_CITY, ("city_reject", "city_review", "city_rejected", 4)]
REASONS = {
    "return": "请补充上年度审计报告及纳税证明。",
    "reject": "经核查，企业不符合申报条件。",
    "approve": "材料齐全，符合申报条件。",
    "city_reject": "经市级审定，不予支持。",
    "withdraw": "企业主动撤回。",
    "expire": "申报批次已截止，草稿未在截止前提交，逾期未申报。",
}
# Award states once the claim deadline has passed / while it is still ahead: (state, cumulative share).
AWARD_STATES_PAST = [
    ("claimable", 0.10),  # due: the forfeiture job has not swept it yet
    ("claimed", 0.25),
    ("paid", 0.80),
    ("forfeited", 0.92),
    ("recovering", 0.935),
    ("recovered", 0.95),
    ("cancelled", 1.0),
]
AWARD_STATES_AHEAD = [("claimable", 0.70), ("claimed", 0.90), ("paid", 0.95), ("cancelled", 1.0)]
AWARD_PATHS: dict[str, list[tuple[str, str, str, str]]] = {
    # (action, from, to, column holding the instant)
    "claimable": [("publish", "", "claimable", "created_at")],
    "claimed": [("publish", "", "claimable", "created_at"), ("claim", "claimable", "claimed", "claimed_at")],
    "forfeited": [("publish", "", "claimable", "created_at"), ("forfeit", "claimable", "forfeited", "claim_deadline")],
    "cancelled": [("publish", "", "claimable", "created_at"), ("cancel", "claimable", "cancelled", "updated_at")],
}
AWARD_PATHS["paid"] = [*AWARD_PATHS["claimed"], ("pay", "claimed", "paid", "paid_at")]
AWARD_PATHS["recovering"] = [*AWARD_PATHS["paid"], ("recover", "paid", "recovering", "recovery_started_at")]
AWARD_PATHS["recovered"] = [*AWARD_PATHS["recovering"], ("recovered", "recovering", "recovered", "recovered_at")]


def case_sql(column: str, table: Sequence[tuple[str, float]]) -> str:
    """SQL CASE picking a state from a uniform random `column` and cumulative shares."""
    arms = " ".join(f"WHEN {column} < {share} THEN '{state}'" for state, share in table[:-1])
    return f"CASE {arms} ELSE '{table[-1][0]}' END"


def values_sql(rows: Sequence[Sequence[Any]]) -> str:
    def lit(v: Any) -> str:
        return str(v) if isinstance(v, int) else "'" + str(v).replace("'", "''") + "'"

    return ", ".join("(" + ", ".join(lit(v) for v in row) + ")" for row in rows)


def insert_select(model: type[models.Model], exprs: dict[str, str], tail: str, params: Sequence[Any] = ()) -> int:
    """INSERT INTO <model's table> SELECT … `tail`: `exprs` gives SQL per column; every other
    concrete column gets the field's Python default as a parameter, so a field added later with a
    default does not break the generator. `exprs` must not contain %-placeholders."""
    columns, select, defaults = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        column = field.column
        assert column is not None, "a concrete field always has a column"  # narrows str | None
        columns.append(connection.ops.quote_name(column))
        if column in exprs:
            select.append(exprs.pop(column))
        else:
            select.append("%s")
            defaults.append(field.get_db_prep_save(field.get_default(), connection))
    if exprs:
        raise CommandError(f"{model._meta.db_table} 没有这些列：{', '.join(exprs)}")
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(select)} {tail}"
    with connection.cursor() as cur:
        cur.execute(sql, [*defaults, *params])
        return cur.rowcount
