"""Reference data of the demo (SPEC §9): districts, organisations, accounts, enterprises."""

from datetime import date

DEMO_PASSWORD = "Hz-demo-2026"

# (code, name, kind, administrative division code)
DISTRICTS = [
    ("shangcheng", "上城区", "district", "330102"),
    ("gongshu", "拱墅区", "district", "330105"),
    ("xihu", "西湖区", "district", "330106"),
    ("binjiang", "滨江区", "district", "330108"),
    ("xiaoshan", "萧山区", "district", "330109"),
    ("yuhang", "余杭区", "district", "330110"),
    ("linping", "临平区", "district", "330113"),
    ("qiantang", "钱塘区", "district", "330114"),
    ("fuyang", "富阳区", "district", "330111"),
    ("linan", "临安区", "district", "330112"),
    ("tonglu", "桐庐县", "county", "330122"),
    ("chunan", "淳安县", "county", "330127"),
    ("jiande", "建德市", "county_city", "330182"),
    ("xihu_scenic", "西湖风景名胜区", "scenic", ""),
]

# Co-review departments per district, by function (SPEC §1; P01 names 统计 as well).
DEPARTMENT_NAMES = {
    "tax": "税务局",
    "market": "市场监管局",
    "drc": "发改局",
    "finance": "财政局",
    "stats": "统计局",
}
DEPARTMENT_USER_PREFIX = {"tax": "tax", "market": "mkt", "drc": "drc", "finance": "fin", "stats": "stats"}

# username, display name, role, organisation key (see command) — the SPEC's fixed demo accounts first.
OFFICIALS = [
    ("rev_shangcheng", "上城区商务局审核员", "district_reviewer", "bureau:shangcheng"),
    ("rev_xihu", "西湖区商务局审核员", "district_reviewer", "bureau:xihu"),
    ("tax_shangcheng", "上城区税务局经办人", "co_reviewer", "dept:shangcheng:tax"),
    ("mkt_shangcheng", "上城区市场监管局经办人", "co_reviewer", "dept:shangcheng:market"),
    ("drc_shangcheng", "上城区发改局经办人", "co_reviewer", "dept:shangcheng:drc"),
    ("fin_shangcheng", "上城区财政局经办人", "co_reviewer", "dept:shangcheng:finance"),
    ("city_approver", "市商务局审定员", "city_approver", "city:commerce"),
    ("fund_shangcheng", "上城区兑现专员", "fund_officer", "dept:shangcheng:finance"),
    ("policy_admin", "市商务局政策管理员", "policy_admin", "city:commerce"),
    ("auditor", "市审计局审计员", "auditor", "city:audit"),
    # Extra accounts so every seed policy can be walked through in both demo districts.
    ("stats_shangcheng", "上城区统计局经办人", "co_reviewer", "dept:shangcheng:stats"),
    ("tax_xihu", "西湖区税务局经办人", "co_reviewer", "dept:xihu:tax"),
    ("mkt_xihu", "西湖区市场监管局经办人", "co_reviewer", "dept:xihu:market"),
    ("drc_xihu", "西湖区发改局经办人", "co_reviewer", "dept:xihu:drc"),
    ("fin_xihu", "西湖区财政局经办人", "co_reviewer", "dept:xihu:finance"),
    ("stats_xihu", "西湖区统计局经办人", "co_reviewer", "dept:xihu:stats"),
    ("fund_xihu", "西湖区兑现专员", "fund_officer", "dept:xihu:finance"),
]

# username, enterprise name, district, credit-code body (17 chars), profile, designations [(tag, granted_on)]
ENTERPRISES = [
    (
        "ent_a",
        "杭州示例商贸有限公司",
        "shangcheng",
        "91330102MA2H4K7X1",
        {
            "industry": "批发和零售业",
            "size_class": "large",
            "registered_on": date(2022, 3, 18),
            "in_statistics_db": True,
            "employees": 420,
            "annual_revenue": "7200000000",
            "address": "杭州市上城区钱江路58号",
            "legal_representative": "王建国",
            "bank_name": "中国工商银行杭州钱江支行",
            "bank_account_no": "1202020409900012345",
        },
        [("above_quota_trade", date(2022, 6, 30)), ("settlement_hq", date(2022, 3, 18))],
    ),
    (
        "ent_c",
        "杭州示范零售有限公司",
        "shangcheng",
        "91330102MA2H5R3L2",
        {
            "industry": "零售业",
            "size_class": "large",
            "registered_on": date(2022, 5, 9),
            "in_statistics_db": True,
            "employees": 310,
            "annual_revenue": "6500000000",
            "address": "杭州市上城区解放东路29号",
            "legal_representative": "李敏",
            "bank_name": "中国建设银行杭州分行营业部",
            "bank_account_no": "33050161672700001234",
        },
        [("above_quota_trade", date(2022, 9, 30)), ("settlement_hq", date(2022, 5, 9))],
    ),
    (
        "ent_b",
        "杭州样例制造有限公司",
        "xihu",
        "91330106MA2J8N6T3",
        {
            "industry": "通用设备制造业",
            "size_class": "small",
            "registered_on": date(2019, 8, 1),
            "in_statistics_db": True,
            "employees": 86,
            "annual_revenue": "26000000",
            "address": "杭州市西湖区三墩镇西园路9号",
            "legal_representative": "陈志强",
            "bank_name": "杭州银行西湖支行",
            "bank_account_no": "3301040160012345678",
        },
        [
            ("industrial", date(2019, 8, 1)),
            ("above_scale", date(2024, 6, 30)),
            ("newly_above_scale", date(2024, 6, 30)),
            ("specialised", date(2025, 1, 15)),
        ],
    ),
    # Enterprises without the SPEC's named logins, so the demo can show every state.
    (
        "demo_e4",
        "杭州城东贸易有限公司",
        "shangcheng",
        "91330102MA2K1P2Q4",
        {
            "industry": "批发业",
            "size_class": "medium",
            "registered_on": date(2021, 4, 1),
            "in_statistics_db": True,
            "bank_name": "中国银行杭州分行",
            "bank_account_no": "360071234567",
        },
        [("above_quota_trade", date(2022, 6, 30)), ("settlement_hq", date(2022, 7, 1))],
    ),
    (
        "demo_e5",
        "杭州钱江百货有限公司",
        "shangcheng",
        "91330102MA2K3W8E5",
        {
            "industry": "零售业",
            "size_class": "large",
            "registered_on": date(2022, 2, 1),
            "in_statistics_db": True,
            "bank_name": "浙商银行杭州分行",
            "bank_account_no": "331000010120100012345",
        },
        [
            ("above_quota_trade", date(2022, 3, 31)),
            ("settlement_hq", date(2022, 2, 1)),
            ("specialised", date(2024, 12, 1)),
        ],
    ),
    (
        "demo_e6",
        "杭州新叶智能装备有限公司",
        "xihu",
        "91330106MA2L6B4C6",
        {
            "industry": "专用设备制造业",
            "size_class": "small",
            "registered_on": date(2018, 6, 6),
            "in_statistics_db": True,
            "bank_name": "宁波银行杭州分行",
            "bank_account_no": "71010122000456789",
        },
        [
            ("industrial", date(2018, 6, 6)),
            ("newly_above_scale", date(2024, 3, 31)),
            ("above_scale", date(2024, 3, 31)),
            ("specialised", date(2024, 12, 20)),
        ],
    ),
    (
        "demo_e7",
        "杭州云栖精密制造有限公司",
        "xihu",
        "91330106MA2L9D7F7",
        {
            "industry": "仪器仪表制造业",
            "size_class": "medium",
            "registered_on": date(2017, 9, 9),
            "in_statistics_db": True,
            "bank_name": "招商银行杭州分行",
            "bank_account_no": "571908765432101",
        },
        [
            ("industrial", date(2017, 9, 9)),
            ("newly_above_scale", date(2024, 9, 30)),
            ("above_scale", date(2024, 9, 30)),
            ("specialised", date(2024, 12, 20)),
            ("little_giant", date(2025, 7, 1)),
        ],
    ),
    (
        "demo_e8",
        "杭州望江商业有限公司",
        "shangcheng",
        "91330102MA2M2G5H8",
        {
            "industry": "零售业",
            "size_class": "large",
            "registered_on": date(2022, 8, 8),
            "in_statistics_db": True,
            "bank_name": "交通银行杭州分行",
            "bank_account_no": "331066110018000123456",
        },
        [
            ("above_quota_trade", date(2022, 9, 30)),
            ("settlement_hq", date(2022, 8, 8)),
            ("specialised", date(2024, 12, 1)),
        ],
    ),
]
