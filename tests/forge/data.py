"""Known report data: what a forged report *says*, before any layout or carrier is chosen.

Why generate instead of copying real reports: the parser must be right on reports nobody has looked at,
so the forge draws fresh, internally consistent numbers for every seed (format-spec §7 identities hold by
construction) and the renderers print them in every layout real portals produce. The ground truth is the
input, so a parse can be checked cell by cell without a human transcribing anything.

`make_report(seed, ...)` is a pure function of its arguments: the same seed gives the same `ReportData`.
Deliberate faults are opt-in (`inconsistent=...`) and documented in `INCONSISTENCIES`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from tests.forge.keys import (
    AMOUNT_KEYS,
    C6,
    FORMAT_VERSIONS,
    LEGACY_AMOUNT_KEYS,
    SIGNED_KEYS,
    T3_SUM7_2019,
    T3_SUM7_2021,
    T4_COLUMNS,
    T4_GROUPS,
    keys_for,
    t3_rows,
)

Value = int | Decimal | None

#: deliberate source faults (format-spec §7): name → (rule ids that must FAIL, what is broken)
INCONSISTENCIES: dict[str, tuple[tuple[str, ...], str]] = {
    "t4_totals": (
        ("T4-REV", "T4-LITR"),
        "table 四 总计 cells printed as 0 although their components are not (corpus 001)",
    ),
    "t3_balance": (
        ("T3-BAL",),
        "一+二 ≠ 三+四 in the 自然人 and 总计 columns (new applications over-stated by k on both)",
    ),
    "t3_rowsum": (("T3-ROWSUM",), "the 总计 of row （一）予以公开 is off by one from its row sum"),
}

#: how a value-less or zero cell may be printed, with the value and flag a parser must give (§9.4)
EMPTY_SPELLINGS: dict[str, tuple[Value, str]] = {
    "": (None, "blank"),
    "—": (None, "dash"),
    "-": (None, "dash"),
    "－": (None, "dash"),
    "/": (None, "slash"),
    "／": (None, "slash"),
    "无": (0, "zero_text"),
}


@dataclass(slots=True)
class ReportData:
    """One report's content, independent of layout.

    `cells` maps every canonical key of the format to its true value (None = nothing printed or a
    dash/slash). `raw` maps a key to the exact text printed when it is not the plain rendering of the
    value (e.g. ``"—"``, ``"无"``, ``"251000元"``, ``"+5"``); `expected(key)` gives value + flag.
    `narrative` maps a section key (``preamble``, ``overview``, ``active``, ``applications``,
    ``review_litigation``, ``problems``, ``other``, ``signature``) to its text.
    """

    seed: int
    agency: str
    stat_year: int
    format_version: str
    published_date: date
    scope: str
    title: str
    cells: dict[str, Value]
    raw: dict[str, str] = field(default_factory=dict)
    narrative: dict[str, str] = field(default_factory=dict)
    undivided_other: bool = False  # 2021 report keeping one （六）其他处理 row (corpus 001)
    inconsistent: str | None = None

    def text(self, key: str) -> str:
        """The text printed in the cell of `key`."""
        if key in self.raw:
            return self.raw[key]
        return format_value(key, self.cells[key])

    def expected(self, key: str) -> tuple[Value, str]:
        """(value, flag) a correct parser reports for `key` (format-spec §9.4)."""
        printed = self.text(key)
        if printed in EMPTY_SPELLINGS:
            return EMPTY_SPELLINGS[printed]
        if printed.endswith("元"):
            return self.cells[key], "unit_inline"
        return self.cells[key], "ok"

    @property
    def keys(self) -> list[str]:
        return keys_for(self.format_version, undivided_other=self.undivided_other)


def format_value(key: str, value: Value) -> str:
    if value is None:
        return ""
    if key in SIGNED_KEYS and isinstance(value, int) and value > 0:
        return f"+{value}"
    return str(value)


def lenient(v: Value) -> int | Decimal:
    """Blank/dash/slash read as 0 (format-spec §7.5 lenient mode) — how the forge keeps identities."""
    return 0 if v is None else v


# --------------------------------------------------------------------------------------------------
# agencies and titles (format-spec §9.9)

_PLACES = (
    ("浙江省", "宁波市", "镇海区"),
    ("江苏省", "宿迁市", "沭阳县"),
    ("江苏省", "淮安市", "洪泽区"),
    ("湖北省", "武汉市", "汉阳区"),
    ("贵州省", "黔西南州", "兴仁市"),
    ("吉林省", "长春市", "二道区"),
    ("四川省", "乐山市", "市中区"),
    ("广东省", "广州市", "番禺区"),
    ("陕西省", "西安市", "莲湖区"),
    ("甘肃省", "张掖市", "甘州区"),
    ("安徽省", "六安市", "金安区"),
    ("山东省", "济南市", "历下区"),
    ("河南省", "洛阳市", "偃师区"),
    ("湖南省", "怀化市", "麻阳苗族自治县"),
    ("福建省", "南平市", "建阳区"),
    ("重庆市", "", "大足区"),
    ("内蒙古自治区", "兴安盟", "乌兰浩特市"),
    ("江西省", "赣州市", "章贡区"),
)
_DEPARTMENTS = (
    "人力资源和社会保障局",
    "发展和改革局",
    "财政局",
    "教育局",
    "民政局",
    "审计局",
    "统计局",
    "住房和城乡建设局",
    "自然资源和规划局",
    "生态环境局",
    "市场监督管理局",
    "卫生健康委员会",
    "交通运输局",
    "农业农村局",
    "司法局",
    "应急管理局",
    "文化和旅游局",
    "医疗保障局",
    "退役军人事务局",
    "行政审批局",
)
_STREETS = ("东街", "人民路", "新华", "城关", "北街", "前进", "官洲", "底张", "横山", "下各")


def make_agency(rng: random.Random) -> tuple[str, str]:
    """A plausible real-style agency name and its scope (format-spec §9.7)."""
    _prov, city, county = rng.choice(_PLACES)
    kind = rng.random()
    if kind < 0.55:
        base = rng.choice((county, city + county)) if city else county
        return base + rng.choice(_DEPARTMENTS), "agency"
    if kind < 0.7:
        return (city + county if city else county) + rng.choice(_STREETS) + "街道办事处", "agency"
    if kind < 0.85:
        return (city if city and rng.random() < 0.5 else county) + "人民政府", "government_aggregate"
    return (city if city else county) + "人民政府办公室", "agency"


def make_title(rng: random.Random, agency: str, year: int) -> str:
    pattern = rng.choice(
        (
            "{a}{y}年度政府信息公开工作年度报告",
            "{a}{y}年政府信息公开工作年度报告",
            "{y}年{a}政府信息公开工作年度报告",
            "{y}年度{a}政府信息公开工作年度报告",
        )
    )
    return pattern.format(a=agency, y=year)


# --------------------------------------------------------------------------------------------------
# numbers


def _count(rng: random.Random, profile: str, p_nonzero: float, small: int, big: int) -> int:
    """A count with many zeros, mostly small, occasionally big (city-level) — real distributions."""
    if rng.random() >= p_nonzero:
        return 0
    if profile == "city" and rng.random() < 0.4:
        return rng.randint(small, big)
    return rng.randint(1, small)


def _amount(rng: random.Random, hi: int) -> Decimal:
    if rng.random() < 0.3:
        return Decimal(0)
    places = rng.choice((0, 1, 2, 2, 3, 4))
    unit = Decimal(1).scaleb(-places)
    return (Decimal(rng.randint(1, hi * 10**places)) * unit).quantize(unit)


def _t2(rng: random.Random, fv: str, profile: str, cells: dict[str, Value]) -> None:
    big = 50000 if profile == "city" else 800
    if fv == "gov2021":
        for kind, p in (("regulations", 0.15), ("normative_docs", 0.6)):
            issued = _count(rng, profile, p, 12, 60)
            repealed = _count(rng, profile, p / 2, 5, 30)
            cells[f"active.{kind}.issued"] = issued
            cells[f"active.{kind}.repealed"] = repealed
            cells[f"active.{kind}.in_force"] = issued + _count(rng, profile, p, 40, 600)
        for key in ("licensing", "penalty", "coercion"):
            cells[f"active.{key}.decisions"] = _count(rng, profile, 0.55, 700, big)
        cells["active.fees.amount_wan"] = _amount(rng, 9000 if profile == "city" else 80)
        return
    for kind in ("regulations", "normative_docs"):
        made = _count(rng, profile, 0.5, 15, 80)
        cells[f"active.{kind}.new_made"] = made
        cells[f"active.{kind}.new_published"] = made if rng.random() < 0.7 else rng.randint(0, made)
        cells[f"active.{kind}.total_published"] = made + _count(rng, profile, 0.7, 60, 600)
    for kind in ("licensing", "other_mgmt_services", "penalty", "coercion", "fees"):
        prev = _count(rng, profile, 0.5, 40, 900)
        cells[f"active.{kind}.prev_items"] = prev
        cells[f"active.{kind}.delta_items"] = rng.randint(-min(prev, 9), 9) if rng.random() < 0.5 else 0
        if kind != "fees":
            cells[f"active.{kind}.decisions"] = _count(rng, profile, 0.5, 700, big)
    projects = _count(rng, profile, 0.5, 20, 300)
    cells["active.procurement.projects"] = projects
    cells["active.procurement.amount_wan"] = _amount(rng, 5000) if projects else Decimal(0)


def _t3(rng: random.Random, profile: str, undivided: bool, cells: dict[str, Value]) -> None:
    leaves = T3_SUM7_2019 if undivided else T3_SUM7_2021
    busy = {"empty": 0.0, "small": 0.25, "city": 0.6}[profile]
    for c in C6:
        # natural persons dominate; organisations file rarely
        p = busy if c == "natural_person" else busy / 4
        top = {"empty": 0, "small": 6, "city": 300}[profile]
        done = 0
        for leaf in leaves:
            weight = 3 if leaf in ("granted", "unable.not_held", "partial") else 1
            v = _count(rng, profile, p * weight / 2, max(top // 3, 1), top) if top else 0
            cells[f"applications.{leaf}.{c}"] = v
            done += v
        carried_over = _count(rng, profile, p, max(top // 10, 1), max(top // 4, 1)) if top else 0
        forward = _count(rng, profile, p, max(top // 10, 1), max(top // 4, 1)) if top else 0
        carried_over = min(carried_over, done + forward)
        cells[f"applications.total_processed.{c}"] = done
        cells[f"applications.carried_forward.{c}"] = forward
        cells[f"applications.carried_over.{c}"] = carried_over
        cells[f"applications.new.{c}"] = done + forward - carried_over
    for r in t3_rows(undivided):
        cells[f"applications.{r.key}.total"] = sum(cells[f"applications.{r.key}.{c}"] or 0 for c in C6)


def _t4(rng: random.Random, profile: str, cells: dict[str, Value]) -> None:
    p = {"empty": 0.0, "small": 0.2, "city": 0.6}[profile]
    top = 3 if profile != "city" else 40
    for g, _ in T4_GROUPS:
        parts = [_count(rng, profile, p, top, top * 4) for _ in range(4)]
        for (c, _), v in zip(T4_COLUMNS[:4], parts, strict=True):
            cells[f"{g}.{c}"] = v
        cells[f"{g}.total"] = sum(parts)


def _legacy(rng: random.Random, profile: str, cells: dict[str, Value]) -> None:
    def n(p: float, small: int, big: int) -> int:
        return _count(rng, profile, p, small, big)

    ch = {k: n(0.7, 300, 20000) for k in ("gazette", "website", "weibo", "wechat", "other")}
    for k, v in ch.items():
        cells[f"legacy.active.ch.{k}"] = v
    total = max(ch.values()) + n(0.5, 100, 3000)  # one item via several channels counts once (§8.3)
    cells["legacy.active.total"] = total
    issued = n(0.6, 30, 200)
    cells["legacy.active.normative_issued"] = issued
    cells["legacy.active.normative_published"] = min(issued, total)
    press = n(0.5, 10, 60)
    interviews = n(0.4, 6, 30)
    cells.update(
        {
            "legacy.resp.hotspots": n(0.5, 20, 200),
            "legacy.resp.press_conf": press,
            "legacy.resp.press_conf_principal": rng.randint(0, press),
            "legacy.resp.online_interviews": interviews,
            "legacy.resp.online_interviews_principal": rng.randint(0, interviews),
            "legacy.resp.interpretations": n(0.6, 30, 300),
            "legacy.resp.weibo_wechat": n(0.4, 20, 500),
            "legacy.resp.other": n(0.3, 10, 100),
        }
    )
    received = {k: n(0.4, 8, 400) for k in ("in_person", "fax", "online", "letter")}
    for k, v in received.items():
        cells[f"legacy.apps.received.{k}"] = v
    got = sum(received.values())
    cells["legacy.apps.received.total"] = got
    extended = rng.randint(0, got // 10) if got else 0
    cells["legacy.apps.closed.on_time"] = got - extended
    cells["legacy.apps.closed.extended"] = extended
    cells["legacy.apps.closed.total"] = got
    refused = {
        k: 0
        for k in (
            "state_secret",
            "trade_secret",
            "privacy",
            "security_stability",
            "not_gov_info",
            "other_legal",
        )
    }
    replies = {
        k: 0
        for k in (
            "already_public",
            "granted",
            "partial",
            "refused",
            "not_this_agency",
            "not_exist",
            "ask_amend",
            "other_channel",
        )
    }
    for _ in range(got):  # each closed application gets exactly one reply kind
        kind = rng.choices(list(replies), weights=(3, 8, 2, 1, 2, 2, 1, 1))[0]
        replies[kind] += 1
        if kind == "refused":
            refused[rng.choice(list(refused))] += 1
    for k, v in replies.items():
        cells[f"legacy.apps.replied.{k}"] = v
    for k, v in refused.items():
        cells[f"legacy.apps.refused.{k}"] = v
    cells["legacy.apps.replied.total"] = got
    for g in ("review", "litigation", "complaints"):
        parts = [n(0.2, 3, 20) for _ in range(3)]
        for c, v in zip(("upheld", "corrected", "other"), parts, strict=True):
            cells[f"legacy.{g}.{c}"] = v
        cells[f"legacy.{g}.total"] = sum(parts)
    cells["legacy.fees_wan"] = _amount(rng, 2) if rng.random() < 0.2 else Decimal(0)
    full, part = rng.randint(0, 4), rng.randint(0, 8)
    cells.update(
        {
            "legacy.org.units": rng.randint(0, 2),
            "legacy.org.reading_points": rng.randint(0, 12),
            "legacy.org.staff_full": full,
            "legacy.org.staff_part": part,
            "legacy.org.staff": full + part,
            "legacy.org.budget_wan": _amount(rng, 50),
            "legacy.train.meetings": rng.randint(0, 6),
            "legacy.train.courses": rng.randint(0, 5),
            "legacy.train.trainees": n(0.6, 100, 2000),
        }
    )


# --------------------------------------------------------------------------------------------------
# faults and spellings


def _break(kind: str, rng: random.Random, cells: dict[str, Value]) -> None:
    if kind == "t4_totals":
        # corpus 001: components printed, totals 0
        if not any(cells[f"review.{c}"] for c, _ in T4_COLUMNS[:4]):
            cells["review.upheld"] = rng.randint(1, 12)
        if not any(cells[f"litigation.after_review.{c}"] for c, _ in T4_COLUMNS[:4]):
            cells["litigation.after_review.upheld"] = rng.randint(1, 6)
        for g, _ in T4_GROUPS:
            cells[f"{g}.total"] = 0
    elif kind == "t3_balance":
        k = rng.randint(1, 5)
        cells["applications.new.natural_person"] = lenient(cells["applications.new.natural_person"]) + k
        cells["applications.new.total"] = lenient(cells["applications.new.total"]) + k
    elif kind == "t3_rowsum":
        cells["applications.granted.total"] = lenient(cells["applications.granted.total"]) + 1
    else:
        raise ValueError(f"unknown inconsistency {kind!r}; allowed: {', '.join(INCONSISTENCIES)}")


def _spell(rng: random.Random, data: ReportData, blanks: str) -> None:
    """Choose how cells are printed: blank organisation columns, dashes, slashes, 无, units, signs."""
    cells, raw = data.cells, data.raw
    if blanks not in ("none", "org_columns", "sprinkle"):
        raise ValueError(f"unknown blanks mode {blanks!r}; allowed: none, org_columns, sprinkle")
    protected = {"applications.new.total", "applications.total_processed.total"}
    for key in data.keys:
        v = cells[key]
        if v != 0 or key in protected or key in AMOUNT_KEYS | LEGACY_AMOUNT_KEYS:
            continue
        col = key.rsplit(".", 1)[1]
        if blanks == "org_columns" and key.startswith("applications.") and col in C6[1:]:
            raw[key], cells[key] = "", None  # corpus 004/005: organisation columns left empty
        elif blanks == "sprinkle" and rng.random() < 0.15:
            spelling = rng.choice(tuple(EMPTY_SPELLINGS))
            raw[key] = spelling
            cells[key] = EMPTY_SPELLINGS[spelling][0]
    if data.format_version == "gov2019":
        amount = cells["active.procurement.amount_wan"]
        if amount:
            yuan = (amount * 10000).quantize(Decimal(1))
            cells["active.procurement.amount_wan"] = yuan / 10000
            raw["active.procurement.amount_wan"] = (
                f"{yuan}元" if rng.random() < 0.5 else f"{(yuan / 10000).normalize():f}万元"
            )
        else:
            cells["active.procurement.amount_wan"] = Decimal(0)
    for key in sorted(SIGNED_KEYS & set(cells)):  # sorted: set order changes with PYTHONHASHSEED
        v = cells[key]
        if isinstance(v, int) and v > 0 and key not in raw and rng.random() < 0.3:
            raw[key] = str(v)  # a bare positive delta is just as common as "+5"


_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _wild(rng: random.Random, data: ReportData) -> None:
    """Spell numbers the ways real reports do without changing them (format-spec §9.4 'ok' rows):
    ``1,234``, full-width ``１２``, ``0件``, and 2019 deltas as ``增加5`` / ``减少3``."""
    for key in data.keys:
        v = data.cells[key]
        if key in data.raw or not isinstance(v, int):
            continue
        roll = rng.random()
        if key in SIGNED_KEYS and v != 0 and roll < 0.5:
            data.raw[key] = f"增加{v}" if v > 0 else f"减少{-v}"
        elif v >= 1000 and roll < 0.6:
            data.raw[key] = f"{v:,}"
        elif roll < 0.12:
            data.raw[key] = str(v).translate(_FULLWIDTH)
        elif roll < 0.2 and key.startswith(("active.", "review.", "litigation.")):
            data.raw[key] = f"{v}件"


# --------------------------------------------------------------------------------------------------
# narrative

_SUBTOPICS = ("主动公开", "依申请公开", "政府信息管理", "政府信息公开平台建设", "监督保障")


def _narrative(rng: random.Random, d: ReportData) -> dict[str, str]:
    y, a, c = d.stat_year, d.agency, d.cells
    who = "本机关" if d.scope == "agency" else "本级政府"
    period = rng.choice(
        (
            f"本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。",
            f"本年度报告所列数据的统计时限为{y}年1月1日至{y}年12月31日。",
            f"本报告所列数据统计期限从{y}年1月1日至{y}年12月31日止。",
        )
    )
    scope_txt = "本报告汇总了全县各级行政机关的政府信息公开工作情况。" if d.scope != "agency" else ""
    out = {
        "preamble": (
            f"根据《中华人民共和国政府信息公开条例》（以下简称《条例》）要求，现向社会公布{a}{y}年度"
            f"政府信息公开工作年度报告。{scope_txt}{period}如对本报告有疑问，请与{a}联系。"
        ),
        "signature": f"{a}\n{d.published_date.year}年{d.published_date.month}月{d.published_date.day}日",
    }
    if d.format_version == "legacy_2014":
        got = c["legacy.apps.received.total"]
        out["overview"] = f"{y}年，{who}认真贯彻落实《条例》，扎实推进政府信息公开工作。"
        out["active"] = f"全年主动公开政府信息{c['legacy.active.total']}条。"
        out["applications"] = f"全年共受理政府信息公开申请{got}件，均已按期答复。"
        out["review_litigation"] = (
            f"全年发生政府信息公开行政复议{c['legacy.review.total']}件，"
            f"行政诉讼{c['legacy.litigation.total']}件。"
        )
        out["problems"] = "政府信息公开工作还存在公开内容不够全面等问题，下一步将加强培训，规范公开流程。"
        out["other"] = "无。"
        return out
    nums = rng.choice(("（{n}）", "{n}.", "（{z}）"))
    zh = "一二三四五"
    parts = []
    for i, t in enumerate(_SUBTOPICS):
        label = nums.format(n=i + 1, z=zh[i])
        parts.append(f"{label}{t}\n{y}年，{who}围绕{t}工作，规范流程，落实责任，工作平稳有序。")
    out["overview"] = f"{y}年，{a}坚持以公开为常态、不公开为例外，全面推进政务公开。\n" + "\n".join(parts)
    new, co = lenient(c["applications.new.total"]), lenient(c["applications.carried_over.total"])
    cf = lenient(c["applications.carried_forward.total"])
    out["applications"] = (
        f"{y}年，{who}本年新收政府信息公开申请{new}件，上年结转{co}件，结转下年度继续办理{cf}件。"
        if new or co
        else f"{y}年度，{who}未收到政府信息公开申请，无上年结转的申请。"
    )
    out["review_litigation"] = ""
    out["problems"] = (
        "一是政策解读形式较为单一；二是主动公开的及时性有待提高。下一步，将加强业务培训，丰富解读形式。"
    )
    fee_txt = "本年度未收取信息处理费。" if d.format_version == "gov2021" else ""
    out["other"] = rng.choice(
        ("无。", f"本机关无其他需要报告的事项。{fee_txt}", f"{fee_txt}无其他需要报告的事项。")
    )
    return out


# --------------------------------------------------------------------------------------------------


def make_report(
    seed: int,
    *,
    format_version: str | None = None,
    profile: str | None = None,
    blanks: str | None = None,
    inconsistent: str | None = None,
    undivided_other: bool | None = None,
    wild: bool = False,
    title_year: bool = True,
    **overrides: Any,
) -> ReportData:
    """Draw one consistent report from `seed`.

    format_version: ``gov2021`` | ``gov2019`` | ``legacy_2014`` (default: drawn, mostly gov2021).
    profile: ``empty`` (all applications 0, like the seed), ``small`` or ``city`` (big numbers).
    blanks: ``none``, ``org_columns`` (zero organisation cells left empty, corpus 004/005) or
        ``sprinkle`` (some zero cells printed as blank/—/-/／/无).
    inconsistent: one of `INCONSISTENCIES` to break a rule on purpose.
    undivided_other: a gov2021 report keeping one （六）其他处理 row (corpus 001).
    wild: spell numbers as ``1,234``, ``１２``, ``5件``, ``增加5`` (same values; `_wild`).
    title_year: False prints a title without the year (§9.9: take the year from the body).
    overrides: any `ReportData` field (e.g. ``agency=...``, ``stat_year=...``) replaced at the end;
        the title and narrative are re-derived unless overridden too.
    """
    rng = random.Random(seed)
    fv = format_version or rng.choices(FORMAT_VERSIONS, weights=(6, 2, 1))[0]
    if fv not in FORMAT_VERSIONS:
        raise ValueError(f"unknown format_version {fv!r}; allowed: {', '.join(FORMAT_VERSIONS)}")
    prof = profile or rng.choices(("empty", "small", "city"), weights=(1, 3, 2))[0]
    if prof not in ("empty", "small", "city"):
        raise ValueError(f"unknown profile {prof!r}; allowed: empty, small, city")
    if fv == "gov2021":
        year = rng.randint(2021, 2025)
        undivided = bool(undivided_other) if undivided_other is not None else rng.random() < 0.1
    elif fv == "gov2019":
        year = rng.choice((2019, 2020, 2020, 2023))  # stragglers keep the old table (§9.6)
        undivided = True
    else:
        year = rng.randint(2014, 2018)
        undivided = False
    agency, scope = make_agency(rng)
    published = date(year + 1, 1, 5) + timedelta(days=rng.randint(0, 80))
    cells: dict[str, Value] = {}
    if fv == "legacy_2014":
        _legacy(rng, prof, cells)
    else:
        _t2(rng, fv, prof, cells)
        _t3(rng, prof, undivided, cells)
        _t4(rng, prof, cells)
    if inconsistent:
        _break(inconsistent, rng, cells)
    data = ReportData(
        seed=seed,
        agency=agency,
        stat_year=year,
        format_version=fv,
        published_date=published,
        scope=scope,
        title=make_title(rng, agency, year),
        cells=cells,
        undivided_other=undivided if fv == "gov2021" else False,
        inconsistent=inconsistent,
    )
    missing = set(data.keys) - set(cells)
    if missing:  # a forge bug, not a user error
        raise AssertionError(f"forge left keys without a value: {sorted(missing)[:5]}")
    mode = blanks or rng.choices(("none", "org_columns", "sprinkle"), weights=(5, 2, 2))[0]
    # a deliberately broken report keeps every number printed, so its failing rule stays assessable
    _spell(rng, data, "none" if inconsistent else mode)
    if wild and not inconsistent:
        _wild(random.Random(seed ^ 0x5EED), data)
    if not title_year:
        data.title = f"{agency}政府信息公开工作年度报告"
    if overrides:
        data = replace(data, **overrides)
        if "title" not in overrides and ("agency" in overrides or "stat_year" in overrides):
            data.title = make_title(random.Random(seed), data.agency, data.stat_year)
    if "narrative" not in overrides:
        data.narrative = _narrative(rng, data)
    return data
