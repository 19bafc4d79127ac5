"""The three statistics tables laid out as the report prints them, from a parse result's cells.

Why here and not in the template: the layout is the schema's (`parsers.schema`: row and column order,
labels, which era prints which row), and putting it in Python keeps the template a dumb loop and the
layout testable. A grid is header rows of `Label`s and body rows of `Label`s + `Shown` cells, with the
row and column spans of the printed template (format-spec §3.1–3.2 blocks, §4.1 label columns, §5):

- table 二: one grid per 第二十条 block (（一）, （五）, （六）, （八） and, in 2019, （九）);
- table 三: 3 label columns (三、本年度办理结果 and the （三）–（六） groups as vertical merges) × 7 values;
- table 四: 3 rows (行政复议, 行政诉讼 · 未经复议直接起诉, 复议后起诉) × 5 values.

Cells the layout does not place (a legacy table's keys, ``active.ext.*`` rows, anything new) are
listed by `unplaced`, so nothing the parser read is hidden.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from parsers import schema

T3_CORNER = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
T2_BLOCKS: dict[str, str] = {
    "regulations": "第二十条第（一）项",
    "normative_docs": "第二十条第（一）项",
    "licensing": "第二十条第（五）项",
    "other_mgmt_services": "第二十条第（五）项",
    "penalty": "第二十条第（六）项",
    "coercion": "第二十条第（六）项",
    "fees": "第二十条第（八）项",
    "procurement": "第二十条第（九）项",
}
T2_ROW_LABELS_2019 = {"normative_docs": "规范性文件"}
"""Where the 2019 template prints another label than `parsers.schema` keeps (the 2021 one)."""
SRC_NAMES = {"table_idx": "table", "row_idx": "row", "col_idx": "column", "page": "page"}


@dataclass(frozen=True, slots=True)
class Label:
    """A header or row-label cell of the printed table."""

    text: str
    rowspan: int = 1
    colspan: int = 1


@dataclass(frozen=True, slots=True)
class Shown:
    """One value cell as shown: the text, and the provenance that goes in its tooltip."""

    key: str
    text: str
    flag: str | None  # None: the parser did not report this key
    raw: str = ""
    unit: str | None = None
    source: str = ""
    failing: bool = False

    @property
    def css(self) -> str:
        classes = ["v"]
        if self.flag is None:
            classes.append("missing")
        elif self.flag != "ok":
            classes.append("flagged")
            classes.append(f"flag-{self.flag}")
        if self.failing:
            classes.append("failing")
        return " ".join(classes)

    @property
    def badge(self) -> str:
        """The visible mark of a cell that is not a plain printed number ("" for an ok cell)."""
        if self.flag is None:
            return "missing"
        return "" if self.flag == "ok" else self.flag

    @property
    def title(self) -> str:
        lines = [self.key]
        if self.flag is None:
            lines.append("not reported by the parser")
        else:
            lines += [f"raw: {self.raw!r}", f"flag: {self.flag}"]
            if self.unit:
                lines.append(f"unit: {self.unit}")
            if self.source:
                lines.append(f"source: {self.source}")
        if self.failing:
            lines.append("involved in a failing check")
        return "\n".join(lines)


@dataclass(slots=True)
class Row:
    labels: list[Label]
    cells: list[Shown]


@dataclass(slots=True)
class Grid:
    """One printed table (or table block): a caption, header rows and body rows."""

    caption: str
    header: list[list[Label]]
    rows: list[Row] = field(default_factory=list)

    def value_keys(self) -> list[str]:
        return [c.key for row in self.rows for c in row.cells]


def format_number(value: float | int | None) -> str:
    """A value as a person reads it: integers without ".0", decimals without trailing zeros."""
    if value is None:
        return ""
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return f"{number:.6f}".rstrip("0").rstrip(".")


def describe_source(src: Mapping[str, Any]) -> str:
    """The cell's position in the document, e.g. ``table 1, row 3, column 9``."""
    parts = [f"{SRC_NAMES[k]} {src[k]}" for k in SRC_NAMES if src.get(k) is not None]
    if src.get("derived_from"):
        parts.append("derived from " + ", ".join(map(str, src["derived_from"])))
    for key, value in src.items():
        if key not in SRC_NAMES and key != "derived_from":
            parts.append(f"{key} {value}")
    return ", ".join(parts)


def shown(key: str, cells: Mapping[str, Mapping[str, Any]], failing: Collection[str]) -> Shown:
    """The `Shown` cell for `key` (a placeholder marked missing if the parser did not report it)."""
    cell = cells.get(key)
    if cell is None:
        return Shown(key, "", None, failing=key in failing)
    value = cell.get("value")
    raw = "" if cell.get("raw") is None else str(cell.get("raw"))
    text = format_number(value) if value is not None else raw
    return Shown(
        key,
        text,
        str(cell.get("flag") or ("blank" if value is None else "ok")),
        raw=raw,
        unit=cell.get("unit"),
        source=describe_source(cell.get("src") or {}),
        failing=key in failing,
    )


def _col_label(key: str, era: str) -> str:
    return next(c.label for c in schema.T2_COLS if c.key == key and era in c.eras)


def _row_label(key: str, era: str) -> str:
    if era == schema.GOV2019 and key in T2_ROW_LABELS_2019:
        return T2_ROW_LABELS_2019[key]
    return next(r.label for r in schema.T2_ROWS if r.key == key)


def table2(era: str, cells: Mapping[str, Mapping[str, Any]], failing: Collection[str] = ()) -> list[Grid]:
    """Table 二 as its 第二十条 blocks (an empty list for an era without table 二)."""
    grids = []
    layout = schema.T2_LAYOUT.get(era, ())
    for block, rows in groupby(layout, key=lambda item: T2_BLOCKS[item[0]]):
        rows = list(rows)
        columns = rows[0][1]
        grid = Grid(block, [[Label("信息内容"), *(Label(_col_label(c, era)) for c in columns)]])
        for row, cols in rows:
            cells_of_row = [shown(f"active.{row}.{col}", cells, failing) for col in cols]
            grid.rows.append(Row([Label(_row_label(row, era))], cells_of_row))
        grids.append(grid)
    return grids


def _group_label(key: str) -> str:
    return next(g.label for g in schema.T3_GROUPS if g.key == key)


def table3(era: str, cells: Mapping[str, Mapping[str, Any]], failing: Collection[str] = ()) -> Grid | None:
    """Table 三 with its three label columns and two-row column header (None for a legacy era)."""
    if era not in (schema.GOV2021, schema.GOV2019):
        return None
    specs = [r for r in schema.T3_ROWS if era in r.eras]
    org = [c for c in schema.T3_COLS if c.key in schema.T3_ORG_COLS]
    header = [
        [Label(T3_CORNER, rowspan=3, colspan=3), Label("申请人情况", colspan=7)],
        [Label("自然人", rowspan=2), Label(schema.T3_COL_GROUP.label, colspan=5), Label("总计", rowspan=2)],
        [Label(c.label) for c in org],
    ]
    grid = Grid("三、收到和处理政府信息公开申请情况", header)
    in_results = [r for r in specs if r.parent is not None]
    group_sizes: dict[str, int] = {}
    for spec in in_results:
        if spec.parent != "results":
            group_sizes[spec.parent] = group_sizes.get(spec.parent, 0) + 1
    results_opened = False
    opened: set[str] = set()
    for spec in specs:
        labels: list[Label] = []
        if spec.parent is None:
            labels.append(Label(spec.label, colspan=3))
        else:
            if not results_opened:
                labels.append(Label(_group_label("results"), rowspan=len(in_results)))
                results_opened = True
            if spec.parent == "results":
                labels.append(Label(spec.label, colspan=2))
            else:
                if spec.parent not in opened:
                    labels.append(Label(_group_label(spec.parent), rowspan=group_sizes[spec.parent]))
                    opened.add(spec.parent)
                labels.append(Label(spec.label))
        values = [shown(f"applications.{spec.key}.{col}", cells, failing) for col in schema.T3_COL_KEYS]
        grid.rows.append(Row(labels, values))
    return grid


def table4(era: str, cells: Mapping[str, Mapping[str, Any]], failing: Collection[str] = ()) -> Grid | None:
    """Table 四 as 3 rows × 5 columns (None for a legacy era)."""
    if era not in (schema.GOV2021, schema.GOV2019):
        return None
    header = [[Label("", colspan=2), *(Label(c.label) for c in schema.T4_COLS)]]
    grid = Grid("四、政府信息公开行政复议、行政诉讼情况", header)
    review, direct, after = schema.T4_GROUPS
    label_rows = [
        [Label(review.label, colspan=2)],
        [Label(schema.T4_PARENT.label, rowspan=2), Label(direct.label)],
        [Label(after.label)],
    ]
    for group, labels in zip((review, direct, after), label_rows, strict=True):
        grid.rows.append(Row(labels, [shown(f"{group.key}.{c.key}", cells, failing) for c in schema.T4_COLS]))
    return grid


def legacy_table(
    era: str, cells: Mapping[str, Mapping[str, Any]], failing: Collection[str] = ()
) -> Grid | None:
    """The 2014 统计表 (format-spec §8.2) as label → value rows, in the table's order."""
    if era != schema.LEGACY_2014:
        return None
    labels = {key: fragments[0] for key, fragments, _unit in schema.LEGACY_ROWS}
    for parent in ("review", "litigation", "complaints"):
        for child, fragments in schema.LEGACY_OUTCOME_CHILDREN:
            labels[f"legacy.{parent}.{child}"] = (
                f"{labels.get(f'legacy.{parent}.total', parent)} · {fragments[0]}"
            )
    grid = Grid("政府信息公开情况统计表", [[Label("统计指标"), Label("统计数")]])
    for key in schema.leaf_keys(era):
        if key in cells:
            grid.rows.append(Row([Label(labels.get(key, key))], [shown(key, cells, failing)]))
    return grid


@dataclass(slots=True)
class Tables:
    """Everything the report page shows of a parse result's cells."""

    table2: list[Grid]
    table3: Grid | None
    table4: Grid | None
    legacy: Grid | None
    unplaced: list[Shown]
    derived: list[Shown]


def lay_out(
    cells: Mapping[str, Mapping[str, Any]],
    *,
    table2_version: str | None,
    table3_version: str | None,
    format_version: str | None,
    failing: Collection[str] = (),
) -> Tables:
    """Lay out every cell: the printed tables of their eras, then the rest (`Tables.unplaced`), and the
    derived cells (subtotals, 法人或其他组织) apart, since the report does not print them."""
    era3 = table3_version or format_version or schema.UNKNOWN
    tables = Tables(
        table2=table2(table2_version or format_version or schema.UNKNOWN, cells, failing),
        table3=table3(era3, cells, failing),
        table4=table4(era3, cells, failing),
        legacy=legacy_table(format_version or schema.UNKNOWN, cells, failing),
        unplaced=[],
        derived=[],
    )
    placed = {k for g in tables.table2 for k in g.value_keys()}
    for grid in (tables.table3, tables.table4, tables.legacy):
        if grid is not None:
            placed.update(grid.value_keys())
    for key, cell in cells.items():
        if key in placed:
            continue
        target = tables.derived if cell.get("flag") == "derived" else tables.unplaced
        target.append(shown(key, cells, failing))
    return tables


def failing_keys(checks: list[Mapping[str, Any]], cells: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """The keys the failing checks involve, with the printed operands of any derived key among them
    (a failing subtotal is highlighted where it was read: in its parts)."""
    keys: set[str] = set()
    for check in checks:
        if check.get("status") != "FAIL":
            continue
        for key in check.get("keys") or []:
            key = str(key)
            if key.startswith("prev:"):
                continue
            keys.add(key)
            cell = cells.get(key)
            if cell is not None and cell.get("flag") == "derived":
                keys.update(str(k) for k in (cell.get("src") or {}).get("derived_from") or [])
    return keys
