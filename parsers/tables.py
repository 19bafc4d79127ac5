"""Tables 二/三/四 (and the legacy_2014 统计表) → canonical cells, as named pure stages.

Why stages (pdfplumber's table.py is the model): a wrong number must be traceable to the step that
produced it. `extract_tables()` runs

1. `classify_rows`   — every grid row of every document table gets a kind (t2/t3/t4/legacy/None) from
                       its own labels (format-spec §9.2 anchors); label-less rows (numbers only, PDF
                       page-break remnants) inherit the kind of the rows around them;
2. `group_rows`      — consecutive rows of one kind form one logical table, across `<table>` and page
                       boundaries (one `<table>` per 第二十条 block is common; a split 复议 | 诉讼 too);
3. `detect_eras`     — per logical table (§1.2), plus the document-level version;
4. `map_t2` / `map_t3` / `map_t4` / `map_legacy` — locate header rows and label cells, resolve every
                       value column to a column key (by grid alignment, else by the ORDER of the
                       printed column labels with a count check, else the template order, flagged
                       ``position``) and every row to a row key by its normalised label plus parent
                       context — never by position alone.

All intermediate results stay on `TableExtraction`, so a test or the UI can see why a cell got its key.
Every cell carries a flag: ``ok`` only when row label and column were both matched cleanly; a guess
shows as ``position`` (column or row taken from the template order) or ``weak_label`` (label matched
another era's vocabulary or only after traditional→simplified conversion).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from parsers import schema
from parsers.document import Cell, Document, Paragraph, Table
from parsers.labels import Label, clean, compact, compact_all, match_group, match_row, normalize, slug
from parsers.schema import ColSpec
from parsers.values import CellValue, is_number_text, is_value_text, parse_value

KINDS = ("t2", "t3", "t4", "legacy")

# anchors that classify a row (format-spec §9.2), compared on compacted labels
_T2_WORDS = (
    "第二十条",
    "信息内容",
    "规章",
    "规范性文件",
    "行政许可",
    "行政处罚",
    "行政强制",
    "事业性收费",
    "集中采购",
    "对外管理服务",
    "本年制发",
    "本年废止",
    "现行有效",
    "处理决定",
    "收费金额",
    "新制作",
    "新公开",
    "公开总数",
    "上一年项目",
    "采购项目",
    "采购总金额",
)
_T3_WORDS = (
    "勾稽关系",
    "申请人情况",
    "自然人",
    "法人或其他组织",
    "商业企业",
    "科研机构",
    "社会公益",
    "法律服务机构",
    "办理结果",
)
_T4_WORDS = (
    "行政复议",
    "行政诉讼",
    "未经复议",
    "复议后起诉",
    "结果维持",
    "结果纠正",
    "尚未审结",
    "其他结果",
    "维持",
    "纠正",
    "审结",
)
_T3_ROW_FRAGS = tuple(f for r in schema.T3_ROWS if not r.exact for f in r.fragments) + tuple(
    f for g in schema.T3_GROUPS for f in g.fragments
)
# the four vocabularies `classify_row` counts on every row, `compact`-ed once (`compact` is pure)
_T2_COMPACT, _T3_COMPACT, _T4_COMPACT, _T3_ROW_COMPACT = (
    compact_all(words) for words in (_T2_WORDS, _T3_WORDS, _T4_WORDS, _T3_ROW_FRAGS)
)

ROW_FLAG_WEAK = "weak_label"
COL_FLAG_POSITION = "position"


# --------------------------------------------------------------------------------------------------
# data shapes
# --------------------------------------------------------------------------------------------------
@dataclass(slots=True)
class GridRow:
    """One grid row with where it came from; `cells` has trailing padding removed."""

    table_idx: int
    row_idx: int
    cells: list[Cell]
    kind: str | None = None
    why: str = ""

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.cells]


@dataclass(slots=True)
class LogicalTable:
    kind: str
    rows: list[GridRow]
    caption: str = ""  # paragraph text just before the first physical table (split 四 names its group)
    era: str | None = None

    @property
    def table_idxs(self) -> list[int]:
        return sorted({r.table_idx for r in self.rows})


@dataclass(slots=True)
class TableExtraction:
    """Every stage's result (inspectable), plus the mapped cells and the notes for the parse result."""

    rows: list[GridRow] = field(default_factory=list)
    tables: list[LogicalTable] = field(default_factory=list)
    table2_version: str | None = None
    table3_version: str | None = None
    format_version: str | None = None
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)  # ext key -> printed label
    warnings: list[str] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)  # how each table's columns were resolved


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------
def _strip_pad(cells: list[Cell]) -> list[Cell]:
    out = list(cells)
    while out and out[-1].src.get("pad"):
        out.pop()
    return out


def _dedupe_h(cells: list[Cell]) -> list[tuple[int, Cell]]:
    """Origin cells of a row with their column index: a colspan copy of the cell to its left is dropped,
    a rowspan copy (parent context from above) is kept."""
    out: list[tuple[int, Cell]] = []
    for i, c in enumerate(cells):
        if c.span_of is not None and out and out[-1][1].span_of in (c.span_of,) and out[-1][1].text == c.text:
            continue
        if (
            c.span_of is not None
            and out
            and (out[-1][1].span_of is None and out[-1][1].src == c.src and out[-1][1].text == c.text)
        ):
            continue
        out.append((i, c))
    return out


def _has(text: str, words: tuple[str, ...]) -> int:
    t = compact(text)
    return sum(1 for w in compact_all(words) if w in t)


def _trailing_values(cells: list[Cell]) -> int:
    n = 0
    for c in reversed(cells):
        if is_value_text(c.text):
            n += 1
        else:
            break
    return n


def _src(row: GridRow, col_idx: int, cell: Cell) -> dict[str, Any]:
    src = {"table_idx": row.table_idx, "row_idx": row.row_idx, "col_idx": col_idx}
    for k, v in cell.src.items():
        if k not in src and k != "pad":
            src[k] = v
    return src


# flags an OCR read replaces with ``ocr``: a clean-looking value (or blank) seen by OCR is still a guess
_OCR_OVERRIDES = frozenset({"ok", "zero_text", "blank", "dash", "slash"})


def _cell(value: CellValue, src: dict[str, Any], flag: str | None = None) -> dict[str, Any]:
    out_flag = value.flag
    if flag and value.flag == "ok":
        out_flag = flag
    note = value.note
    if "ocr_conf" in src and out_flag in _OCR_OVERRIDES:  # parsers.ocr: every OCR cell is flagged
        note = f"{note}; " if note else ""
        note += f"OCR confidence {src['ocr_conf']:.3f}, read as {out_flag}"
        out_flag = "ocr"
    d: dict[str, Any] = {
        "value": value.value,
        "raw": value.raw,
        "flag": out_flag,
        "unit": value.unit,
        "src": src,
    }
    if note:
        d["note"] = note
    return d


# --------------------------------------------------------------------------------------------------
# stage 1: classify rows
# --------------------------------------------------------------------------------------------------
def _is_legacy_table(table: Table) -> bool:
    head = " ".join(c.text for row in table.rows[:3] for c in row)
    return (
        _has(head, ("统计指标",)) > 0
        or (_has(head, ("统计数",)) > 0 and _has(head, ("单位",)) > 0)
        or (_has(head, ("指标名称",)) > 0 and _has(head, ("计量单位",)) > 0)
    )


def classify_row(texts: list[str]) -> tuple[str | None, str]:
    """The kind a row's own text points to, with the reason (or None when it has no anchor)."""
    joined = " ".join(t for t in texts if t and not is_value_text(t))
    if not joined:
        return None, "no label"
    t = compact(joined)  # `_has` of each vocabulary, with the row's text compacted once
    s4 = sum(1 for w in _T4_COMPACT if w in t)
    s2 = sum(1 for w in _T2_COMPACT if w in t)
    s3 = sum(1 for w in _T3_COMPACT if w in t) + sum(1 for w in _T3_ROW_COMPACT if w in t)
    best = max((s4, "t4"), (s2, "t2"), (s3, "t3"))
    if best[0] == 0:
        return None, "no anchor"
    return best[1], f"anchors t2={s2} t3={s3} t4={s4}"


_PARA_ROW_RE = re.compile(r"^(?P<label>[^\d\s|][^|]{0,20}?)\s*(?P<nums>(?:[-+]?\d[\d,.]*\s*){1,3})$")


def paragraph_row(text: str) -> list[str] | None:
    """A table 二 row flattened into a line by a PDF-to-text tool (``行政许可 97``, ``信息内容本年处理
    决定数量``, ``第二十条第（五）项``) as cells, or None. Only short lines whose label is table 二
    vocabulary qualify, so narrative sentences never become rows."""
    t = clean(text)
    if not t or len(t) > 40:
        return None
    if "第二十条第" in t and len(t) <= 12:
        return [text.strip()]
    if t.startswith("信息内容") and any(_match_col(t[4:], schema.T2_COLS) for _ in (0,)):
        return ["信息内容", t[4:]]
    m = _PARA_ROW_RE.match(text.strip())
    if not m:
        return None
    label = m.group("label").strip()
    hit = match_row(label, schema.T2_ROWS)
    if hit is None or hit.strength != "strong" or len(clean(label)) > 12:
        return None
    return [label, *m.group("nums").split()]


def classify_rows(doc: Document) -> list[GridRow]:
    """Stage 1: a kind for every row of every table (see module docstring). Table 二 rows that a text
    extraction flattened into paragraph lines become rows too (``src.paragraph_row``)."""
    rows: list[GridRow] = []
    t_i = 0
    p_i = 0
    for block in doc.blocks:
        if isinstance(block, Paragraph):
            p_i += 1
            cells_text = paragraph_row(block.text)
            if cells_text is None:
                continue
            src = {**block.src, "paragraph_row": True}
            row = GridRow(-1, p_i - 1, [Cell(tx, dict(src)) for tx in cells_text])
            row.kind, row.why = classify_row(row.texts)
            if row.kind == "t2":
                rows.append(row)
            continue
        table = block
        t_idx = table.src.get("table_idx", t_i)
        t_i += 1
        legacy = _is_legacy_table(table)
        for r_i, cells in enumerate(table.rows):
            cells = _strip_pad(cells)
            if not any(c.text.strip() for c in cells):
                continue
            row = GridRow(t_idx, r_i, cells)
            if legacy:
                row.kind, row.why = "legacy", "统计指标 table"
            else:
                row.kind, row.why = classify_row(row.texts)
            rows.append(row)
    # label-less rows inherit: previous kind within the same table, else the next kind if it continues
    last: GridRow | None = None
    for i, row in enumerate(rows):
        if row.kind is not None:
            last = row
            continue
        nxt = next((r for r in rows[i + 1 :] if r.kind is not None), None)
        if last is not None and (
            last.table_idx == row.table_idx or (nxt is not None and nxt.kind == last.kind)
        ):
            row.kind, row.why = last.kind, "inherited"
        elif nxt is not None and nxt.table_idx == row.table_idx:
            row.kind, row.why = nxt.kind, "inherited (next)"
    return rows


# --------------------------------------------------------------------------------------------------
# stage 2: group rows into logical tables
# --------------------------------------------------------------------------------------------------
def _captions(doc: Document) -> dict[int, str]:
    """Paragraph text between the previous table and each table (a split 四's group names sit here)."""
    out: dict[int, str] = {}
    buf: list[str] = []
    t_i = 0
    for b in doc.blocks:
        if isinstance(b, Paragraph):
            buf.append(b.text)
            buf = buf[-3:]
        elif isinstance(b, Table):
            out[b.src.get("table_idx", t_i)] = " ".join(buf)
            buf = []
            t_i += 1
    return out


def group_rows(rows: list[GridRow], captions: dict[int, str] | None = None) -> list[LogicalTable]:
    """Stage 2: consecutive rows of one kind → one logical table. A 四 split into separately captioned
    tables (复议 | 诉讼) stays split so each part keeps its caption."""
    captions = captions or {}
    out: list[LogicalTable] = []
    for row in rows:
        if row.kind is None:
            continue
        cur = out[-1] if out else None
        new_table = cur is None or cur.kind != row.kind
        if not new_table and cur is not None and row.kind == "t4" and row.table_idx != cur.rows[-1].table_idx:
            cap = captions.get(row.table_idx, "")
            if match_group(cap, schema.T4_GROUPS) is not None:
                new_table = True
        if new_table:
            out.append(LogicalTable(row.kind, [row], captions.get(row.table_idx, "")))
        else:
            assert cur is not None
            cur.rows.append(row)
    return out


# --------------------------------------------------------------------------------------------------
# stage 3: eras
# --------------------------------------------------------------------------------------------------
def _table_text(t: LogicalTable) -> str:
    return compact(" ".join(c.text for r in t.rows for c in r.cells))


def detect_t2_era(t: LogicalTable) -> str | None:
    text = _table_text(t)
    hits = {era: sum(compact(m) in text for m in marks) for era, marks in schema.T2_MARKERS.items()}
    if hits[schema.GOV2021] and hits[schema.GOV2021] >= hits[schema.GOV2019]:
        return schema.GOV2021
    if hits[schema.GOV2019]:
        return schema.GOV2019
    return None


def detect_t3_era(t: LogicalTable) -> str | None:
    """§1.2 step 3: the 2021 sub-rows of （六） (逾期不补正, 收费通知) → gov2021; a （六）其他处理 that is
    itself a data row → gov2019; 其他处理 only as the parent of other rows → gov2021."""
    text = _table_text(t)
    if any(w in text for w in ("逾期不补正", "收费通知", "缴纳费用")):
        return schema.GOV2021
    as_row = as_parent = False
    for r in t.rows:
        labels = [c.text for c in r.cells if c.text.strip() and not is_value_text(c.text)]
        if not any("其他处理" in compact(x) for x in labels):
            continue
        if "其他处理" in compact(labels[-1]):
            as_row = as_row or any(is_value_text(c.text) for c in r.cells)
        else:
            as_parent = True
    if as_parent and not as_row:
        return schema.GOV2021
    if as_row:
        return schema.GOV2019
    return None


_T3_2021_TEXT = ("逾期不补正", "逾期未按收费通知")
_FORMAT_NOTICES = (
    (schema.GOV2021, ("〔2021〕30号", "[2021]30号", "(2021)30号")),
    (schema.GOV2019, ("〔2019〕60号", "[2019]60号", "(2019)60号")),
)


def detect_text_era(text: str) -> tuple[str | None, str]:
    """§1.2 on the whole document text, for reports whose tables were not found as tables (flattened,
    images): table markers first, then the format notice the report cites. Returns (era, evidence)."""
    t = compact(text)
    for era in (schema.GOV2021, schema.GOV2019):
        hit = next((m for m in schema.T2_MARKERS[era] if compact(m) in t), None)
        if hit:
            return era, f"text marker {hit}"
    hit = next((m for m in _T3_2021_TEXT if m in t), None)
    if hit:
        return schema.GOV2021, f"text marker {hit}"
    hits = [m for m in schema.LEGACY_MARKERS if m in t]
    if len(hits) >= 2:
        return schema.LEGACY_2014, f"text markers {', '.join(hits)}"
    raw = clean(text)
    for era, notices in _FORMAT_NOTICES:
        hit = next((n for n in notices if clean(n) in raw), None)
        if hit:
            return era, f"cites the format notice {hit}"
    return None, ""


def detect_eras(tables: list[LogicalTable], doc_text: str = "") -> tuple[str | None, str | None, str | None]:
    """Stage 3: era per table and for the document (format-spec §1.2, steps 1–4)."""
    t2 = t3 = None
    legacy = False
    doc_t = compact(doc_text)
    for t in tables:
        if t.kind == "t2":
            t.era = detect_t2_era(t)
            t2 = t2 or t.era
        elif t.kind == "t3":
            t.era = detect_t3_era(t)
            if t.era is None and any(m in doc_t for m in _T3_2021_TEXT):
                t.era = schema.GOV2021  # the （六） sub-row labels were displaced out of the grid
            t3 = t3 or t.era
        elif t.kind == "legacy":
            t.era = schema.LEGACY_2014
            legacy = True
    doc = t2 or t3 or (schema.LEGACY_2014 if legacy else None)
    for t in tables:
        if t.era is None and t.kind in ("t2", "t3", "t4"):
            t.era = doc
    return t2, t3, doc


# --------------------------------------------------------------------------------------------------
# column resolution shared by 三 and 四
# --------------------------------------------------------------------------------------------------
def _match_col(text: str, cols: tuple[ColSpec, ...]) -> ColSpec | None:
    lab = normalize(text)
    best: tuple[int, ColSpec | None] = (0, None)
    exact_forms: tuple[str, str] | None = None  # compact(base), compact(text): only for exact specs
    for c in cols:
        for fc in compact_all(c.fragments):
            if c.exact:
                if exact_forms is None:
                    exact_forms = (compact(lab.base), compact(lab.text))
                hit = fc in exact_forms
            else:
                hit = fc in lab.compact
            if hit and len(fc) > best[0]:
                best = (len(fc), c)
    return best[1]


# --------------------------------------------------------------------------------------------------
# stage 4a: table 二
# --------------------------------------------------------------------------------------------------
def _t2_cols(era: str | None) -> tuple[ColSpec, ...]:
    return tuple(c for c in schema.T2_COLS if era is None or era in c.eras)


def _unit_override(header_text: str) -> str | None:
    """A 万元 column whose header says 元 instead (format-spec §9.5, T2-UNIT)."""
    t = clean(header_text)
    if re.search(r"单位[:：]?元", t) and "万元" not in t:
        return "元"
    return None


def map_t2(t: LogicalTable, ex: TableExtraction) -> None:
    """Stage 4a: blocks of (header row 信息内容 + columns, data rows label + values)."""
    era = t.era
    cols_all = _t2_cols(era)
    header: list[ColSpec | None] | None = None
    header_yuan = False
    for row in t.rows:
        cells = _dedupe_h(row.cells)
        if not cells:
            continue
        label_text = cells[0][1].text
        values = cells[1:]
        is_data = match_row(label_text, schema.T2_ROWS, era=era) is not None and any(
            is_value_text(c.text) for _, c in values
        )
        if (
            not is_data
            and not any(is_number_text(c.text) for _, c in values)
            and not is_value_text(label_text)
        ):
            # header (信息内容 | columns) or block title (第二十条第（N）项)
            found = [_match_col(c.text, cols_all) or _match_col(c.text, schema.T2_COLS) for _, c in cells]
            if any(found):
                start = 1 if found[0] is None else 0
                header = [f for f in found[start:]]
                header_yuan = any(_unit_override(c.text) for _, c in cells)
                while header and header[-1] is None:
                    header.pop()
                continue
            if "第二十条" in compact(label_text):
                header = None
            continue
        if is_value_text(label_text):
            continue  # a row without a label in 二: nothing to anchor it to
        m = match_row(label_text, schema.T2_ROWS, era=era)
        values = [(i, c) for i, c in values if c.text.strip() or True]
        if m is None:
            _t2_ext(row, label_text, values, header, ex)
            continue
        row_key = m.spec.key
        row_flag = ROW_FLAG_WEAK if m.strength == "weak" else None
        layout = dict(schema.T2_LAYOUT.get(era or "", ()))
        want = len(header) if header else len(layout.get(row_key, ()))
        while want and len(values) > want and not values[-1][1].text.strip():
            values = values[:-1]  # an empty trailing column (pipe-flattened rows end in "| |")
        if header and len(header) == len(values) and all(header):
            keys = [h.key for h in header if h]
            specs = list(header)
            how = None
        elif row_key in layout and len(layout[row_key]) == len(values):
            keys = list(layout[row_key])
            specs = [next((c for c in cols_all if c.key == k), None) for k in keys]
            how = COL_FLAG_POSITION
        elif header and all(header) and len(values) > len(header):
            # colspan-shifted values with no spans recorded: take the first non-blank per header slot
            keys = [h.key for h in header if h]
            specs = list(header)
            values = values[: len(header)]
            how = COL_FLAG_POSITION
        else:
            ex.warnings.append(f"table 二 row {label_text!r}: {len(values)} values, cannot align with header")
            continue
        for (ci, c), key, spec in zip(values, keys, specs, strict=False):
            kind = spec.kind if spec else "count"
            unit = spec.unit if spec else "件"
            raw = c.text
            if header_yuan and kind == "amount_wan" and is_number_text(raw) and not re.search(r"[元万]", raw):
                raw = raw + "元"
            v = parse_value(raw, kind=kind, unit=unit)
            if raw != c.text:
                v = CellValue(v.value, v.flag, v.unit, c.text, (v.note or "") + " (header unit 元)")
            full = f"active.{row_key}.{key}"
            if full in ex.cells:
                ex.warnings.append(f"duplicate cell {full}: kept the first")
                continue
            ex.cells[full] = _cell(v, _src(row, ci, c), row_flag or how)


def _t2_ext(
    row: GridRow,
    label: str,
    values: list[tuple[int, Cell]],
    header: list[ColSpec | None] | None,
    ex: TableExtraction,
) -> None:
    lab = normalize(label)
    if len(re.findall(r"[\u4e00-\u9fff]", lab.base)) < 2 or not any(
        is_number_text(c.text) for _, c in values
    ):
        return
    s = slug(label)
    for j, (ci, c) in enumerate(values):
        col = header[j].key if header and j < len(header) and header[j] else f"c{j + 1}"
        key = f"active.ext.{s}.{col}"
        ex.cells[key] = {**_cell(parse_value(c.text), _src(row, ci, c), "ext"), "label": label}
        ex.labels[key] = label
    ex.warnings.append(f"table 二: unknown row {label!r} kept as active.ext.{s}")


# --------------------------------------------------------------------------------------------------
# stage 4b: table 三
# --------------------------------------------------------------------------------------------------
def _last_label(cells: list[Cell]) -> int:
    """Index of the last cell that reads as a label (-1 when the row is all values)."""
    for i in range(len(cells) - 1, -1, -1):
        text = cells[i].text
        if text.strip() and not is_value_text(text):
            return i
    return -1


def split_label_values(
    cells: list[Cell], n: int
) -> tuple[list[tuple[int, Cell]], list[tuple[int, Cell]]] | None:
    """(label cells, exactly `n` value cells) of a row, or None when the row cannot hold `n` values.

    Values are the cells after the last label cell; extra *blank* cells at either end (a markdown
    table's empty trailing column, a PDF's empty merge remnant) are trimmed, never numbers."""
    last = _last_label(cells)
    numbered = list(enumerate(cells))
    vals = numbered[last + 1 :]
    while len(vals) > n and not vals[-1][1].text.strip():
        vals.pop()
    while len(vals) > n and not vals[0][1].text.strip():
        vals.pop(0)
    if len(vals) != n:
        return None
    return numbered[: last + 1], vals


def _value_start(
    splits: list[tuple[list[Cell], tuple[list[tuple[int, Cell]], list[tuple[int, Cell]]] | None]], width: int
) -> int | None:
    """The grid column where a full-width row's values start, taken from rows whose first and last value
    cells both hold numbers (their split needs no trimming, so it cannot be off by one)."""
    starts = Counter(
        split[1][0][0]
        for cells, split in splits
        if split is not None
        and len(cells) == width
        and is_number_text(split[1][0][1].text)
        and is_number_text(split[1][-1][1].text)
    )
    return starts.most_common(1)[0][0] if starts else None


def _split_at(
    cells: list[Cell], start: int, n: int
) -> tuple[list[tuple[int, Cell]], list[tuple[int, Cell]]] | None:
    """The split of a full-width row with its values at the table's value columns ``start … start+n``,
    when that is consistent: no label inside or after them, only blanks between the label and them.

    Why: a row whose blank cells sit at both ends of its values (``四、结转… |  |  | 0 | … | 0 | `` — the
    label's merged neighbours left empty by a text extraction, and a blank 总计) is ambiguous on its own;
    trimming from one end shifts every value one column. Its siblings say where the values are."""
    if start + n > len(cells) or _last_label(cells) >= start:
        return None
    if any(c.text.strip() for c in cells[start + n :]):
        return None
    numbered = list(enumerate(cells))
    return numbered[:start], numbered[start : start + n]


def _value_count(rows: list[GridRow]) -> int:
    """The number of value columns: the most common count of value cells after the label on rows
    that have both a label and numbers (trailing blank padding excluded)."""
    runs = []
    for r in rows:
        last = _last_label(r.cells)
        vals = r.cells[last + 1 :]
        while vals and not vals[-1].text.strip():
            vals = vals[:-1]
        if last >= 0 and len(vals) >= 5 and any(is_number_text(c.text) for c in vals):
            runs.append(len(vals))
    if not runs:
        runs = [_trailing_values(r.cells) for r in rows if _trailing_values(r.cells) >= 5]
    if not runs:
        return 0
    c = Counter(runs)
    top = max(c.values())
    return max(n for n, k in c.items() if k == top)


def _header_tokens(rows: list[GridRow], cols: tuple[ColSpec, ...]) -> list[list[tuple[int, ColSpec | str]]]:
    """Per header row: (col_idx, ColSpec or group marker) for each origin cell that names a column."""
    out = []
    for r in rows:
        toks: list[tuple[int, ColSpec | str]] = []
        for i, c in _dedupe_h(r.cells):
            if c.span_of is not None and c.span_of[0] != r.row_idx:
                continue  # a rowspan copy from a row above: already counted there
            lab = normalize(c.text)
            if not lab.text:
                continue
            if schema.T3_COL_GROUP.fragments[0] in lab.compact:
                toks.append((i, "legal_person_group"))
                continue
            spec = _match_col(c.text, cols)
            if spec is not None:
                toks.append((i, spec))
        out.append(toks)
    return out


def resolve_t3_columns(header_rows: list[GridRow], n_values: int, width: int) -> tuple[list[str], str]:
    """Column keys for the last `n_values` cells of a data row, and how they were found.

    1. grid: each value column's deepest header label in that grid column (merges expanded);
    2. order: header labels in printed order, 法人或其他组织 replaced by its sub-header row, count-checked;
    3. template: the template's order (natural_person … total), flagged ``position``.
    """
    cols = (*schema.T3_COLS, schema.T3_LEGAL_PERSON)
    want = {"natural_person", "total"}
    if header_rows and n_values:
        # 1. grid alignment (only when the header grid has the data rows' width)
        same_width = [r for r in header_rows if len(r.cells) == width]
        if same_width and len(same_width) == len(header_rows):
            keys: list[str] = []
            for ci in range(width - n_values, width):
                key = None
                for r in reversed(same_width):
                    if ci < len(r.cells) and r.cells[ci].text.strip():
                        spec = _match_col(r.cells[ci].text, cols)
                        if spec is not None:
                            key = spec.key
                            break
                keys.append(key or "")
            if all(keys) and len(set(keys)) == n_values and want <= set(keys):
                return keys, "grid"
        # 2. printed order with the 法人 group expanded
        seq: list[str] = []
        inferred = False
        for toks in _header_tokens(header_rows, cols):
            row_keys = [t.key if isinstance(t, ColSpec) else t for _, t in toks]
            children = [k for k in row_keys if k in schema.T3_ORG_COLS or k == "legal_person"]
            if children and "legal_person_group" in seq:
                at = seq.index("legal_person_group")
                seq[at : at + 1] = children
                row_keys = [k for k in row_keys if k not in children]
            elif children and "total" in seq and "natural_person" in seq and not set(children) & set(seq):
                # sub-header row below a header without the 法人 group label: the organisations sit
                # between 自然人 and 总计 in every template, but that is an inference — flagged
                at = seq.index("total")
                seq[at:at] = children
                row_keys = [k for k in row_keys if k not in children]
                inferred = True
            seq += [k for k in row_keys if k not in seq]
        seq = [k for k in seq if k != "legal_person_group"]
        if len(seq) == n_values and len(set(seq)) == n_values and want <= set(seq):
            return seq, ("order_inferred" if inferred else "order")
    if n_values == len(schema.T3_COL_KEYS):
        return list(schema.T3_COL_KEYS), "template"
    return [], "unresolved"


def _t3_expected_order(era: str | None) -> list[str]:
    return schema.t3_row_keys(era or schema.GOV2021)


def map_t3(t: LogicalTable, ex: TableExtraction) -> None:
    """Stage 4b: rows by label (+ parent group), columns by `resolve_t3_columns`."""
    era = t.era
    n = _value_count(t.rows)
    if not n:
        ex.warnings.append("table 三 found but no row with values")
        return
    # header rows: rows before the first row that has numbers, within each physical table
    header_rows: list[GridRow] = []
    data_rows: list[tuple[GridRow, list[tuple[int, Cell]], list[tuple[int, Cell]]]] = []
    # each row's split, computed once: the width census below and the loop both need it
    splits = [(r.cells, split_label_values(r.cells, n)) for r in t.rows]
    fitting = Counter(len(cells) for cells, split in splits if split is not None)
    full_width = fitting.most_common(1)[0][0] if fitting else 0
    start = _value_start(splits, full_width)
    for r, (cells_then, split) in zip(t.rows, splits, strict=True):
        if r.cells is not cells_then:  # the same row listed twice and padded on its first visit
            split = split_label_values(r.cells, n)
        if split is not None and start is not None and len(r.cells) == full_width and split[1][0][0] != start:
            split = _split_at(r.cells, start, n) or split
        if split is None and len(r.cells) == full_width - 1 and _last_label(r.cells) == len(r.cells) - n:
            # one cell short of its siblings, right after n-1 values: a pipe-flattened row whose empty
            # last cell was taken for the closing "|". Restore it as blank, and show the guess.
            pad = Cell("", {"restored_blank": True})
            split = split_label_values([*r.cells, pad], n)
            if split is not None:
                ex.warnings.append(f"table 三 row {r.row_idx}: one cell short, last cell restored as blank")
                r.cells = [*r.cells, pad]
                r.why += "; short row padded"
        if split is not None:
            lab_cells, vals = split
            has_num = any(is_number_text(c.text) for _, c in vals)
            has_label = any(c.text.strip() for _, c in lab_cells)
            if has_num or (has_label and data_rows):
                data_rows.append((r, lab_cells, vals))
                continue
        if not data_rows:
            header_rows.append(r)
    widths = Counter(len(r.cells) for r, _, _ in data_rows)
    width = widths.most_common(1)[0][0] if widths else n
    keys, how = resolve_t3_columns(header_rows, n, width)
    ex.decisions.append(f"table 三 ({era}): {n} value columns resolved by {how}: {keys}")
    if not keys:
        ex.warnings.append(f"table 三: {n} value columns could not be matched to the template's columns")
        return
    col_flag = COL_FLAG_POSITION if how in ("template", "order_inferred") else None
    col_specs = {c.key: c for c in (*schema.T3_COLS, schema.T3_LEGAL_PERSON)}
    group: str | None = None
    order = _t3_expected_order(era)
    last_idx = -1
    pending_unlabelled: list[tuple[GridRow, list[tuple[int, Cell]]]] = []
    data_rows = merge_split_rows(data_rows, era)
    for r, lab_cells, vals in data_rows:
        parents: list[str] = []
        texts = [c.text for _, c in lab_cells if c.text.strip() and not is_value_text(c.text)]
        for tx in texts:
            g = match_group(tx, schema.T3_GROUPS)
            if g is not None:
                parents.append(g.key)
        if parents:
            group = parents[-1]
        elif group:
            parents = [group]
        m = None
        used = ""
        for tx in reversed(texts):
            m = match_row(tx, schema.T3_ROWS, era=era, parents=parents)
            if m is not None:
                used = tx
                break
        if m is None and texts:
            joined = "".join(texts)
            m = match_row(joined, schema.T3_ROWS, era=era, parents=parents)
            used = joined
        if m is None and texts and parents and match_group(texts[-1], schema.T3_GROUPS) is not None:
            # a group label row that prints its own figures (some forks print the subtotal there)
            sub_key = f"{parents[-1]}.subtotal"
            if parents[-1] in schema.T3_SUBTOTALS and any(is_number_text(c.text) for _, c in vals):
                for (ci, c), ck in zip(vals, keys, strict=True):
                    cs = col_specs[ck]
                    ex.cells.setdefault(
                        f"applications.{sub_key}.{ck}",
                        _cell(parse_value(c.text, kind=cs.kind, unit=cs.unit), _src(r, ci, c), col_flag),
                    )
            continue
        if m is None:
            if texts and _ext_ok(texts[-1], vals):
                _t3_ext(r, texts[-1], vals, keys, ex)
            elif not texts:
                pending_unlabelled.append((r, vals))
            continue
        spec = m.spec
        if spec.parent and spec.parent != "results":
            group = spec.parent
        row_flag = ROW_FLAG_WEAK if m.strength == "weak" else None
        idx = order.index(spec.key) if spec.key in order else -1
        if pending_unlabelled:
            _t3_fill_unlabelled(pending_unlabelled, order, last_idx, idx, keys, ex, col_specs)
            pending_unlabelled = []
        last_idx = max(last_idx, idx)
        for (ci, c), ck in zip(vals, keys, strict=True):
            full = f"applications.{spec.key}.{ck}"
            if full in ex.cells:
                ex.warnings.append(f"duplicate row {used!r} for {spec.key}: kept the first")
                break
            cs = col_specs[ck]
            short = COL_FLAG_POSITION if "short row padded" in r.why else None
            ex.cells[full] = _cell(
                parse_value(c.text, kind=cs.kind, unit=cs.unit), _src(r, ci, c), row_flag or col_flag or short
            )
    if pending_unlabelled:
        _t3_fill_unlabelled(pending_unlabelled, order, last_idx, len(order), keys, ex, col_specs)


_Row3 = tuple[GridRow, list[tuple[int, Cell]], list[tuple[int, Cell]]]


def _label_texts(lab_cells: list[tuple[int, Cell]]) -> list[str]:
    return [c.text for _, c in lab_cells if c.text.strip() and not is_value_text(c.text)]


def _known_label(text: str, era: str | None) -> bool:
    return (
        match_row(text, schema.T3_ROWS, era=era, parents=[g.key for g in schema.T3_GROUPS]) is not None
        or match_group(text, schema.T3_GROUPS) is not None
    )


def merge_split_rows(rows: list[_Row3], era: str | None) -> list[_Row3]:
    """Join a row whose label was cut by a page break (``6.属于四类过`` + ``程性信息``, format-spec §9.1
    PDF): an unknown label followed by a row whose label has no ordinal, one of the two rows without
    values, is retried with the two label texts joined; if the joined label is known, the two rows
    become one (the values of the row that has them)."""
    out: list[_Row3] = []
    i = 0
    while i < len(rows):
        r, lab, vals = rows[i]
        texts = _label_texts(lab)
        if texts and i + 1 < len(rows) and not _known_label(texts[-1], era):
            r2, lab2, vals2 = rows[i + 1]
            t2 = _label_texts(lab2)
            blank1 = all(not c.text.strip() for _, c in vals)
            blank2 = all(not c.text.strip() for _, c in vals2)
            # the second half of a cut label never starts with an ordinal (1. / （三）)
            if t2 and (blank1 or blank2) and normalize(t2[-1]).ordinal is None:
                joined = texts[-1] + t2[-1]
                if _known_label(joined, era):
                    cell = Cell(joined, {**lab[-1][1].src, "joined_rows": [r.row_idx, r2.row_idx]})
                    out.append((r2 if blank1 else r, [*lab, (lab[-1][0], cell)], vals2 if blank1 else vals))
                    i += 2
                    continue
        out.append(rows[i])
        i += 1
    return out


def _t3_fill_unlabelled(
    rows: list[tuple[GridRow, list[tuple[int, Cell]]]],
    order: list[str],
    lo: int,
    hi: int,
    keys: list[str],
    ex: TableExtraction,
    col_specs: dict[str, ColSpec],
) -> None:
    """Rows whose label the extraction lost: if the template rows between the labelled neighbours that
    are still unfilled number exactly as many as these rows, assign them in template order, flagged
    ``position`` (row identity inferred, format-spec §9.1 PDF notes); otherwise report them."""
    gap = [k for k in order[lo + 1 : hi] if f"applications.{k}.{keys[-1]}" not in ex.cells]
    if len(gap) != len(rows):
        ex.warnings.append(
            f"table 三: {len(rows)} row(s) without a label between template rows; "
            f"{len(gap)} slot(s) free — not assigned"
        )
        return
    for (r, vals), row_key in zip(rows, gap, strict=True):
        for (ci, c), ck in zip(vals, keys, strict=True):
            cs = col_specs[ck]
            ex.cells[f"applications.{row_key}.{ck}"] = _cell(
                parse_value(c.text, kind=cs.kind, unit=cs.unit), _src(r, ci, c), COL_FLAG_POSITION
            )
        ex.warnings.append(f"table 三: unlabelled row assigned to {row_key} by template order")


def _ext_ok(label: str, vals: list[tuple[int, Cell]]) -> bool:
    lab = normalize(label)
    return len(re.findall(r"[\u4e00-\u9fff]", lab.base)) >= 2 and any(is_number_text(c.text) for _, c in vals)


def _t3_ext(
    row: GridRow, label: str, vals: list[tuple[int, Cell]], keys: list[str], ex: TableExtraction
) -> None:
    s = slug(label)
    for (ci, c), ck in zip(vals, keys, strict=False):
        key = f"applications.ext.{s}.{ck}"
        ex.cells[key] = {**_cell(parse_value(c.text), _src(row, ci, c), "ext"), "label": label}
        ex.labels[key] = label
    ex.warnings.append(f"table 三: unknown row {label!r} kept as applications.ext.{s}")


# --------------------------------------------------------------------------------------------------
# stage 4c: table 四
# --------------------------------------------------------------------------------------------------
def _t4_group(text: str) -> str | None:
    g = match_group(text, schema.T4_GROUPS)
    return g.key if g else None


def _t4_runs(col_keys: list[str]) -> list[list[str]]:
    runs: list[list[str]] = [[]]
    for k in col_keys:
        if k in runs[-1]:
            runs.append([])
        runs[-1].append(k)
    return [r for r in runs if r]


def resolve_t4_columns(header_rows: list[GridRow], n: int, width: int, caption: str) -> tuple[list[str], str]:
    """(group, column) keys for the last `n` cells of a value row: grid, then printed order, then the
    template order (flagged ``position``)."""
    cols = schema.T4_COLS
    same = [r for r in header_rows if len(r.cells) == width]
    if same and len(same) == len(header_rows):
        keys = []
        for ci in range(width - n, width):
            col = grp = None
            for r in reversed(same):
                if col is None and r.cells[ci].text.strip():
                    spec = _match_col(r.cells[ci].text, cols)
                    if spec is not None and _t4_group(r.cells[ci].text) is None:
                        col = spec.key
                        continue
                # group: this column, else the nearest label to its left on the same header row
                for cj in range(ci, -1, -1):
                    tx = r.cells[cj].text
                    if tx.strip():
                        g = _t4_group(tx)
                        if g is not None:
                            grp = grp or g
                        break
                if grp:
                    break
            keys.append(f"{grp}.{col}" if grp and col else "")
        if all(keys) and len(set(keys)) == n:
            return keys, "grid"
    # printed order
    col_seq: list[str] = []
    grp_seq: list[str] = []
    for r in header_rows:
        for _, c in _dedupe_h(r.cells):
            if c.span_of is not None and c.span_of[0] != r.row_idx:
                continue
            g = _t4_group(c.text)
            if g is not None:
                if g not in grp_seq:
                    grp_seq.append(g)
                continue
            spec = _match_col(c.text, cols)
            if spec is not None:
                col_seq.append(spec.key)
    if not grp_seq:
        g = _t4_group(caption)
        if g is not None:
            grp_seq = [g]
        elif "行政诉讼" in compact(caption) and n == 10:
            grp_seq = ["litigation.direct", "litigation.after_review"]
    runs = _t4_runs(col_seq)
    if len(col_seq) == n and runs and len(runs) == len(grp_seq) and all(len(set(r)) == len(r) for r in runs):
        return [f"{g}.{k}" for g, run in zip(grp_seq, runs, strict=True) for k in run], "order"
    template = [f"{g.key}.{c.key}" for g in schema.T4_GROUPS for c in cols]
    if n == 15:
        return template, "template"
    if n == 5 and len(grp_seq) == 1:
        return [f"{grp_seq[0]}.{c.key}" for c in cols], "template"
    if n == 10 and grp_seq == ["litigation.direct", "litigation.after_review"]:
        return template[5:], "template"
    return [], "unresolved"


def map_t4(t: LogicalTable, ex: TableExtraction) -> None:
    """Stage 4c: one 15-number row, a transposed 3 × 5 grid, or parts of a split table."""
    header_rows: list[GridRow] = []
    consumed = False  # a value row used the current header: a later header row starts a new one
    for r in t.rows:
        nums = sum(is_number_text(c.text) for c in r.cells)
        tv = _trailing_values(r.cells)
        if nums == 0 or tv < 4:
            if consumed:
                header_rows, consumed = [], False
            header_rows.append(r)
            continue
        consumed = True
        lab_cells = r.cells[: len(r.cells) - tv]
        vals = [(len(r.cells) - tv + j, c) for j, c in enumerate(r.cells[len(r.cells) - tv :])]
        groups = [g for g in (_t4_group(c.text) for c in lab_cells) if g]
        if groups:  # transposed: the row names its group, the header its columns
            grp = groups[-1]
            col_seq = []
            for h in header_rows:
                for _, c in _dedupe_h(h.cells):
                    if _t4_group(c.text) is None:
                        spec = _match_col(c.text, schema.T4_COLS)
                        if spec is not None and spec.key not in col_seq:
                            col_seq.append(spec.key)
            # an empty cell between the group label and the figures (the label's merged neighbour in a
            # text extraction: ``行政复议 |  | 3 | 0 | …``) is not a value column
            while tv > max(len(col_seq), len(schema.T4_COLS)) and not vals[0][1].text.strip():
                vals, tv = vals[1:], tv - 1
            if len(col_seq) == tv:
                keys, how = [f"{grp}.{k}" for k in col_seq], "order"
            elif tv == 5:
                keys, how = [f"{grp}.{c.key}" for c in schema.T4_COLS], "template"
            else:
                ex.warnings.append(f"table 四: transposed row with {tv} values, cannot align")
                continue
        else:
            keys, how = resolve_t4_columns(header_rows, tv, len(r.cells), t.caption)
        ex.decisions.append(f"table 四: {tv} values resolved by {how}")
        if not keys:
            ex.warnings.append(f"table 四: a row of {tv} values could not be matched to the template")
            continue
        flag = COL_FLAG_POSITION if how == "template" else None
        for (ci, c), key in zip(vals, keys, strict=True):
            if key in ex.cells:
                ex.warnings.append(f"duplicate cell {key}: kept the first")
                continue
            ex.cells[key] = _cell(parse_value(c.text), _src(r, ci, c), flag)


# --------------------------------------------------------------------------------------------------
# stage 4d: legacy_2014 统计表
# --------------------------------------------------------------------------------------------------
_UNIT_WORDS = ("条", "件", "次", "篇", "个", "人", "人次", "万元", "元", "项")


_LEGACY_TOTAL_COLS = ("合计", "总计", "小计", "本年累计", "全年")
_LEGACY_SKIP_COLS = ("序号", "代码", "编号", "本期实际", "指标", "备注")
_LEGACY_UNIT_HEADS = ("单位", "计量单位", "计算单位")


def legacy_columns(t: LogicalTable) -> tuple[int | None, dict[int, str]]:
    """(printed total column, {column: slug} of split 统计数 columns) of a provincial legacy table.

    Provinces split 统计数 into 区政府 / 区直单位 / 乡镇街道 (format-spec §8.2), with or without a 合计
    column; 定西 prints 本期实际 | 本年累计. Decision: the report's figure stays on the §8.2 key — the
    printed 合计/本年累计 column, else the sum of the split columns (flag ``derived``) — and every split
    column is kept as ``legacy.ext.col.<column>.<key without legacy.>``, which stays prefix-free and out of
    the §8.3 sums. Plain 统计指标 | 单位 | 统计数 tables give (None, {}) and keep the last-value rule."""
    header = [r for r in t.rows[:3] if any(_has(c.text, ("统计指标", "指标名称", "统计数")) for c in r.cells)]
    if not header:
        return None, {}
    total: int | None = None
    split: dict[int, str] = {}
    last = header[-1]
    for i, c in enumerate(last.cells):
        tx = clean(c.text)
        skip = any(w in tx for w in _LEGACY_SKIP_COLS) or tx in _UNIT_WORDS + _LEGACY_UNIT_HEADS
        if not tx or skip:
            continue
        if any(w in tx for w in _LEGACY_TOTAL_COLS):
            total = i
        elif tx != "统计数" and not is_value_text(c.text):
            split[i] = slug(c.text)
    return (total, split) if split or total is not None else (None, {})


def map_legacy(t: LogicalTable, ex: TableExtraction) -> None:
    """Stage 4d: 统计指标 | 单位 | 统计数 rows → ``legacy.*`` by label, unknown rows → ``legacy.ext.*``;
    provincial split columns as `legacy_columns` says."""
    total_col, split_cols = legacy_columns(t)
    if split_cols or total_col is not None:
        ex.decisions.append(f"legacy table: total column {total_col}, split columns {split_cols}")
    parent: str | None = None
    for r in t.rows:
        texts = [(i, c) for i, c in enumerate(r.cells)]
        labels = [
            (i, c)
            for i, c in texts
            if c.text.strip() and not is_value_text(c.text) and clean(c.text) not in _UNIT_WORDS
        ]
        if not labels:
            continue
        li, lc = max(labels, key=lambda x: len(clean(x[1].text)))
        vals = [(i, c) for i, c in texts if i > li and clean(c.text) not in _UNIT_WORDS]
        unit = next((clean(c.text) for i, c in texts if i > li and clean(c.text) in _UNIT_WORDS), None)
        lab = normalize(lc.text)
        if any(w in lab.compact for w in ("统计指标", "指标名称")):
            continue
        for p, word in (("review", "行政复议"), ("litigation", "行政诉讼"), ("complaints", "举报投诉")):
            if word in lab.compact and "数量" in lab.compact:
                parent = p
        key = None
        best = 0
        for k, frags, _u in schema.LEGACY_ROWS:
            for f in frags:
                if compact(f) in lab.compact and len(f) > best:
                    key, best = k, len(f)
        if key is None and parent:
            for child, frags in schema.LEGACY_OUTCOME_CHILDREN:
                if any(f in lab.compact for f in frags):
                    key = f"legacy.{parent}.{child}"
                    break
        if not vals:
            continue
        kind = "amount_wan" if (unit and "元" in unit) else "count"
        if split_cols or total_col is not None:
            _legacy_split_row(r, lc.text, lab, key, kind, unit, total_col, split_cols, ex)
            continue
        vi, vc = vals[-1]
        v = parse_value(vc.text, kind=kind, unit=unit)
        if key is None:
            if len(re.findall(r"[\u4e00-\u9fff]", lab.base)) < 2 or not is_number_text(vc.text):
                continue
            key = f"legacy.ext.{slug(lc.text)}"
            ex.labels[key] = lc.text
            ex.cells[key] = {**_cell(v, _src(r, vi, vc), "ext"), "label": lc.text}
            continue
        if key not in ex.cells:
            ex.cells[key] = _cell(v, _src(r, vi, vc))


def _legacy_split_row(
    r: GridRow,
    label: str,
    lab: Label,
    key: str | None,
    kind: str,
    unit: str | None,
    total_col: int | None,
    split_cols: dict[int, str],
    ex: TableExtraction,
) -> None:
    """One row of a provincial legacy table (see `legacy_columns`)."""
    if key is None:
        if len(re.findall(r"[\u4e00-\u9fff]", lab.base)) < 2:
            return
        key = f"legacy.ext.{slug(label)}"
    is_ext = key.startswith("legacy.ext.")
    ext_flag = "ext" if is_ext else None
    parts: list[tuple[int, CellValue]] = []
    for ci, col in split_cols.items():
        if ci >= len(r.cells):
            continue
        c = r.cells[ci]
        v = parse_value(c.text, kind=kind, unit=unit)
        if v.flag == "unreadable" or (v.flag == "blank" and is_ext):
            continue
        parts.append((ci, v))
        sub = f"legacy.ext.col.{col}.{key.removeprefix('legacy.')}"
        ex.cells.setdefault(
            sub, {**_cell(v, _src(r, ci, c), "ext"), "label": f"{label} — {col}"}
        )
        ex.labels.setdefault(sub, f"{label} — {col}")
    if total_col is not None and total_col < len(r.cells):
        c = r.cells[total_col]
        v = parse_value(c.text, kind=kind, unit=unit)
        if is_ext and not is_number_text(c.text):
            return
        if key not in ex.cells:
            extra = {"label": label} if is_ext else {}
            ex.cells[key] = {**_cell(v, _src(r, total_col, c), ext_flag), **extra}
            if is_ext:
                ex.labels[key] = label
        return
    nums = [v.value for _, v in parts if v.value is not None]
    if not nums or key in ex.cells:
        return
    if any(v.value is None and v.flag not in ("blank", "dash", "slash") for _, v in parts):
        return
    total = round(sum(nums), 6) if kind == "amount_wan" else sum(nums)
    cols = [f"legacy.ext.col.{split_cols[ci]}.{key.removeprefix('legacy.')}" for ci, _ in parts]
    ex.cells[key] = {
        "value": total,
        "raw": "",
        "flag": "derived",
        "unit": unit,
        "src": {"derived_from": cols, "table_idx": r.table_idx, "row_idx": r.row_idx},
        **({"label": label} if is_ext else {}),
    }
    if is_ext:
        ex.labels[key] = label


# --------------------------------------------------------------------------------------------------
# the runner
# --------------------------------------------------------------------------------------------------
MAPPERS = {"t2": map_t2, "t3": map_t3, "t4": map_t4, "legacy": map_legacy}


def extract_tables(doc: Document) -> TableExtraction:
    """Run stages 1–4 on a document and keep every intermediate result (see module docstring)."""
    ex = TableExtraction()
    ex.rows = classify_rows(doc)
    ex.tables = group_rows(ex.rows, _captions(doc))
    text = doc.text()
    ex.table2_version, ex.table3_version, ex.format_version = detect_eras(ex.tables, text)
    if ex.format_version is None:
        era, why = detect_text_era(text)
        if era is not None:
            ex.format_version = era
            ex.decisions.append(f"format_version {era} from the document text ({why})")
    for t in ex.tables:
        MAPPERS[t.kind](t, ex)
    return ex


def label_of(cells: list[Cell]) -> Label:
    """Convenience for debugging: the normalised label of a row's first non-value cell."""
    for c in cells:
        if c.text.strip() and not is_value_text(c.text):
            return normalize(c.text)
    return normalize("")
