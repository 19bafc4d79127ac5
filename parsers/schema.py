"""The one canonical key vocabulary of the annual report's statistics (format-spec §3–5, §8.2).

Why data and not code: the parser, the checks, the store, the exports and the UI must all agree on what
``applications.denied.state_secret.natural_person`` means, which era has it and what label the template
prints for it. Everything here is a plain tuple of frozen dataclasses so each consumer reads the same
rows; the only behaviour is `derive()` (subtotals and totals the template implies but does not print)
and a few look-ups.

Keys are flat dotted paths and no key is a dotted prefix of another (format-spec §6), so the set can be
stored as nested JSON as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GOV2021 = "gov2021"
GOV2019 = "gov2019"
LEGACY_2014 = "legacy_2014"
LEGACY_2008 = "legacy_2008"
#: format-spec §1.2 step 5: no table found; narrative only, or tables are images or attachments
UNKNOWN = "unknown_free_text"
#: every spelling of "no format detected", including the pre-2026-11-27 value ``unknown`` in stored parses
UNDETECTED = frozenset({"", "unknown", UNKNOWN})
ERAS = (GOV2021, GOV2019, LEGACY_2014, LEGACY_2008, UNKNOWN)
_BOTH = frozenset({GOV2021, GOV2019})


@dataclass(frozen=True, slots=True)
class RowSpec:
    """One data row of a template table: its key, the label the template prints, the distinctive
    fragments that identify it after label normalisation (format-spec §9.3 step 6), its group
    (row-span parent) and the eras whose template has it."""

    key: str
    label: str
    fragments: tuple[str, ...]
    parent: str | None = None
    eras: frozenset[str] = _BOTH
    # exact: the label (ordinal and annotations stripped) must equal a fragment, for words such as 其他
    exact: bool = False


@dataclass(frozen=True, slots=True)
class ColSpec:
    """One value column: key, template label, fragments, and the value kind `parsers.values` applies
    (``count`` integral ≥ 0, ``signed`` 2019 增/减, ``amount_wan`` money in 万元, ``amount`` money whose
    unit the template does not print)."""

    key: str
    label: str
    fragments: tuple[str, ...]
    kind: str = "count"
    unit: str | None = "件"
    eras: frozenset[str] = _BOTH
    exact: bool = False


@dataclass(frozen=True, slots=True)
class GroupSpec:
    """A group label that carries no data itself (a row-span parent or a header over several columns)."""

    key: str
    label: str
    fragments: tuple[str, ...]
    eras: frozenset[str] = _BOTH


# --------------------------------------------------------------------------------------------------
# Table 二 (format-spec §3): key = active.<row>.<col>
# --------------------------------------------------------------------------------------------------
T2_ROWS: tuple[RowSpec, ...] = (
    RowSpec("regulations", "规章", ("规章",)),
    RowSpec("normative_docs", "行政规范性文件", ("规范性文件", "规范性档案")),
    RowSpec("licensing", "行政许可", ("行政许可",)),
    RowSpec("other_mgmt_services", "其他对外管理服务事项", ("对外管理服务",), eras=frozenset({GOV2019})),
    RowSpec("penalty", "行政处罚", ("行政处罚",)),
    RowSpec("coercion", "行政强制", ("行政强制",)),
    RowSpec("fees", "行政事业性收费", ("事业性收费",)),
    RowSpec("procurement", "政府集中采购", ("集中采购",), eras=frozenset({GOV2019})),
)
_E21 = frozenset({GOV2021})
_E19 = frozenset({GOV2019})
T2_COLS: tuple[ColSpec, ...] = (
    ColSpec("issued", "本年制发件数", ("制发",), eras=_E21),
    ColSpec("repealed", "本年废止件数", ("废止",), eras=_E21),
    ColSpec("in_force", "现行有效件数", ("现行有效",), eras=_E21),
    ColSpec("decisions", "本年处理决定数量", ("处理决定",)),
    ColSpec(
        "amount_wan", "本年收费金额（单位：万元）", ("收费金额",), kind="amount_wan", unit="万元", eras=_E21
    ),
    ColSpec("new_made", "本年新制作数量", ("新制作",), eras=_E19),
    ColSpec("new_published", "本年新公开数量", ("新公开",), eras=_E19),
    ColSpec("total_published", "对外公开总数量", ("公开总数",), eras=_E19),
    ColSpec("prev_items", "上一年项目数量", ("上一年项目",), unit="项", eras=_E19),
    ColSpec("delta_items", "本年增/减", ("增/减", "增减", "增(减)"), kind="signed", unit="项", eras=_E19),
    ColSpec("projects", "采购项目数量", ("采购项目",), unit="项", eras=_E19),
    ColSpec("amount_wan", "采购总金额", ("采购总金额", "采购金额"), kind="amount", unit=None, eras=_E19),
)
# which (row, column) pairs each era's template prints, in table order
T2_LAYOUT: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    GOV2021: (
        ("regulations", ("issued", "repealed", "in_force")),
        ("normative_docs", ("issued", "repealed", "in_force")),
        ("licensing", ("decisions",)),
        ("penalty", ("decisions",)),
        ("coercion", ("decisions",)),
        ("fees", ("amount_wan",)),
    ),
    GOV2019: (
        ("regulations", ("new_made", "new_published", "total_published")),
        ("normative_docs", ("new_made", "new_published", "total_published")),
        ("licensing", ("prev_items", "delta_items", "decisions")),
        ("other_mgmt_services", ("prev_items", "delta_items", "decisions")),
        ("penalty", ("prev_items", "delta_items", "decisions")),
        ("coercion", ("prev_items", "delta_items", "decisions")),
        ("fees", ("prev_items", "delta_items")),
        ("procurement", ("projects", "amount_wan")),
    ),
}
# markers that date a table 二 (format-spec §1.2 steps 1–2)
T2_MARKERS: dict[str, tuple[str, ...]] = {
    GOV2021: ("本年制发件数", "现行有效件数", "本年废止件数", "本年收费金额"),
    GOV2019: ("本年新制作数量", "对外公开总数量", "上一年项目数量", "第二十条第(九)项", "本年新公开数量"),
}

# --------------------------------------------------------------------------------------------------
# Table 三 (format-spec §4): key = applications.<row>.<col>
# --------------------------------------------------------------------------------------------------
T3_GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec("results", "三、本年度办理结果", ("办理结果",)),
    GroupSpec("denied", "（三）不予公开", ("不予公开",)),
    GroupSpec("unable", "（四）无法提供", ("无法提供",)),
    GroupSpec("not_processed", "（五）不予处理", ("不予处理",)),
    GroupSpec("other", "（六）其他处理", ("其他处理",)),
)
T3_ROWS: tuple[RowSpec, ...] = (
    RowSpec("new", "一、本年新收政府信息公开申请数量", ("本年新收", "新收政府信息")),
    RowSpec("carried_over", "二、上年结转政府信息公开申请数量", ("上年结转",)),
    RowSpec("granted", "（一）予以公开", ("予以公开",), parent="results"),
    RowSpec(
        "partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", ("部分公开",), parent="results"
    ),
    RowSpec("denied.state_secret", "1.属于国家秘密", ("国家秘密",), parent="denied"),
    RowSpec(
        "denied.law_prohibited", "2.其他法律行政法规禁止公开", ("禁止公开", "其他法律行政"), parent="denied"
    ),
    RowSpec("denied.security_stability", "3.危及“三安全一稳定”", ("三安全", "一稳定"), parent="denied"),
    RowSpec("denied.third_party", "4.保护第三方合法权益", ("第三方",), parent="denied"),
    RowSpec("denied.internal_affairs", "5.属于三类内部事务信息", ("内部事务",), parent="denied"),
    RowSpec("denied.process_info", "6.属于四类过程性信息", ("过程性",), parent="denied"),
    RowSpec("denied.enforcement_file", "7.属于行政执法案卷", ("执法案卷",), parent="denied"),
    RowSpec("denied.admin_query", "8.属于行政查询事项", ("查询事项",), parent="denied"),
    RowSpec("unable.not_held", "1.本机关不掌握相关政府信息", ("不掌握",), parent="unable"),
    RowSpec(
        "unable.needs_creation", "2.没有现成信息需要另行制作", ("另行制作", "没有现成信息"), parent="unable"
    ),
    RowSpec("unable.unclear", "3.补正后申请内容仍不明确", ("仍不明确", "补正后申请"), parent="unable"),
    RowSpec("not_processed.petition", "1.信访举报投诉类申请", ("信访",), parent="not_processed"),
    RowSpec("not_processed.duplicate", "2.重复申请", ("重复申请",), parent="not_processed"),
    RowSpec("not_processed.publication", "3.要求提供公开出版物", ("出版物",), parent="not_processed"),
    RowSpec("not_processed.excessive", "4.无正当理由大量反复申请", ("大量反复",), parent="not_processed"),
    RowSpec(
        "not_processed.confirm_reissue",
        "5.要求行政机关确认或重新出具已获取信息",
        ("确认或重新出具", "重新出具"),
        parent="not_processed",
    ),
    # 2019: （六）其他处理 is one data row; a 2021-format table that keeps it undivided maps here too
    RowSpec("other.subtotal", "（六）其他处理", ("其他处理",), parent="results", eras=frozenset({GOV2019})),
    RowSpec(
        "other.overdue_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        ("逾期不补正",),
        parent="other",
        eras=_E21,
    ),
    RowSpec(
        "other.overdue_fee",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        ("收费通知", "缴纳费用"),
        parent="other",
        eras=_E21,
    ),
    RowSpec("other.other", "3.其他", ("其他",), parent="other", eras=_E21, exact=True),
    RowSpec("total_processed", "（七）总计", ("总计",), parent="results", exact=True),
    RowSpec(
        "carried_forward", "四、结转下年度继续办理", ("结转下年度", "结转下一年度", "转下年度", "结转下年")
    ),
)
T3_COL_GROUP = GroupSpec("legal_person", "法人或其他组织", ("法人或其他组织", "法人"))
T3_COLS: tuple[ColSpec, ...] = (
    ColSpec("natural_person", "自然人", ("自然人",)),
    ColSpec("commercial", "商业企业", ("商业企业", "商业")),
    ColSpec("research", "科研机构", ("科研机构", "科研")),
    ColSpec("public_interest", "社会公益组织", ("社会公益", "公益组织")),
    ColSpec("legal_service", "法律服务机构", ("法律服务",)),
    ColSpec("other_org", "其他", ("其他",), exact=True),
    ColSpec("total", "总计", ("总计", "合计"), exact=True),
)
# a fork's 法人或其他组织小计 column (format-spec §4.1): accepted as legal_person and validated
T3_LEGAL_PERSON = ColSpec("legal_person", "小计", ("小计",), exact=True)
T3_COL_KEYS: tuple[str, ...] = tuple(c.key for c in T3_COLS)
T3_ORG_COLS: tuple[str, ...] = ("commercial", "research", "public_interest", "legal_service", "other_org")

# --------------------------------------------------------------------------------------------------
# Table 四 (format-spec §5): key = <group>.<col>
# --------------------------------------------------------------------------------------------------
T4_GROUPS: tuple[GroupSpec, ...] = (
    GroupSpec("review", "行政复议", ("行政复议",)),
    GroupSpec("litigation.direct", "未经复议直接起诉", ("未经复议", "直接起诉")),
    GroupSpec("litigation.after_review", "复议后起诉", ("复议后起诉", "复议后")),
)
T4_PARENT = GroupSpec("litigation", "行政诉讼", ("行政诉讼",))
T4_COLS: tuple[ColSpec, ...] = (
    ColSpec("upheld", "结果维持", ("维持",)),
    ColSpec("corrected", "结果纠正", ("纠正",)),
    ColSpec("other", "其他结果", ("其他结果", "其他")),
    ColSpec("pending", "尚未审结", ("尚未审结", "未审结")),
    ColSpec("total", "总计", ("总计", "合计")),
)

# --------------------------------------------------------------------------------------------------
# legacy_2014 统计表 (format-spec §8.2): key, fragments, unit
# --------------------------------------------------------------------------------------------------
LEGACY_ROWS: tuple[tuple[str, tuple[str, ...], str | None], ...] = (
    ("legacy.active.total", ("主动公开政府信息数",), "条"),
    ("legacy.active.normative_published", ("主动公开规范性文件数",), "条"),
    ("legacy.active.normative_issued", ("制发规范性文件总数",), "件"),
    ("legacy.active.ch.gazette", ("政府公报公开",), "条"),
    ("legacy.active.ch.website", ("政府网站公开",), "条"),
    ("legacy.active.ch.weibo", ("政务微博公开",), "条"),
    ("legacy.active.ch.wechat", ("政务微信公开",), "条"),
    ("legacy.active.ch.other", ("其他方式公开",), "条"),
    ("legacy.resp.hotspots", ("回应公众关注热点",), "次"),
    ("legacy.resp.press_conf_principal", ("主要负责同志参加新闻发布会",), "次"),
    ("legacy.resp.press_conf", ("新闻发布会总次数", "新闻发布会"), "次"),
    ("legacy.resp.online_interviews_principal", ("主要负责同志参加政府网站在线访谈",), "次"),
    ("legacy.resp.online_interviews", ("在线访谈次数", "在线访谈"), "次"),
    ("legacy.resp.interpretations", ("政策解读稿件",), "篇"),
    ("legacy.resp.weibo_wechat", ("微博微信回应",), "次"),
    ("legacy.resp.other", ("其他方式回应",), "次"),
    ("legacy.apps.received.total", ("收到申请数",), "件"),
    ("legacy.apps.received.in_person", ("当面申请",), "件"),
    ("legacy.apps.received.fax", ("传真申请",), "件"),
    ("legacy.apps.received.online", ("网络申请",), "件"),
    ("legacy.apps.received.letter", ("信函申请",), "件"),
    ("legacy.apps.closed.total", ("申请办结数",), "件"),
    ("legacy.apps.closed.on_time", ("按时办结",), "件"),
    ("legacy.apps.closed.extended", ("延期办结",), "件"),
    ("legacy.apps.replied.total", ("申请答复数",), "件"),
    ("legacy.apps.replied.already_public", ("已主动公开范围",), "件"),
    ("legacy.apps.replied.partial", ("同意部分公开",), "件"),
    ("legacy.apps.replied.granted", ("同意公开答复",), "件"),
    ("legacy.apps.replied.refused", ("不同意公开答复", "不同意公开"), "件"),
    ("legacy.apps.refused.state_secret", ("国家秘密",), "件"),
    ("legacy.apps.refused.trade_secret", ("商业秘密",), "件"),
    ("legacy.apps.refused.privacy", ("个人隐私",), "件"),
    ("legacy.apps.refused.security_stability", ("危及国家安全",), "件"),
    ("legacy.apps.refused.not_gov_info", ("所指政府信息",), "件"),
    ("legacy.apps.refused.other_legal", ("法律法规规定的其他情形",), "件"),
    ("legacy.apps.replied.not_this_agency", ("不属于本行政机关",), "件"),
    ("legacy.apps.replied.not_exist", ("申请信息不存在",), "件"),
    ("legacy.apps.replied.ask_amend", ("更改补充",), "件"),
    ("legacy.apps.replied.other_channel", ("其他途径",), "件"),
    ("legacy.review.total", ("行政复议数量",), "件"),
    ("legacy.litigation.total", ("行政诉讼数量",), "件"),
    ("legacy.complaints.total", ("举报投诉数量",), "件"),
    ("legacy.fees_wan", ("依申请公开信息收取的费用", "收取的费用"), "万元"),
    ("legacy.org.units", ("专门机构数",), "个"),
    ("legacy.org.reading_points", ("查阅点数",), "个"),
    ("legacy.org.staff_full", ("专职人员数",), "人"),
    ("legacy.org.staff_part", ("兼职人员数",), "人"),
    ("legacy.org.staff", ("从事政府信息公开工作人员数",), "人"),
    ("legacy.org.budget_wan", ("专项经费",), "万元"),
    ("legacy.train.meetings", ("会议或专题会议数",), "次"),
    ("legacy.train.courses", ("培训班数",), "次"),
    ("legacy.train.trainees", ("接受培训人员数",), "人次"),
)
# the three numbered children under review / litigation / complaints share labels: keyed by parent
LEGACY_OUTCOME_CHILDREN: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("upheld", ("维持",)),
    ("corrected", ("纠错",)),
    ("other", ("其他情形",)),
)
LEGACY_MARKERS = ("统计指标", "收到申请数", "当面申请数", "申请答复数", "行政复议数量", "主动公开政府信息数")


# --------------------------------------------------------------------------------------------------
# key lists
# --------------------------------------------------------------------------------------------------
def t2_keys(era: str) -> list[str]:
    """Leaf keys of table 二 for `era`, in table order (gov2021: 10, gov2019: 22)."""
    return [f"active.{row}.{col}" for row, cols in T2_LAYOUT.get(era, ()) for col in cols]


def t3_row_keys(era: str) -> list[str]:
    return [r.key for r in T3_ROWS if era in r.eras]


def t3_keys(era: str) -> list[str]:
    """Leaf keys of table 三 (gov2021: 25 rows × 7 = 175, gov2019: 23 × 7 = 161)."""
    return [f"applications.{r}.{c}" for r in t3_row_keys(era) for c in T3_COL_KEYS]


def t4_keys() -> list[str]:
    """The 15 leaf keys of table 四 (identical in both eras)."""
    return [f"{g.key}.{c.key}" for g in T4_GROUPS for c in T4_COLS]


def leaf_keys(era: str) -> list[str]:
    """Every printed (leaf) key of an era's three tables; legacy_2014 gives the §8.2 list."""
    if era in (GOV2021, GOV2019):
        return t2_keys(era) + t3_keys(era) + t4_keys()
    if era == LEGACY_2014:
        keys = [k for k, _, _ in LEGACY_ROWS]
        for parent in ("review", "litigation", "complaints"):
            keys += [f"legacy.{parent}.{child}" for child, _ in LEGACY_OUTCOME_CHILDREN]
        return keys
    return []


T3_SUBTOTALS: dict[str, tuple[str, ...]] = {
    "denied": tuple(r.key for r in T3_ROWS if r.parent == "denied"),
    "unable": tuple(r.key for r in T3_ROWS if r.parent == "unable"),
    "not_processed": tuple(r.key for r in T3_ROWS if r.parent == "not_processed"),
    "other": ("other.overdue_correction", "other.overdue_fee", "other.other"),
}


def derived_keys(era: str) -> list[str]:
    """Keys `derive()` can add for `era` (subtotals, legal_person, litigation totals)."""
    if era not in (GOV2021, GOV2019):
        return []
    out: list[str] = []
    for group in T3_SUBTOTALS:
        if group == "other" and era == GOV2019:
            continue  # a printed leaf in 2019
        out += [f"applications.{group}.subtotal.{c}" for c in T3_COL_KEYS]
    rows = t3_row_keys(era) + [f"{g}.subtotal" for g in T3_SUBTOTALS if not (g == "other" and era == GOV2019)]
    out += [f"applications.{r}.legal_person" for r in dict.fromkeys(rows)]
    out += [f"litigation.total.{c.key}" for c in T4_COLS]
    return out


# --------------------------------------------------------------------------------------------------
# derive
# --------------------------------------------------------------------------------------------------
def _sum(cells: Mapping[str, Mapping[str, Any]], keys: Iterable[str]) -> tuple[float | int | None, list[str]]:
    """Sum of the values of `keys`; None unless every operand is present with a numeric value."""
    total: float | int = 0
    used: list[str] = []
    for k in keys:
        cell = cells.get(k)
        v = cell.get("value") if cell else None
        if not isinstance(v, int | float) or isinstance(v, bool):
            return None, used
        total += v
        used.append(k)
    return total, used


def _derived_cell(value: float | int, keys: list[str]) -> dict[str, Any]:
    return {"value": value, "raw": "", "flag": "derived", "unit": "件", "src": {"derived_from": keys}}


def derive(cells: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Return `cells` plus the derived keys the template implies (format-spec §4.2, §5, T3-SUBTOT).

    A derived cell has flag ``derived`` and ``src.derived_from``; it is added only when every operand
    has a number (strict: a blank is not a 0 here, the checks decide leniency) and **never** replaces a
    printed leaf — e.g. a 2019 report's printed ``other.subtotal`` stays as printed.
    """
    out: dict[str, dict[str, Any]] = {k: dict(v) for k, v in cells.items()}
    for group, children in T3_SUBTOTALS.items():
        present = [c for c in children if any(f"applications.{c}.{col}" in out for col in T3_COL_KEYS)]
        if not present:
            continue
        for col in T3_COL_KEYS:
            key = f"applications.{group}.subtotal.{col}"
            if key in out:
                continue
            value, used = _sum(out, [f"applications.{c}.{col}" for c in children])
            if value is not None:
                out[key] = _derived_cell(value, used)
    rows = sorted({k.rsplit(".", 1)[0] for k in out if k.startswith("applications.")})
    for row in rows:
        key = f"{row}.legal_person"
        if key in out:
            continue
        value, used = _sum(out, [f"{row}.{c}" for c in T3_ORG_COLS])
        if value is not None:
            out[key] = _derived_cell(value, used)
    for col in T4_COLS:
        key = f"litigation.total.{col.key}"
        if key in out:
            continue
        value, used = _sum(out, [f"litigation.direct.{col.key}", f"litigation.after_review.{col.key}"])
        if value is not None:
            out[key] = _derived_cell(value, used)
    return out


def is_prefix_free(keys: Iterable[str]) -> bool:
    """True when no key is a dotted prefix of another (format-spec §6)."""
    ks = set(keys)
    for k in ks:
        parts = k.split(".")
        if any(".".join(parts[:i]) in ks for i in range(1, len(parts))):
            return False
    return True
