"""The canonical keys and printed labels of the three report formats, written out from format-spec.

Why a copy here instead of importing ``parsers.schema``: the forge is the *oracle* the parser is judged
against. If both read the same table, a wrong key or label would be wrong on both sides and every test
would still pass. So this module is transcribed independently from ``docs/format-spec.md`` §3 (table 二),
§4 (table 三), §5 (table 四) and §8.2 (the 2014–2018 统计表), and the end-to-end tests compare the two.

Everything is plain data (tuples of strings) so renderers and tests can iterate it in printed order.
"""

from __future__ import annotations

from dataclasses import dataclass

FORMAT_VERSIONS = ("gov2021", "gov2019", "legacy_2014")


# --------------------------------------------------------------------------------------------------
# Table 二 (format-spec §3)


@dataclass(frozen=True, slots=True)
class T2Block:
    """One 第二十条 sub-block: its title, header labels (after 信息内容) and data rows."""

    item: str  # "一", "五", "六", "八", "九"
    headers: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]  # (row label, keys in column order)

    @property
    def title(self) -> str:
        return f"第二十条第（{self.item}）项"


T2_2021: tuple[T2Block, ...] = (
    T2Block(
        "一",
        ("本年制发件数", "本年废止件数", "现行有效件数"),
        (
            (
                "规章",
                ("active.regulations.issued", "active.regulations.repealed", "active.regulations.in_force"),
            ),
            (
                "行政规范性文件",
                (
                    "active.normative_docs.issued",
                    "active.normative_docs.repealed",
                    "active.normative_docs.in_force",
                ),
            ),
        ),
    ),
    T2Block("五", ("本年处理决定数量",), (("行政许可", ("active.licensing.decisions",)),)),
    T2Block(
        "六",
        ("本年处理决定数量",),
        (("行政处罚", ("active.penalty.decisions",)), ("行政强制", ("active.coercion.decisions",))),
    ),
    T2Block("八", ("本年收费金额（单位：万元）",), (("行政事业性收费", ("active.fees.amount_wan",)),)),
)

_ITEMS3 = ("上一年项目数量", "本年增/减", "处理决定数量")


def _items3(name: str) -> tuple[str, str, str]:
    return (f"active.{name}.prev_items", f"active.{name}.delta_items", f"active.{name}.decisions")


T2_2019: tuple[T2Block, ...] = (
    T2Block(
        "一",
        ("本年新制作数量", "本年新公开数量", "对外公开总数量"),
        (
            (
                "规章",
                (
                    "active.regulations.new_made",
                    "active.regulations.new_published",
                    "active.regulations.total_published",
                ),
            ),
            (
                "规范性文件",
                (
                    "active.normative_docs.new_made",
                    "active.normative_docs.new_published",
                    "active.normative_docs.total_published",
                ),
            ),
        ),
    ),
    T2Block(
        "五",
        _ITEMS3,
        (("行政许可", _items3("licensing")), ("其他对外管理服务事项", _items3("other_mgmt_services"))),
    ),
    T2Block("六", _ITEMS3, (("行政处罚", _items3("penalty")), ("行政强制", _items3("coercion")))),
    T2Block(
        "八",
        ("上一年项目数量", "本年增/减"),
        (("行政事业性收费", ("active.fees.prev_items", "active.fees.delta_items")),),
    ),
    T2Block(
        "九",
        ("采购项目数量", "采购总金额"),
        (("政府集中采购", ("active.procurement.projects", "active.procurement.amount_wan")),),
    ),
)

#: keys whose value is a 万元 amount (Decimal); every other key is an integer count
AMOUNT_KEYS = frozenset({"active.fees.amount_wan", "active.procurement.amount_wan"})
#: keys whose value may be negative (2019 本年增/减)
SIGNED_KEYS = frozenset(k for b in T2_2019 for _, ks in b.rows for k in ks if k.endswith(".delta_items"))


# --------------------------------------------------------------------------------------------------
# Table 三 (format-spec §4)

#: column keys in printed order, with their header labels
T3_COLUMNS: tuple[tuple[str, str], ...] = (
    ("natural_person", "自然人"),
    ("commercial", "商业企业"),
    ("research", "科研机构"),
    ("public_interest", "社会公益组织"),
    ("legal_service", "法律服务机构"),
    ("other_org", "其他"),
    ("total", "总计"),
)
C6 = tuple(c for c, _ in T3_COLUMNS[:6])
C7 = tuple(c for c, _ in T3_COLUMNS)

T3_CORNER_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"


@dataclass(frozen=True, slots=True)
class T3Row:
    """A data row of table 三: its key, printed label, and the group (（三）…（六）) it sits under."""

    key: str
    label: str
    group: str | None = None  # group label for rows nested under （三）/（四）/（五）/（六）(2021)
    top: bool = False  # rows 一/二/四 that span all three label columns


T3_GROUP_LABELS = {
    "denied": "（三）不予公开",
    "unable": "（四）无法提供",
    "not_processed": "（五）不予处理",
    "other": "（六）其他处理",
}
T3_RESULT_LABEL = "三、本年度办理结果"

_T3_HEAD = (
    T3Row("new", "一、本年新收政府信息公开申请数量", top=True),
    T3Row("carried_over", "二、上年结转政府信息公开申请数量", top=True),
)
_T3_RESULTS_COMMON = (
    T3Row("granted", "（一）予以公开"),
    T3Row("partial", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"),
    T3Row("denied.state_secret", "1.属于国家秘密", "denied"),
    T3Row("denied.law_prohibited", "2.其他法律行政法规禁止公开", "denied"),
    T3Row("denied.security_stability", "3.危及“三安全一稳定”", "denied"),
    T3Row("denied.third_party", "4.保护第三方合法权益", "denied"),
    T3Row("denied.internal_affairs", "5.属于三类内部事务信息", "denied"),
    T3Row("denied.process_info", "6.属于四类过程性信息", "denied"),
    T3Row("denied.enforcement_file", "7.属于行政执法案卷", "denied"),
    T3Row("denied.admin_query", "8.属于行政查询事项", "denied"),
    T3Row("unable.not_held", "1.本机关不掌握相关政府信息", "unable"),
    T3Row("unable.needs_creation", "2.没有现成信息需要另行制作", "unable"),
    T3Row("unable.unclear", "3.补正后申请内容仍不明确", "unable"),
    T3Row("not_processed.petition", "1.信访举报投诉类申请", "not_processed"),
    T3Row("not_processed.duplicate", "2.重复申请", "not_processed"),
    T3Row("not_processed.publication", "3.要求提供公开出版物", "not_processed"),
    T3Row("not_processed.excessive", "4.无正当理由大量反复申请", "not_processed"),
    T3Row("not_processed.confirm_reissue", "5.要求行政机关确认或重新出具已获取信息", "not_processed"),
)
_T3_OTHER_2021 = (
    T3Row(
        "other.overdue_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "other",
    ),
    T3Row(
        "other.overdue_fee",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "other",
    ),
    T3Row("other.other", "3.其他", "other"),
)
_T3_OTHER_2019 = (T3Row("other.subtotal", "（六）其他处理"),)
_T3_TAIL = (
    T3Row("total_processed", "（七）总计"),
    T3Row("carried_forward", "四、结转下年度继续办理", top=True),
)

T3_ROWS_2021: tuple[T3Row, ...] = _T3_HEAD + _T3_RESULTS_COMMON + _T3_OTHER_2021 + _T3_TAIL
#: 2019 format, also used by 2021 reports that keep one undivided （六）其他处理 row (corpus 001)
T3_ROWS_2019: tuple[T3Row, ...] = _T3_HEAD + _T3_RESULTS_COMMON + _T3_OTHER_2019 + _T3_TAIL

#: outcome leaves that add up to （七）总计 (T3-SUM7), per (六) layout
T3_SUM7_2021 = tuple(r.key for r in _T3_RESULTS_COMMON + _T3_OTHER_2021)
T3_SUM7_2019 = tuple(r.key for r in _T3_RESULTS_COMMON + _T3_OTHER_2019)


def t3_rows(undivided_other: bool) -> tuple[T3Row, ...]:
    return T3_ROWS_2019 if undivided_other else T3_ROWS_2021


def t3_keys(undivided_other: bool) -> list[str]:
    return [f"applications.{r.key}.{c}" for r in t3_rows(undivided_other) for c in C7]


# --------------------------------------------------------------------------------------------------
# Table 四 (format-spec §5)

T4_COLUMNS: tuple[tuple[str, str], ...] = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)
T4_GROUPS: tuple[tuple[str, str], ...] = (
    ("review", "行政复议"),
    ("litigation.direct", "未经复议直接起诉"),
    ("litigation.after_review", "复议后起诉"),
)
T4_KEYS: tuple[str, ...] = tuple(f"{g}.{c}" for g, _ in T4_GROUPS for c, _ in T4_COLUMNS)


# --------------------------------------------------------------------------------------------------
# legacy_2014 《政府信息公开情况统计表》 (format-spec §8.2): (label, unit, key or None for headings)

LEGACY_ROWS: tuple[tuple[str, str, str | None], ...] = (
    ("一、主动公开情况", "—", None),
    ("（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）", "条", "legacy.active.total"),
    ("其中：主动公开规范性文件数", "条", "legacy.active.normative_published"),
    ("制发规范性文件总数", "件", "legacy.active.normative_issued"),
    ("（二）通过不同渠道和方式公开政府信息的情况", "—", None),
    ("1.政府公报公开政府信息数", "条", "legacy.active.ch.gazette"),
    ("2.政府网站公开政府信息数", "条", "legacy.active.ch.website"),
    ("3.政务微博公开政府信息数", "条", "legacy.active.ch.weibo"),
    ("4.政务微信公开政府信息数", "条", "legacy.active.ch.wechat"),
    ("5.其他方式公开政府信息数", "条", "legacy.active.ch.other"),
    ("二、回应解读情况", "—", None),
    ("（一）回应公众关注热点或重大舆情数（不同方式回应同一热点或舆情计1次）", "次", "legacy.resp.hotspots"),
    ("（二）通过不同渠道和方式回应解读的情况", "—", None),
    ("1.参加或举办新闻发布会总次数", "次", "legacy.resp.press_conf"),
    ("其中：主要负责同志参加新闻发布会次数", "次", "legacy.resp.press_conf_principal"),
    ("2.政府网站在线访谈次数", "次", "legacy.resp.online_interviews"),
    ("其中：主要负责同志参加政府网站在线访谈次数", "次", "legacy.resp.online_interviews_principal"),
    ("3.政策解读稿件发布数", "篇", "legacy.resp.interpretations"),
    ("4.微博微信回应事件数", "次", "legacy.resp.weibo_wechat"),
    ("5.其他方式回应事件数", "次", "legacy.resp.other"),
    ("三、依申请公开情况", "—", None),
    ("（一）收到申请数", "件", "legacy.apps.received.total"),
    ("1.当面申请数", "件", "legacy.apps.received.in_person"),
    ("2.传真申请数", "件", "legacy.apps.received.fax"),
    ("3.网络申请数", "件", "legacy.apps.received.online"),
    ("4.信函申请数", "件", "legacy.apps.received.letter"),
    ("（二）申请办结数", "件", "legacy.apps.closed.total"),
    ("1.按时办结数", "件", "legacy.apps.closed.on_time"),
    ("2.延期办结数", "件", "legacy.apps.closed.extended"),
    ("（三）申请答复数", "件", "legacy.apps.replied.total"),
    ("1.属于已主动公开范围数", "件", "legacy.apps.replied.already_public"),
    ("2.同意公开答复数", "件", "legacy.apps.replied.granted"),
    ("3.同意部分公开答复数", "件", "legacy.apps.replied.partial"),
    ("4.不同意公开答复数", "件", "legacy.apps.replied.refused"),
    ("其中：涉及国家秘密", "件", "legacy.apps.refused.state_secret"),
    ("涉及商业秘密", "件", "legacy.apps.refused.trade_secret"),
    ("涉及个人隐私", "件", "legacy.apps.refused.privacy"),
    ("危及国家安全、公共安全、经济安全和社会稳定", "件", "legacy.apps.refused.security_stability"),
    ("不是《条例》所指政府信息", "件", "legacy.apps.refused.not_gov_info"),
    ("法律法规规定的其他情形", "件", "legacy.apps.refused.other_legal"),
    ("5.不属于本行政机关公开数", "件", "legacy.apps.replied.not_this_agency"),
    ("6.申请信息不存在数", "件", "legacy.apps.replied.not_exist"),
    ("7.告知作出更改补充数", "件", "legacy.apps.replied.ask_amend"),
    ("8.告知通过其他途径办理数", "件", "legacy.apps.replied.other_channel"),
    ("四、行政复议数量", "件", "legacy.review.total"),
    ("（一）维持具体行政行为数", "件", "legacy.review.upheld"),
    ("（二）被依法纠错数", "件", "legacy.review.corrected"),
    ("（三）其他情形数", "件", "legacy.review.other"),
    ("五、行政诉讼数量", "件", "legacy.litigation.total"),
    ("（一）维持具体行政行为或者驳回原告诉讼请求数", "件", "legacy.litigation.upheld"),
    ("（二）被依法纠错数", "件", "legacy.litigation.corrected"),
    ("（三）其他情形数", "件", "legacy.litigation.other"),
    ("六、举报投诉数量", "件", "legacy.complaints.total"),
    ("（一）维持具体行政行为数", "件", "legacy.complaints.upheld"),
    ("（二）被纠错数", "件", "legacy.complaints.corrected"),
    ("（三）其他情形数", "件", "legacy.complaints.other"),
    ("七、依申请公开信息收取的费用", "万元", "legacy.fees_wan"),
    ("八、机构建设和保障经费情况", "—", None),
    ("（一）政府信息公开工作专门机构数", "个", "legacy.org.units"),
    ("（二）设置政府信息公开查阅点数", "个", "legacy.org.reading_points"),
    ("（三）从事政府信息公开工作人员数", "人", "legacy.org.staff"),
    ("1.专职人员数（不包括政府公报及政府网站工作人员数）", "人", "legacy.org.staff_full"),
    ("2.兼职人员数", "人", "legacy.org.staff_part"),
    (
        "（四）政府信息公开专项经费（不包括用于政府公报编辑管理及政府网站建设维护等方面的经费）",
        "万元",
        "legacy.org.budget_wan",
    ),
    ("九、政府信息公开会议和培训情况", "—", None),
    ("（一）召开政府信息公开工作会议或专题会议数", "次", "legacy.train.meetings"),
    ("（二）举办各类培训班数", "次", "legacy.train.courses"),
    ("（三）接受培训人员数", "人次", "legacy.train.trainees"),
)
LEGACY_KEYS: tuple[str, ...] = tuple(k for _, _, k in LEGACY_ROWS if k)
LEGACY_AMOUNT_KEYS = frozenset({"legacy.fees_wan", "legacy.org.budget_wan"})


def t2_blocks(format_version: str) -> tuple[T2Block, ...]:
    if format_version == "gov2021":
        return T2_2021
    if format_version == "gov2019":
        return T2_2019
    raise ValueError(f"table 二 does not exist in format {format_version!r}; allowed: gov2021, gov2019")


def keys_for(format_version: str, *, undivided_other: bool = False) -> list[str]:
    """Every statistical cell key a report of this format carries, in printed order."""
    if format_version == "legacy_2014":
        return list(LEGACY_KEYS)
    t2 = [k for b in t2_blocks(format_version) for _, ks in b.rows for k in ks]
    undivided = undivided_other or format_version == "gov2019"
    return t2 + t3_keys(undivided) + list(T4_KEYS)
