"""From `ReportData` to a carrier-neutral outline: title, paragraphs, headings and logical tables.

Why a middle layer: every carrier (HTML, DOCX, PDF, text) must print *the same* tables with the same
merges, so the table shapes real portals use (format-spec §4.1 header block, §9.6 deviations) are built
once here as `LTable`s — rows of origin cells with rowspan/colspan, exactly like HTML — and each renderer
only translates them. `Layout` names every knob; `Layout()` is the template as printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tests.forge.data import ReportData, lenient
from tests.forge.keys import (
    LEGACY_ROWS,
    T3_COLUMNS,
    T3_CORNER_NOTE,
    T3_GROUP_LABELS,
    T3_RESULT_LABEL,
    T4_COLUMNS,
    T4_GROUPS,
    T2Block,
    t2_blocks,
    t3_rows,
)


@dataclass(frozen=True, slots=True)
class LCell:
    """One origin cell: printed text (``\\n`` = a line break inside the cell) and its spans."""

    text: str
    rowspan: int = 1
    colspan: int = 1
    key: str | None = None  # the canonical key when this cell holds a value


@dataclass(slots=True)
class LTable:
    """A table as HTML describes it: each row lists only the cells that start in it."""

    name: str
    rows: list[list[LCell]]
    caption: str | None = None  # printed as a paragraph just above the table (e.g. 第二十条第（一）项)

    def grid(self) -> list[list[tuple[LCell, bool, bool]]]:
        """Expand merges: each position → (cell, is_origin, is_row_continuation).

        ``is_row_continuation`` is True where a rowspan from an earlier row covers the position
        (a Word vertical-merge continuation); colspan coverage on the origin row is False.
        """
        out: list[list[tuple[LCell, bool, bool] | None]] = []
        for r, row in enumerate(self.rows):
            while len(out) <= r:
                out.append([])
            c = 0
            for cell in row:
                while c < len(out[r]) and out[r][c] is not None:
                    c += 1
                for dr in range(cell.rowspan):
                    while len(out) <= r + dr:
                        out.append([])
                    line = out[r + dr]
                    while len(line) < c + cell.colspan:
                        line.append(None)
                    for dc in range(cell.colspan):
                        line[c + dc] = (cell, dr == 0 and dc == 0, dr > 0)
                c += cell.colspan
        width = max(len(r) for r in out)
        pad = LCell("")
        return [
            [x if x is not None else (pad, True, False) for x in r + [None] * (width - len(r))] for r in out
        ]

    @property
    def n_cols(self) -> int:
        return len(self.grid()[0])


@dataclass(frozen=True, slots=True)
class Layout:
    """How the tables are drawn. Defaults are the official template (Word-exported look).

    t2: ``grid`` one table, single values spanning the grid (template); ``split`` one table per
        第二十条 block; ``flat`` one table, no colspans (CMS editors); ``shifted`` a 5-column grid whose
        value cells are colspan-shifted against their headers (corpus 005).
    t3_corner: ``cell`` the note in the 3×3 corner; ``none`` an empty corner; ``paragraph`` the note
        as a paragraph above the table.
    t3_result: ``merged`` 三、本年度办理结果 as one rowspan cell; ``repeated`` printed on every row.
    t3_groups: ``merged`` （三）…（六） as rowspan cells; ``repeated`` printed on every child row.
    t3_repeat_header: repeat the 3 header rows before （四）无法提供 (a page-break continuation).
    t4: ``standard`` (3 header rows + 15 numbers), ``transposed`` (3 rows × 5), ``split`` (复议 and
        诉讼 as two tables), ``transposed_split``.
    linebreaks: labels wrapped inside cells (商业\\n企业, 本年新\\n制作数量, 结果\\n纠正).
    annotated: Hubei-style labels with parenthetical guidance plus an extra row (format-spec §3.4).
    title_lines: ``one`` or ``two`` (agency / year+title, as in the seed).
    """

    t2: Literal["grid", "split", "split_titles", "flat", "shifted"] = "grid"
    t3_corner: Literal["cell", "none", "paragraph"] = "cell"
    t3_result: Literal["merged", "repeated"] = "merged"
    t3_groups: Literal["merged", "repeated"] = "merged"
    t3_repeat_header: bool = False
    t3_split: Literal["none", "bare", "header"] = "none"
    t4: Literal["standard", "transposed", "split", "transposed_split"] = "standard"
    linebreaks: bool = False
    annotated: bool = False
    title_lines: Literal["one", "two"] = "one"
    legacy_serial: bool = False  # legacy table with a leading 序号 column
    tables_as_images: bool = False  # screenshots instead of tables (format-spec §9.1 "Images")
    label_variants: bool = False  # wording variants of labels and headings (format-spec §2, §4.2, §9.2)
    t3_subtotal_col: bool = False  # an extra 法人或其他组织 小计 column (format-spec §4.1 forks)

    def __post_init__(self) -> None:
        allowed = {
            "t2": ("grid", "split", "split_titles", "flat", "shifted"),
            "t3_split": ("none", "bare", "header"),
            "t3_corner": ("cell", "none", "paragraph"),
            "t3_result": ("merged", "repeated"),
            "t3_groups": ("merged", "repeated"),
            "t4": ("standard", "transposed", "split", "transposed_split"),
            "title_lines": ("one", "two"),
        }
        for name, values in allowed.items():
            if getattr(self, name) not in values:
                raise ValueError(f"Layout.{name}={getattr(self, name)!r}; allowed: {', '.join(values)}")
        if self.t3_repeat_header and self.t3_split != "none":
            raise ValueError(
                "Layout.t3_repeat_header and Layout.t3_split are two ways to break table 三; pick one"
            )
        if self.t3_repeat_header and self.t3_result == "merged":
            raise ValueError(
                "Layout.t3_repeat_header needs t3_result='repeated' (a merged label cannot cross it)"
            )


# Outline blocks: ("title", text) | ("heading", text) | ("para", text) | ("table", LTable) | ("image", name)
Block = tuple[str, object]


@dataclass(slots=True)
class Outline:
    blocks: list[Block] = field(default_factory=list)

    def add(self, kind: str, value: object) -> None:
        self.blocks.append((kind, value))

    @property
    def tables(self) -> list[LTable]:
        return [v for k, v in self.blocks if k == "table"]  # type: ignore[misc]


_BREAKS = {
    "商业企业": "商业\n企业",
    "科研机构": "科研\n机构",
    "社会公益组织": "社会公益\n组织",
    "法律服务机构": "法律服务\n机构",
    "本年新制作数量": "本年新\n制作数量",
    "本年新公开数量": "本年新\n公开数量",
    "对外公开总数量": "对外公开\n总数量",
    "本年制发件数": "本年制发\n件数",
    "结果维持": "结果\n维持",
    "结果纠正": "结果\n纠正",
    "其他结果": "其他\n结果",
    "尚未审结": "尚未\n审结",
    "（三）不予公开": "（三）\n不予\n公开",
    "（四）无法提供": "（四）\n无法\n提供",
    "（五）不予处理": "（五）\n不予\n处理",
}


def _lb(text: str, layout: Layout) -> str:
    return _BREAKS.get(text, text) if layout.linebreaks else text


def _annot_label(label: str, layout: Layout, year: int) -> str:
    if not layout.annotated:
        return label
    notes = {
        "规章": "（设区的市、自治州人民政府应提供相关数据）",
        "上一年项目数量": f"（指{year - 1}年事项数）",
        "行政许可": "（含行政审批）",
    }
    return label + notes.get(label, "")


# --------------------------------------------------------------------------------------------------
# table 二


def _spans(n_values: int, width: int) -> list[int]:
    """Spread n value cells over `width` grid columns (template: 3→1,1,1; 2→1,2; 1→3)."""
    if n_values == width:
        return [1] * width
    if n_values == 1:
        return [width]
    first = [1] * (n_values - 1)
    return [*first, width - sum(first)]


def _t2_block_rows(b: T2Block, d: ReportData, layout: Layout, width: int | None) -> list[list[LCell]]:
    year = d.stat_year
    headers = [_var(_annot_label(h, layout, year), layout) for h in b.headers]
    n = len(headers)
    if width is None:  # flat: no colspans at all
        hspans = vspans = [1] * n
        title_span = n + 1
    elif (
        layout.t2 == "shifted"
        and width == 4
        and n == 3
        and d.format_version == "gov2019"
        and b.item in "五六"
    ):
        hspans, vspans = [1, 2, 1], [2, 1, 1]  # corpus 005: values shifted against their headers
        title_span = width + 1
    elif layout.t2 == "shifted" and width == 4:
        hspans = vspans = {3: [1, 2, 1], 2: [2, 2], 1: [4]}[n]
        title_span = width + 1
    else:
        hspans = vspans = _spans(n, width)
        title_span = width + 1
    rows: list[list[LCell]] = [
        [LCell(b.title, colspan=title_span)],
        [LCell("信息内容")]
        + [LCell(_lb(h, layout), colspan=s) for h, s in zip(headers, hspans, strict=True)],
    ]
    for label, keys in b.rows:
        rows.append(
            [LCell(_annot_label(label, layout, year))]
            + [LCell(d.text(k), colspan=s, key=k) for k, s in zip(keys, vspans, strict=True)]
        )
    if layout.annotated and b.item == "一":
        extra = "其他主动公开文件（含通知、公告等）"
        n_extra = [str((d.seed * (i + 7)) % 23) for i in range(n)]
        rows.append([LCell(extra)] + [LCell(v, colspan=s) for v, s in zip(n_extra, vspans, strict=True)])
    return rows


def table2(d: ReportData, layout: Layout) -> list[LTable]:
    blocks = t2_blocks(d.format_version)
    if layout.t2 == "split":
        return [LTable(f"t2.{b.item}", _t2_block_rows(b, d, layout, len(b.headers))) for b in blocks]
    if layout.t2 == "split_titles":  # the block title is a paragraph above its own table
        return [
            LTable(f"t2.{b.item}", _t2_block_rows(b, d, layout, len(b.headers))[1:], caption=b.title)
            for b in blocks
        ]
    width = None if layout.t2 == "flat" else (4 if layout.t2 == "shifted" else 3)
    rows = [r for b in blocks for r in _t2_block_rows(b, d, layout, width)]
    return [LTable("t2", rows)]


# --------------------------------------------------------------------------------------------------
# table 三


def _t3_header(layout: Layout) -> list[list[LCell]]:
    corner = T3_CORNER_NOTE if layout.t3_corner == "cell" else ""
    extra = 1 if layout.t3_subtotal_col else 0
    orgs = [LCell(_lb(lab, layout)) for _, lab in T3_COLUMNS[1:6]] + ([LCell("小计")] if extra else [])
    return [
        [LCell(corner, rowspan=3, colspan=3), LCell("申请人情况", colspan=7 + extra)],
        [LCell("自然人", rowspan=2), LCell("法人或其他组织", colspan=5 + extra), LCell("总计", rowspan=2)],
        orgs,
    ]


_LABEL_VARIANTS = {
    "四、结转下年度继续办理": "四、结转下一年度继续办理",
    "（二）部分公开（区分处理的，只计这一情形，不计其他情形）": (
        "（二）部分公开(区分处理的,只计这一情形,不计其他情形)"
    ),
    "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请": (
        "1.申请人无正当理由逾期不补正，行政机关不再处理其政府信息公开申请"
    ),
    "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请": (
        "2.申请人逾期未按收费通知要求缴纳费用 行政机关不再处理其政府信息公开申请"
    ),
    "本年收费金额（单位：万元）": "本年收费金额(单位:万元)",
    "四、政府信息公开行政复议、行政诉讼情况": "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况",
    "五、存在的主要问题及改进情况": "五、政府信息公开工作存在的主要问题及改进情况",
    "一、总体情况": "一、概述",
}


def _var(text: str, layout: Layout) -> str:
    return _LABEL_VARIANTS.get(text, text) if layout.label_variants else text


def table3(d: ReportData, layout: Layout) -> list[LTable]:
    rows_def = t3_rows(d.undivided_other or d.format_version == "gov2019")
    results = [r for r in rows_def if not r.top]
    rows: list[list[LCell]] = _t3_header(layout)
    group_seen: set[str] = set()
    for r in rows_def:
        values = [
            LCell(d.text(f"applications.{r.key}.{c}"), key=f"applications.{r.key}.{c}") for c, _ in T3_COLUMNS
        ]
        if layout.t3_subtotal_col:
            orgs = sum(lenient(d.cells[f"applications.{r.key}.{c}"]) for c, _ in T3_COLUMNS[1:6])
            values.insert(6, LCell(str(orgs)))
        if r.key == "unable.not_held":
            split_at = len(rows)
            if layout.t3_repeat_header:
                rows.extend(_t3_header(layout))
        if r.top:
            rows.append([LCell(_var(r.label, layout), colspan=3), *values])
            continue
        lead: list[LCell] = []
        if layout.t3_result == "repeated":
            lead.append(LCell(T3_RESULT_LABEL))
        elif r is results[0]:
            lead.append(LCell(T3_RESULT_LABEL, rowspan=len(results)))
        if r.group is None:
            lead.append(LCell(_var(r.label, layout), colspan=2))
        else:
            group_label = _lb(T3_GROUP_LABELS[r.group], layout)
            size = sum(1 for x in rows_def if x.group == r.group)
            if layout.t3_groups == "repeated":
                lead.append(LCell(group_label))
            elif r.group not in group_seen:
                lead.append(LCell(group_label, rowspan=size))
            group_seen.add(r.group)
            lead.append(LCell(_var(r.label, layout)))
        rows.append(lead + values)
    if layout.t3_split == "none":
        return [LTable("t3", rows)]
    return _split_t3(rows, split_at, len(results), layout)


def _split_t3(rows: list[list[LCell]], at: int, n_results: int, layout: Layout) -> list[LTable]:
    """Table 三 broken in two (a page break kept by a PDF→HTML or Word export): the merged
    三、本年度办理结果 / group cells end at the break and continue as empty merged cells after it."""
    first, second = rows[:at], rows[at:]
    if layout.t3_result == "merged":
        start = next(i for i, row in enumerate(first) if row and row[0].text == T3_RESULT_LABEL)
        done = len(first) - start
        head = first[start][0]
        first[start] = [LCell(head.text, rowspan=done, colspan=head.colspan), *first[start][1:]]
        second[0] = [LCell("", rowspan=n_results - done), *second[0]]
    if layout.t3_split == "header":
        second = _t3_header(layout) + second
    return [LTable("t3", first), LTable("t3.cont", second)]


# --------------------------------------------------------------------------------------------------
# table 四


def _t4_labels(layout: Layout) -> list[LCell]:
    return [LCell(_lb(lab, layout)) for _, lab in T4_COLUMNS]


def _t4_values(d: ReportData, group: str) -> list[LCell]:
    return [LCell(d.text(f"{group}.{c}"), key=f"{group}.{c}") for c, _ in T4_COLUMNS]


def table4(d: ReportData, layout: Layout) -> list[LTable]:
    (rev, rev_label), (direct, direct_label), (after, after_label) = T4_GROUPS
    if layout.t4 == "standard":
        return [
            LTable(
                "t4",
                [
                    [LCell(rev_label, colspan=5), LCell("行政诉讼", colspan=10)],
                    [LCell(c.text, rowspan=2) for c in _t4_labels(layout)]
                    + [LCell(direct_label, colspan=5), LCell(after_label, colspan=5)],
                    _t4_labels(layout) + _t4_labels(layout),
                    _t4_values(d, rev) + _t4_values(d, direct) + _t4_values(d, after),
                ],
            )
        ]
    if layout.t4 == "split":
        return [
            LTable("t4.review", [[LCell(rev_label, colspan=5)], _t4_labels(layout), _t4_values(d, rev)]),
            LTable(
                "t4.litigation",
                [
                    [LCell("行政诉讼", colspan=10)],
                    [LCell(direct_label, colspan=5), LCell(after_label, colspan=5)],
                    _t4_labels(layout) + _t4_labels(layout),
                    _t4_values(d, direct) + _t4_values(d, after),
                ],
            ),
        ]
    head = [LCell("", colspan=2), *_t4_labels(layout)]
    review_row = [LCell(rev_label, colspan=2), *_t4_values(d, rev)]
    lit_rows = [
        [LCell("行政诉讼", rowspan=2), LCell(direct_label), *_t4_values(d, direct)],
        [LCell(after_label), *_t4_values(d, after)],
    ]
    if layout.t4 == "transposed":
        return [LTable("t4", [head, review_row, *lit_rows])]
    return [LTable("t4.review", [head, review_row]), LTable("t4.litigation", [head, *lit_rows])]


# --------------------------------------------------------------------------------------------------
# legacy 统计表


def table_legacy(d: ReportData, layout: Layout) -> list[LTable]:
    head = ["统计指标", "单位", "统计数"]
    rows: list[list[LCell]] = [[LCell(h) for h in (["序号", *head] if layout.legacy_serial else head)]]
    for i, (label, unit, key) in enumerate(LEGACY_ROWS, 1):
        value = LCell(d.text(key), key=key) if key else LCell("—")
        cells = [LCell(label), LCell(unit), value]
        rows.append([LCell(str(i)), *cells] if layout.legacy_serial else cells)
    return [LTable("legacy", rows)]


# --------------------------------------------------------------------------------------------------
# the whole document

HEADINGS_2019 = (
    ("overview", "一、总体情况"),
    ("active", "二、主动公开政府信息情况"),
    ("applications", "三、收到和处理政府信息公开申请情况"),
    ("review_litigation", "四、政府信息公开行政复议、行政诉讼情况"),
    ("problems", "五、存在的主要问题及改进情况"),
    ("other", "六、其他需要报告的事项"),
)
HEADINGS_LEGACY = (
    ("overview", "一、概述"),
    ("active", "二、主动公开政府信息情况"),
    ("applications", "三、依申请公开政府信息情况"),
    ("review_litigation", "四、政府信息公开行政复议、行政诉讼和举报投诉情况"),
    ("problems", "五、政府信息公开工作存在的主要问题及改进措施"),
    ("other", "六、其他需要报告的事项"),
)


def outline(d: ReportData, layout: Layout) -> Outline:
    """The report in reading order, as every carrier prints it."""
    out = Outline()
    if layout.title_lines == "two" and d.title.startswith(d.agency):
        out.add("title", d.agency)
        out.add("title", d.title[len(d.agency) :])
    else:
        out.add("title", d.title)
    out.add("para", d.narrative["preamble"])
    legacy = d.format_version == "legacy_2014"
    for key, heading in HEADINGS_LEGACY if legacy else HEADINGS_2019:
        out.add("heading", _var(heading, layout))
        for line in filter(None, d.narrative.get(key, "").split("\n")):
            out.add("para", line)
        if legacy:
            continue
        tables = {"active": table2, "applications": table3, "review_litigation": table4}.get(key)
        if tables is None:
            continue
        if key == "applications" and layout.t3_corner == "paragraph":
            out.add("para", T3_CORNER_NOTE)
        for t in tables(d, layout):
            if layout.tables_as_images:
                out.add("image", t.name)
                continue
            if t.caption:
                out.add("para", t.caption)
            out.add("table", t)
    if legacy:
        out.add("heading", "附表：政府信息公开情况统计表")
        for t in table_legacy(d, layout):
            out.add("table", t)
    for line in d.narrative["signature"].split("\n"):
        out.add("para", line)
    return out
