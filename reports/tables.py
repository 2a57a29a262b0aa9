"""Every report table as data: a title, typed columns with Chinese headers, and rows.

The dashboard renders these, and the Excel/CSV exports write exactly the same tables, so what an
official downloads is what the page shows. Column kinds drive formatting: `int` and `money`
stay numbers in Excel (with a number format) and in CSV (plain digits, no ¥ or separators).
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from applications.workflow import State
from awards.workflow import AwardState

from .selectors import (
    CASE_FIELDS,
    REQUESTED_STATES,
    DashboardData,
    ReportFilters,
    ReportScope,
    case_rows,
)
from .stage_times import StageTime
from .targets import DeliveryTargets

TEXT, INT, MONEY, RATIO, DAYS, DATETIME = "text", "int", "money", "ratio", "days", "datetime"


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT


@dataclass
class ReportTable:
    key: str
    title: str
    columns: list[Column]
    rows: Iterable[Sequence[Any]]
    note: str = ""

    def cells(self) -> Iterator[list[tuple[Any, str]]]:
        """Rows as (value, column kind) pairs, for templates."""
        kinds = [c.kind for c in self.columns]
        for row in self.rows:
            yield list(zip(row, kinds, strict=True))


def _state_columns() -> list[Column]:
    return [Column(f"{label}（件）", INT) for _, label in State.choices]


def _metric_columns() -> list[Column]:
    # Totals and money first (what officials read at a glance), then the count of every state.
    return [
        Column("申报件数合计", INT),
        Column("已申报件数", INT),
        Column("申报金额（元）", MONEY),
        Column("审定金额（元）", MONEY),
        Column("已兑现金额（元）", MONEY),
        Column("追回中金额（元）", MONEY),
        Column("已追回金额（元）", MONEY),
        Column("逾期放弃金额（元）", MONEY),
        Column("作废金额（元）", MONEY),
        Column("待申领金额（元）", MONEY),
        Column("已申领金额（元）", MONEY),
        Column("审核超时（件）", INT),
        *_state_columns(),
    ]


def _metric_values(row: dict[str, Any]) -> list[Any]:
    return [
        row["n_total"],
        row["submitted_total"],
        row["requested"],
        row["approved"],
        row[f"award_{AwardState.PAID}"],
        row[f"award_{AwardState.RECOVERING}"],
        row[f"award_{AwardState.RECOVERED}"],
        row[f"award_{AwardState.FORFEITED}"],
        row[f"award_{AwardState.CANCELLED}"],
        row[f"award_{AwardState.CLAIMABLE}"],
        row[f"award_{AwardState.CLAIMED}"],
        row["overdue"],
        *(row[f"n_{s}"] for s in State.values),
    ]


NO_ROUND = "（无批次：免申即享名单）"


def summary_table(data: DashboardData) -> ReportTable:
    columns = [Column("事项编号"), Column("政策事项"), Column("申报批次"), Column("属地"), *_metric_columns()]
    rows = [
        [r["item_code"], r["item_name"], r["round_name"] or NO_ROUND, r["district_name"], *_metric_values(r)]
        for r in data.summary
    ]
    return ReportTable("summary", "分事项、批次、属地汇总", columns, rows, note=_amount_note())


def _amount_note() -> str:
    asked = "、".join(State(s).label for s in REQUESTED_STATES)
    return (
        f"申报金额为{asked}状态申报件的测算金额之和；审定金额为审定通过申报件的审定金额之和；"
        "已兑现、追回中、已追回、逾期放弃、作废等为对应状态奖励的金额之和。"
    )


def district_table(data: DashboardData) -> ReportTable:
    columns = [Column("属地"), *_metric_columns()]
    rows: list[list[Any]] = [[r["district_name"], *_metric_values(r)] for r in data.by_district]
    rows.append(["合计", *_metric_values(data.totals)])
    return ReportTable("districts", "分属地汇总", columns, rows, note=_amount_note())


def budget_table(data: DashboardData) -> ReportTable:
    columns = [
        Column("事项编号"),
        Column("政策事项"),
        Column("申报批次"),
        Column("批次预算（元）", MONEY),
        Column("审定金额（元）", MONEY),
        Column("免申即享等直接兑现（元）", MONEY),
        Column("已使用（元）", MONEY),
        Column("使用率", RATIO),
        Column("剩余（元）", MONEY),
    ]
    rows = [
        [
            r["item_code"],
            r["item_name"],
            r["round_name"],
            r["round_budget"],
            r["approved"],
            r["direct_committed"],
            r["budget_used"],
            r["budget_ratio"],
            r["budget_left"],
        ]
        for r in data.by_round
    ]
    note = "已使用 = 审定通过申报件的审定金额 + 本批次无申报件的奖励（未作废、未逾期放弃）金额。"
    if data.scope.district_id is not None:
        note += "属地用户仅统计本属地的使用额，预算为全市批次预算。"
    return ReportTable("budget", "批次预算使用", columns, rows, note=note)


def stages_table(stages: Sequence[StageTime]) -> ReportTable:
    columns = [
        Column("环节"),
        Column("属地"),
        Column("口径"),
        Column("样本数", INT),
        Column("中位数（天）", DAYS),
        Column("90分位（天）", DAYS),
        Column("平均（天）", DAYS),
        Column("最长（天）", DAYS),
    ]
    rows = [
        [s.label, s.district_name, s.description, s.count, s.median_days, s.p90_days, s.mean_days, s.max_days]
        for s in stages
    ]
    return ReportTable("stages", "各环节用时", columns, rows, note="按自然日计；“全部”行为查看范围内全部属地。")


def breaches_table(data: DashboardData) -> ReportTable:
    columns = [Column("属地"), Column("审核超时在办（件）", INT), Column("超时限作出属地审核决定（次）", INT)]
    rows: list[list[Any]] = [[r["district_name"], r["overdue"], r["late_decisions"]] for r in data.breaches]
    rows.append(["合计", sum(r["overdue"] for r in data.breaches), sum(r["late_decisions"] for r in data.breaches)])
    note = (
        "审核超时在办：当前被标记为超过审核时限的申报件；"
        "超时限决定：本轮受理后晚于审核时限作出的通过、不通过或退回补正。"
    )
    return ReportTable("breaches", "时限执行情况", columns, rows, note=note)


def settlement_table(data: DashboardData) -> ReportTable:
    columns = [
        Column("属地"),
        Column("先行全额兑现笔数", INT),
        Column("区级先行全额兑现金额（元）", MONEY),
        Column("其中市级承担部分（元）", MONEY),
        Column("减：已追回奖励的市级部分（元）", MONEY),
        Column("市级应结算给区级（元）", MONEY),
        Column("非先行兑现笔数", INT),
        Column("非先行兑现：市级承担（元）", MONEY),
        Column("非先行兑现：区级承担（元）", MONEY),
    ]

    def values(r: dict[str, Any]) -> list[Any]:
        return [
            r["pf_count"],
            r["pf_paid_full"],
            r["pf_city_share"],
            r["pf_city_recovered"],
            r["pf_city_owes"],
            r["npf_count"],
            r["npf_city_share"],
            r["npf_district_share"],
        ]

    rows: list[list[Any]] = [
        [r["district_name"], *values(r)] for r in data.by_district if r["pf_count"] or r["npf_count"]
    ]
    rows.append(["合计", *values(data.totals)])
    note = (
        "属地先行全额兑现：已兑现、追回中、已追回的先行兑现奖励，区级先行支付全额，市级按财政体制承担的部分待清算；"
        "已追回奖励的市级部分不再结算。非先行兑现：已兑现、追回中奖励中市、区各自承担的金额。"
    )
    return ReportTable("settlement", "市区清算", columns, rows, note=note)


def targets_table(targets: DeliveryTargets, entitlements: dict[str, Any] | None, *, requested: bool) -> ReportTable:
    columns = [
        Column("指标"),
        Column("分子"),
        Column("分母"),
        Column("比例", RATIO),
        Column("目标", RATIO),
        Column("是否达标"),
        Column("口径"),
    ]

    def reached(share: Decimal | None, goal: Decimal) -> str:
        return "—" if share is None else ("达标" if share >= goal else "未达标")

    rows: list[list[Any]] = [
        [
            "免申即享、即申即享兑现资金占比",
            f"{targets.paid_out_direct:,.2f} 元",
            f"{targets.paid_out:,.2f} 元",
            targets.money_share,
            targets.money_target,
            reached(targets.money_share, targets.money_target),
            "已兑现（含追回中）奖励中，来源为免申即享或即申即享的金额 ÷ 全部已兑现金额（003号文第621行：不低于50%）。",
        ],
        [
            "政策主动推送（免申即享、即申即享或已推送）事项占比",
            f"{targets.items_reached} 项（其中免申/即申 {targets.items_proactive_mode} 项，"
            f"已推送 {targets.items_pushed} 项）",
            f"{targets.items_total} 项",
            targets.items_share,
            targets.items_target,
            reached(targets.items_share, targets.items_target),
            "已发布申报批次的政策事项中，兑现方式为免申即享或即申即享的事项，加上申报兑现事项中已向企业发送过"
            "“政策推送”（policy_push）消息的事项 ÷ 已发布申报批次的事项总数（不低于95%）。",
        ],
    ]
    measure = "按企业库数据满足事项全部自动判定条件（且至少一项由企业数据确认）、但尚未申报也未获奖励的企业。"
    if entitlements is not None:
        rows.append(
            [
                "应享未享（企业数）",
                f"{entitlements['enterprises']} 家（{entitlements['pairs']} 个企业×事项）",
                f"{entitlements['items']} 个在申报期事项",
                None,
                None,
                "—",
                measure,
            ]
        )
    elif requested:
        rows.append(["应享未享（企业数）", "—", "—", None, None, "—", "资格引擎未提供按企业画像判定，暂不统计。"])
    else:
        rows.append(
            ["应享未享（企业数）", "未计算", "—", None, None, "—", measure + "按需计算：页面上点击“计算应享未享”。"]
        )
    return ReportTable("targets", "推送与兑现目标", columns, rows)


def monthly_table(data: DashboardData) -> ReportTable:
    columns = [
        Column("月份"),
        Column("申报件数", INT),
        Column("申报金额（元）", MONEY),
        Column("审定通过件数", INT),
        Column("审定金额（元）", MONEY),
    ]
    rows = [[m["label"], m["n_submitted"], m["requested"], m["n_approved"], m["approved"]] for m in data.monthly]
    return ReportTable(
        "monthly", "按申报月份", columns, rows, note="按申报时间（北京时间）所在月份统计已提交过的申报件。"
    )


TABLE_BUILDERS: dict[str, Callable[[DashboardData], ReportTable]] = {
    "districts": district_table,
    "summary": summary_table,
    "budget": budget_table,
    "stages": lambda data: stages_table(data.stages),
    "breaches": breaches_table,
    "settlement": settlement_table,
    "targets": lambda data: targets_table(data.targets, data.entitlements, requested=data.with_entitlements),
    "monthly": monthly_table,
}
TABLE_KEYS = (*TABLE_BUILDERS, "cases")
TABLE_TITLES = {
    "districts": "分属地汇总",
    "summary": "分事项、批次、属地汇总",
    "budget": "批次预算使用",
    "stages": "各环节用时",
    "breaches": "时限执行情况",
    "settlement": "市区清算",
    "targets": "推送与兑现目标",
    "monthly": "按申报月份",
    "cases": "申报件明细",
}


def dashboard_tables(data: DashboardData, keys: Iterable[str] = TABLE_BUILDERS) -> list[ReportTable]:
    """The dashboard's tables (all, or those named), in page order; each computes only what it needs."""
    wanted = set(keys)
    return [build(data) for key, build in TABLE_BUILDERS.items() if key in wanted]


CASE_COLUMNS = [
    Column("申报件编号", INT),
    Column("企业名称"),
    Column("统一社会信用代码"),
    Column("属地"),
    Column("事项编号"),
    Column("政策事项"),
    Column("申报批次"),
    Column("状态代码"),
    Column("状态"),
    Column("申报时间", DATETIME),
    Column("测算金额（元）", MONEY),
    Column("审定金额（元）", MONEY),
    Column("审核超时"),
    Column("奖励状态"),
    Column("奖励金额（元）", MONEY),
]
_STATE_LABELS = dict(State.choices)
_AWARD_LABELS = dict(AwardState.choices)


def _case_values(raw: Iterable[tuple[Any, ...]]) -> Iterator[list[Any]]:
    position = {name: i for i, name in enumerate(CASE_FIELDS)}
    for r in raw:
        award_state = r[position["award__state"]]
        yield [
            r[position["pk"]],
            r[position["enterprise__name"]],
            r[position["enterprise__credit_code"]],
            r[position["district__name"]],
            r[position["item__code"]],
            r[position["item__name"]],
            r[position["round__name"]],
            r[position["state"]],
            _STATE_LABELS.get(r[position["state"]], r[position["state"]]),
            r[position["submitted_at"]],
            r[position["suggested_amount"]],
            r[position["amount"]],
            "是" if r[position["review_overdue"]] else "否",
            _AWARD_LABELS.get(award_state, "") if award_state else "",
            r[position["award__amount"]],
        ]


def cases_table(*, scope: ReportScope, filters: ReportFilters) -> ReportTable:
    """One row per application, streamed (rows is a generator over a server-side cursor)."""
    return ReportTable("cases", "申报件明细", CASE_COLUMNS, _case_values(case_rows(scope=scope, filters=filters)))
