"""Forge pre-2019 reports: provincial legacy_2014 tables and legacy_2008 prose (format-spec §8).

Why separate from `layout.table_legacy`: the national 统计表 is already forged there (and pinned by the
VARIANTS digest); the provincial re-issues and the free-text era are printed here from the same
`ReportData`, so every figure a parser reports can be checked against the data it was printed from.

- ``render_legacy_table(data, shape=...)``: HTML (or pipe text) 统计表 in a provincial shape —
  ``split3``: 序号 | 统计指标 | 单位 | 统计数 over 区政府 / 区直单位 / 乡镇街道 (two header rows,
  no total); ``split_total``: 统计指标 | 单位 | 合计 | 区政府 | 区直单位 | 乡镇街道; ``dingxi``:
  指标名称 | 计量单位 | 代码 | 本期实际 | 本年累计. Group rows print "—"; one local row the §8.2 form
  lacks (主动公开行政执法信息数) is added.
- ``render_legacy_prose(data, style=...)``: a legacy_2008 report whose figures are only in sentences,
  Arabic or Chinese numerals (三十二件, 一百零五条) and "未收到…申请" for zeros.

`legacy_expected(data, shape)` / `prose_expected(data)` give what a correct parser reports.
"""

from __future__ import annotations

import html
import random
from decimal import Decimal

from tests.forge.data import ReportData, format_value
from tests.forge.keys import LEGACY_ROWS

SHAPES = ("split3", "split_total", "dingxi")
SPLIT_COLS = ("区政府", "区直单位", "乡镇街道")
EXTRA_ROW = ("主动公开行政执法信息数", "条")


def _split(value: int | Decimal | None, rng: random.Random) -> list[int | Decimal | None]:
    if value is None:
        return [None, None, None]
    if isinstance(value, Decimal):
        units = int(value * 10000)
        a = rng.randint(0, units)
        b = rng.randint(0, units - a)
        return [Decimal(a) / 10000, Decimal(b) / 10000, Decimal(units - a - b) / 10000]
    a = rng.randint(0, value)
    b = rng.randint(0, value - a)
    return [a, b, value - a - b]


def _extra_value(data: ReportData) -> int:
    return random.Random(data.seed ^ 0xE7).randint(0, 400)


def _parts(data: ReportData) -> dict[str, list[int | Decimal | None]]:
    rng = random.Random(data.seed ^ 0x5917)
    out = {key: _split(data.cells[key], rng) for _, _, key in LEGACY_ROWS if key}
    out["extra"] = _split(_extra_value(data), rng)
    return out


def _num(v: int | Decimal | None) -> str:
    return "" if v is None else format_value("", v if not isinstance(v, Decimal) else v.normalize())


def legacy_rows(data: ReportData, shape: str) -> list[list[tuple[str, int, int]]]:
    """The table as rows of (text, rowspan, colspan) origin cells."""
    if shape not in SHAPES:
        raise ValueError(f"shape={shape!r}; allowed: {', '.join(SHAPES)}")
    parts = _parts(data)
    rows: list[list[tuple[str, int, int]]] = []
    if shape == "split3":
        rows.append([("序号", 2, 1), ("统计指标", 2, 1), ("单位", 2, 1), ("统计数", 1, 3)])
        rows.append([(c, 1, 1) for c in SPLIT_COLS])
    elif shape == "split_total":
        rows.append([(h, 1, 1) for h in ("统计指标", "单位", "合计", *SPLIT_COLS)])
    else:
        rows.append([(h, 1, 1) for h in ("指标名称", "计量单位", "代码", "本期实际", "本年累计")])
    table = [*LEGACY_ROWS[:3], (EXTRA_ROW[0], EXTRA_ROW[1], "extra"), *LEGACY_ROWS[3:]]
    code = 0
    for i, (label, unit, key) in enumerate(table, 1):
        if key is None:
            vals = ["—"] * (3 if shape != "dingxi" else 2)
        elif key == "extra":
            vals = [_num(x) for x in parts["extra"]]
            total = _num(_extra_value(data))
        else:
            vals = [_num(x) for x in parts[key]]
            total = data.text(key)
        if shape == "split3":
            rows.append([(str(i), 1, 1), (label, 1, 1), (unit, 1, 1), *((v, 1, 1) for v in vals)])
        elif shape == "split_total":
            rows.append(
                [
                    (label, 1, 1),
                    (unit, 1, 1),
                    ("—" if key is None else total, 1, 1),
                    *((v, 1, 1) for v in vals),
                ]
            )
        else:
            code += 1
            cur = "—" if key is None else total
            rows.append(
                [(label, 1, 1), (unit if key else "—", 1, 1), (f"{code:02d}", 1, 1), (cur, 1, 1), (cur, 1, 1)]
            )
    return rows


def legacy_expected(data: ReportData, shape: str) -> dict[str, int | Decimal | None]:
    """Key → value a correct parser reports for `render_legacy_table(data, shape)`."""
    out: dict[str, int | Decimal | None] = {}
    parts = _parts(data)
    for _, _, key in LEGACY_ROWS:
        if key is None:
            continue
        out[key] = data.cells[key]
        if shape != "dingxi":
            for col, v in zip(SPLIT_COLS, parts[key], strict=True):
                out[f"legacy.ext.col.{col}.{key.removeprefix('legacy.')}"] = v
    out[f"legacy.ext.{EXTRA_ROW[0]}"] = _extra_value(data)
    return out


def _html(rows: list[list[tuple[str, int, int]]]) -> str:
    body = "\n".join(
        "<tr>"
        + "".join(f"<td rowspan='{rs}' colspan='{cs}'>{html.escape(t)}</td>" for t, rs, cs in row)
        + "</tr>"
        for row in rows
    )
    return f"<table border='1'>\n{body}\n</table>"


def _page(data: ReportData, paras: list[str], table: str = "") -> bytes:
    ps = "\n".join(f"<p>{html.escape(p)}</p>" for p in paras)
    title = html.escape(data.title)
    return (
        f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><h1>{title}</h1>\n{ps}\n"
        f"<p>附表：政府信息公开情况统计表</p>\n{table}\n"
        f"<p>{html.escape(data.agency)}</p></body></html>"
    ).encode()


def render_legacy_table(
    data: ReportData, layout: object = None, *, shape: str = "split3"
) -> tuple[bytes, str, str]:
    """A legacy_2014 report whose 统计表 has a provincial `shape` (HTML)."""
    paras = [data.narrative["preamble"], "一、概述", data.narrative.get("overview", "")]
    return (
        _page(data, paras, _html(legacy_rows(data, shape))),
        "text/html; charset=utf-8",
        f"legacy-{data.seed}.html",
    )


# --------------------------------------------------------------------------------------------------
# legacy_2008 prose

_CN_DIGITS = "零一二三四五六七八九"


def to_chinese(n: int) -> str:
    """Positional Chinese numeral for 0 ≤ n < 10⁸ (三十二, 一百零五, 一千二百)."""
    if n == 0:
        return "零"
    if n >= 10000:
        hi, lo = divmod(n, 10000)
        rest = "" if lo == 0 else ("零" if lo < 1000 else "") + to_chinese(lo)
        return to_chinese(hi) + "万" + rest
    out = ""
    zero = False
    for unit, div in (("千", 1000), ("百", 100), ("十", 10), ("", 1)):
        d, n = divmod(n, div)
        if d:
            if zero:
                out += "零"
                zero = False
            out += _CN_DIGITS[d] + unit
        elif out:
            zero = True
    return out


def _say(n: int, rng: random.Random, unit: str) -> str:
    return f"{to_chinese(n) if rng.random() < 0.4 and n < 100000 else n}{unit}"


PROSE_KEYS = (
    "legacy.active.total",
    "legacy.apps.received.total",
    "legacy.apps.received.in_person",
    "legacy.apps.received.online",
    "legacy.apps.received.fax",
    "legacy.apps.received.letter",
    "legacy.apps.replied.granted",
    "legacy.apps.replied.partial",
    "legacy.apps.replied.refused",
    "legacy.review.total",
    "legacy.litigation.total",
    "legacy.fees_wan",
)


def prose_paragraphs(data: ReportData) -> list[str]:
    rng = random.Random(data.seed ^ 0x2008)
    c = data.cells
    y = data.stat_year
    got = c["legacy.apps.received.total"]
    paras = [
        data.narrative["preamble"],
        "一、概述",
        f"{y}年，本机关认真贯彻落实《条例》，政府信息公开工作运行正常。",
        "二、主动公开政府信息情况",
        f"{y}年，共主动公开政府信息{_say(c['legacy.active.total'], rng, '条')}，其中全文电子化率达100%。",
        "三、依申请公开政府信息情况",
    ]
    if got:
        paras.append(
            f"全年共受理政府信息公开申请{_say(got, rng, '件')}，其中当面申请"
            f"{_say(c['legacy.apps.received.in_person'], rng, '件')}，网上申请"
            f"{_say(c['legacy.apps.received.online'], rng, '件')}，传真申请"
            f"{_say(c['legacy.apps.received.fax'], rng, '件')}，信函申请"
            f"{_say(c['legacy.apps.received.letter'], rng, '件')}。"
        )
        paras.append(
            f"在已答复的申请中，同意公开{_say(c['legacy.apps.replied.granted'], rng, '件')}，"
            f"同意部分公开{_say(c['legacy.apps.replied.partial'], rng, '件')}，"
            f"不予公开{_say(c['legacy.apps.replied.refused'], rng, '件')}。"
        )
    else:
        paras.append(f"{y}年度本机关未收到政府信息公开申请。")
    fee = c["legacy.fees_wan"] or Decimal(0)
    paras.append("四、政府信息公开的收费及减免情况")
    paras.append(
        f"全年共收取检索、复制等费用{int(fee * 10000)}元。" if fee else "全年未收取政府信息公开相关费用。"
    )
    paras.append("五、因政府信息公开申请行政复议、提起行政诉讼的情况")
    rev, lit = c["legacy.review.total"], c["legacy.litigation.total"]
    if rev or lit:
        paras.append(f"全年发生政府信息公开行政复议{_say(rev, rng, '件')}，行政诉讼{_say(lit, rng, '件')}。")
    else:
        paras.append("本年度未发生针对本机关政府信息公开事务的行政复议和行政诉讼。")
    paras += ["六、存在的主要问题和改进措施", "公开内容的及时性、全面性还需要在今后的工作中加以改进。"]
    return paras


def prose_expected(data: ReportData) -> dict[str, int | Decimal]:
    """Key → value a correct parser reads from `render_legacy_prose(data)` (figures of zero-application
    reports are the single 未收到 statement, so only received.total is expected then)."""
    c = data.cells
    keys = list(PROSE_KEYS)
    if not c["legacy.apps.received.total"]:
        keys = [k for k in keys if not k.startswith("legacy.apps.") or k == "legacy.apps.received.total"]
    out: dict[str, int | Decimal] = {k: c[k] or 0 for k in keys}
    out["legacy.fees_wan"] = Decimal(int((c["legacy.fees_wan"] or 0) * 10000)) / 10000
    return out


def render_legacy_prose(
    data: ReportData, layout: object = None, *, style: str = "html"
) -> tuple[bytes, str, str]:
    """A legacy_2008 report with figures only in sentences; style ``html`` or ``text``."""
    paras = prose_paragraphs(data)
    if style == "text":
        text = "\n".join([data.title, *paras, data.agency]) + "\n"
        return text.encode("utf-8"), "text/plain; charset=utf-8", f"prose-{data.seed}.txt"
    if style != "html":
        raise ValueError(f"style={style!r}; allowed: html, text")
    ps = "\n".join(f"<p>{html.escape(p)}</p>" for p in paras)
    title = html.escape(data.title)
    head = f"<html><head><meta charset='utf-8'><title>{title}</title></head>"
    page = f"{head}<body><h1>{title}</h1>\n{ps}\n</body></html>"
    return page.encode(), "text/html; charset=utf-8", f"prose-{data.seed}.html"
