"""parsers.tables: table finding, era detection and cell mapping on hand-built Documents."""

from __future__ import annotations

from parsers import schema
from parsers.document import Cell, Document, Paragraph, Table
from parsers.tables import extract_tables, paragraph_row

C7 = list(schema.T3_COL_KEYS)


def grid(rows: list[list[str]], idx: int = 0) -> Table:
    """A table as the text carrier builds it: short rows padded with pad cells, no merges."""
    width = max(len(r) for r in rows)
    return Table(
        [
            [Cell(t, {"line": i}) for t in r] + [Cell("", {"pad": True})] * (width - len(r))
            for i, r in enumerate(rows)
        ],
        {"table_idx": idx},
    )


def doc(*blocks) -> Document:
    return Document(kind="text", blocks=list(blocks))


T2_2021 = [
    ["第二十条第（一）项"],
    ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"],
    ["规章", "1", "2", "3"],
    ["行政规范性文件", "4", "5", "6"],
    ["第二十条第（五）项"],
    ["信息内容", "本年处理决定数量"],
    ["行政许可", "600"],
    ["第二十条第（六）项"],
    ["信息内容", "本年处理决定数量"],
    ["行政处罚", "9"],
    ["行政强制", "0"],
    ["第二十条第（八）项"],
    ["信息内容", "本年收费金额（单位：万元）"],
    ["行政事业性收费", "26.815"],
]

T2_2019 = [
    ["第二十条第（一）项"],
    ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
    ["规章", "13", "13", "524"],
    ["规范性文件", "60", "60", "368"],
    ["第二十条第（五）项"],
    ["信息内容", "上一年项目数量", "本年增/减", "处理决定数量"],
    ["行政许可", "10", "-2", "7"],
    ["其他对外管理服务事项", "1", "+1", "0"],
    ["第二十条第（九）项"],
    ["信息内容", "采购项目数量", "采购总金额"],
    ["政府集中采购", "6", "251000元"],
]


def t3_rows(
    era: str, *, header: list[list[str]] | None = None, value=lambda i, j: str(i * 10 + j)
) -> list[list[str]]:
    rows = header or [
        ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "申请人情况"],
        ["", "自然人", "法人或其他组织", "总计"],
        ["", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""],
    ]
    labels = {s.key: s.label for s in schema.T3_ROWS}
    group_label = {g.key: g.label for g in schema.T3_GROUPS}
    seen: set[str] = set()
    for i, key in enumerate(schema.t3_row_keys(era)):
        spec = next(s for s in schema.T3_ROWS if s.key == key)
        lead: list[str] = []
        if spec.parent and spec.parent != "results":
            lead = [group_label[spec.parent] if spec.parent not in seen else ""]
            seen.add(spec.parent)
        rows.append([*lead, labels[key], *(value(i, j) for j in range(7))])
    return rows


T4_STD = [
    ["行政复议", "行政诉讼"],
    ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计", "未经复议直接起诉", "复议后起诉"],
    ["", "", "", "", "", *["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2],
    [str(i) for i in range(1, 16)],
]


def test_seed_shape_2021_all_three_tables() -> None:
    ex = extract_tables(doc(grid(T2_2021, 0), grid(t3_rows("gov2021"), 1), grid(T4_STD, 2)))
    assert (ex.table2_version, ex.table3_version, ex.format_version) == ("gov2021", "gov2021", "gov2021")
    c = ex.cells
    assert c["active.regulations.repealed"]["value"] == 2
    assert c["active.fees.amount_wan"]["value"] == 26.815
    assert c["active.fees.amount_wan"]["unit"] == "万元"
    order = schema.t3_row_keys("gov2021")
    for i, key in enumerate(order):
        for j, col in enumerate(C7):
            cell = c[f"applications.{key}.{col}"]
            assert cell["value"] == i * 10 + j, (key, col)
            assert cell["flag"] == "ok"
    assert c["review.upheld"]["value"] == 1
    assert c["litigation.direct.upheld"]["value"] == 6
    assert c["litigation.after_review.total"]["value"] == 15
    assert all(v["flag"] == "ok" for v in c.values())
    assert c["applications.other.other.total"]["src"]["table_idx"] == 1


def test_2019_detection_and_keys() -> None:
    ex = extract_tables(doc(grid(T2_2019, 0), grid(t3_rows("gov2019"), 1)))
    assert ex.table2_version == "gov2019" and ex.table3_version == "gov2019"
    c = ex.cells
    assert c["active.licensing.delta_items"]["value"] == -2
    assert c["active.other_mgmt_services.delta_items"]["value"] == 1
    assert c["active.procurement.amount_wan"]["value"] == 25.1
    assert c["active.procurement.amount_wan"]["flag"] == "unit_inline"
    assert "applications.other.subtotal.total" in c
    assert "applications.other.other.total" not in c


def test_mixed_era_tables() -> None:
    """A 2019 table 二 with a 2021 table 三 (format-spec §9.6): versions stored per table."""
    ex = extract_tables(doc(grid(T2_2019, 0), grid(t3_rows("gov2021"), 1)))
    assert ex.table2_version == "gov2019"
    assert ex.table3_version == "gov2021"
    assert ex.format_version == "gov2019"
    assert "applications.other.overdue_fee.natural_person" in ex.cells


def test_undivided_other_row_in_2021_table() -> None:
    rows = [r for r in t3_rows("gov2019")]
    ex = extract_tables(doc(grid(T2_2021, 0), grid(rows, 1)))
    assert ex.format_version == "gov2021" and ex.table3_version == "gov2019"
    assert ex.cells["applications.other.subtotal.natural_person"]["flag"] == "ok"


def test_split_tables_are_concatenated() -> None:
    """One <table> per 第二十条 block, and table 三 broken across a page."""
    blocks = [grid(T2_2021[i : i + 4], n) for n, i in enumerate(range(0, 14, 4))]
    t3 = t3_rows("gov2021")
    blocks += [grid(t3[:12], 10), grid(t3[12:], 11)]
    ex = extract_tables(doc(*blocks))
    assert len([t for t in ex.tables if t.kind == "t2"]) == 1
    assert ex.cells["active.fees.amount_wan"]["value"] == 26.815
    assert ex.cells["applications.carried_forward.total"]["value"] == 24 * 10 + 6
    assert ex.cells["applications.carried_forward.total"]["src"]["table_idx"] == 11


def test_transposed_table4() -> None:
    rows = [
        ["", "结果维持", "结果纠正", "其他结果", "尚未审结", "总计"],
        ["行政复议", "1", "2", "3", "4", "10"],
        ["行政诉讼", "未经复议直接起诉", "5", "0", "0", "0", "5"],
        ["", "复议后起诉", "0", "0", "1", "0", "1"],
    ]
    ex = extract_tables(doc(grid(rows)))
    c = ex.cells
    assert c["review.total"]["value"] == 10
    assert c["litigation.direct.upheld"]["value"] == 5
    assert c["litigation.after_review.other"]["value"] == 1
    assert c["litigation.after_review.other"]["flag"] == "ok"


def test_table4_split_in_two_with_captions() -> None:
    cols = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    d = doc(
        Paragraph("行政复议"),
        grid([cols, ["1", "0", "0", "0", "1"]], 0),
        Paragraph("行政诉讼（未经复议直接起诉）"),
        grid([cols, ["2", "0", "0", "0", "2"]], 1),
        Paragraph("行政诉讼（复议后起诉）"),
        grid([cols, ["3", "0", "0", "0", "3"]], 2),
    )
    c = extract_tables(d).cells
    assert (
        c["review.upheld"]["value"],
        c["litigation.direct.upheld"]["value"],
        c["litigation.after_review.upheld"]["value"],
    ) == (1, 2, 3)


def test_table4_split_reviews_and_litigation() -> None:
    lit = [
        ["行政诉讼"],
        ["未经复议直接起诉", "复议后起诉"],
        ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 2,
        ["1", "0", "0", "0", "1", "2", "0", "0", "0", "2"],
    ]
    rev = [["行政复议"], ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"], ["4", "0", "0", "0", "4"]]
    c = extract_tables(doc(grid(rev, 0), grid(lit, 1))).cells
    assert c["review.upheld"]["value"] == 4
    assert c["litigation.direct.total"]["value"] == 1
    assert c["litigation.after_review.total"]["value"] == 2


def test_annotated_labels_and_ext_rows() -> None:
    rows = [
        ["第二十条第（一）项"],
        ["信息内容", "本年新制作数量", "本年新公开数量", "对外公开总数量"],
        ["规章(设区的市、自治州人民政府应提供相关数据)", "1", "1", "5"],
        ["规范性文件", "2", "2", "9"],
        ["其他主动公开文件(各级政府部门填写)", "7", "7", "70"],
    ]
    ex = extract_tables(doc(grid(rows)))
    assert ex.cells["active.regulations.new_made"]["value"] == 1
    ext = {k: v for k, v in ex.cells.items() if k.startswith("active.ext.")}
    assert len(ext) == 3
    key = "active.ext.其他主动公开文件.total_published"
    assert ext[key]["value"] == 70 and ext[key]["flag"] == "ext"
    assert ex.labels[key].startswith("其他主动公开文件")


def test_table3_ext_row_kept() -> None:
    rows = t3_rows("gov2021")
    rows.insert(6, ["（二之一）转交其他机关办理", "1", "0", "0", "0", "0", "0", "1"])
    ex = extract_tables(doc(grid(rows)))
    ext = [k for k in ex.cells if k.startswith("applications.ext.")]
    assert len(ext) == 7
    assert ex.cells["applications.granted.natural_person"]["flag"] == "ok"


def test_generic_headers_fall_back_to_template_flagged() -> None:
    header = [["类别", "数据1", "数据2", "数据3", "数据4", "数据5", "数据6", "总计"]]
    rows = t3_rows("gov2021", header=header)
    ex = extract_tables(doc(grid(rows)))
    cell = ex.cells["applications.new.commercial"]
    assert cell["value"] == 1
    assert cell["flag"] == "position"


def test_html_grid_with_merges_is_aligned_by_grid() -> None:
    """Word-exported grid, merges expanded: the corner note spans 3×3, 三、 spans its rows."""

    def row(texts, spans=None):
        spans = spans or {}
        return [Cell(t, {"path": f"td{i}"}, spans.get(i)) for i, t in enumerate(texts)]

    note = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"
    rows = [
        row(
            [note, note, note, "申请人情况", *["申请人情况"] * 6],
            {1: (0, 0), 2: (0, 0), **{i: (0, 3) for i in range(4, 10)}},
        ),
        row(
            [note, note, note, "自然人", "法人或其他组织", *["法人或其他组织"] * 4, "总计"],
            {0: (0, 0), 1: (0, 0), 2: (0, 0), **{i: (1, 4) for i in range(5, 9)}},
        ),
        row(
            [
                note,
                note,
                note,
                "自然人",
                "商业企业",
                "科研机构",
                "社会公益组织",
                "法律服务机构",
                "其他",
                "总计",
            ],
            {0: (0, 0), 1: (0, 0), 2: (0, 0), 3: (1, 3), 9: (1, 9)},
        ),
        row(
            ["一、本年新收政府信息公开申请数量"] * 3 + ["5", "", "", "", "", "", "5"], {1: (3, 0), 2: (3, 0)}
        ),
        row(["三、本年度办理结果", "（三）不予公开", "1.属于国家秘密", "2", "", "", "", "", "", "2"]),
        row(["三、本年度办理结果", "（六）其他处理", "3.其他", "1", "", "", "", "", "", "1"], {0: (4, 0)}),
    ]
    ex = extract_tables(Document(kind="html", blocks=[Table(rows, {"table_idx": 0})]))
    c = ex.cells
    assert c["applications.new.natural_person"]["value"] == 5
    assert c["applications.new.commercial"]["flag"] == "blank"
    assert c["applications.denied.state_secret.total"]["value"] == 2
    assert c["applications.other.other.natural_person"]["flag"] == "ok"
    assert any("grid" in d for d in ex.decisions)


def test_legacy_2014_list_table() -> None:
    rows = [
        ["统计指标", "单位", "统计数"],
        ["一、主动公开情况", "—", "—"],
        ["（一）主动公开政府信息数", "条", "1200"],
        ["三、依申请公开情况", "—", "—"],
        ["（一）收到申请数", "件", "12"],
        ["1.当面申请数", "件", "3"],
        ["四、行政复议数量", "件", "2"],
        ["（一）维持具体行政行为数", "件", "1"],
        ["主动公开机构领导信息", "条", "4"],
    ]
    ex = extract_tables(doc(grid(rows)))
    assert ex.format_version == "legacy_2014"
    c = ex.cells
    assert c["legacy.active.total"]["value"] == 1200
    assert c["legacy.apps.received.in_person"]["value"] == 3
    assert c["legacy.review.total"]["value"] == 2
    assert c["legacy.review.upheld"]["value"] == 1
    assert [k for k in c if k.startswith("legacy.ext.")] == ["legacy.ext.主动公开机构领导信息"]


def test_no_tables_means_no_cells() -> None:
    ex = extract_tables(doc(Paragraph("一、总体情况"), Paragraph("本年度无依申请公开。")))
    assert ex.cells == {} and ex.format_version is None


def test_flattened_table2_lines() -> None:
    assert paragraph_row("行政许可 97") == ["行政许可", "97"]
    assert paragraph_row("本年行政许可决定共计97件，较上年增加") is None
    d = doc(Paragraph("第二十条第（五）项"), Paragraph("信息内容本年处理决定数量"), Paragraph("行政许可 97"))
    c = extract_tables(d).cells
    assert c["active.licensing.decisions"]["value"] == 97


def test_legal_person_subtotal_column_by_printed_order() -> None:
    header = [
        ["申请人情况"],
        ["", "自然人", "法人或其他组织", "总计"],
        ["", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "小计", ""],
    ]
    rows = t3_rows("gov2021", header=header, value=lambda i, j: str(j))
    rows = [r if len(r) < 8 or not r[-1].isdigit() else [*r, "99"] for r in rows]
    ex = extract_tables(doc(grid(rows)))
    c = ex.cells
    # values per row: 0..6 then 99 → columns natural_person, 5 organisations, legal_person, total
    assert c["applications.new.natural_person"]["value"] == 0
    assert c["applications.new.legal_person"]["value"] == 6
    assert c["applications.new.total"]["value"] == 99
    assert c["applications.new.total"]["flag"] == "ok"


def test_organisations_without_group_label_are_inferred_and_flagged() -> None:
    header = [["", "自然人", "总计"], ["", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]]
    ex = extract_tables(doc(grid(t3_rows("gov2021", header=header))))
    cell = ex.cells["applications.granted.commercial"]
    assert cell["value"] == 21
    assert cell["flag"] == "position"


def test_group_row_with_printed_subtotal() -> None:
    rows = t3_rows("gov2021")
    at = next(i for i, r in enumerate(rows) if "国家秘密" in "".join(r))
    rows[at][0] = ""
    rows.insert(at, ["（三）不予公开", *["1"] * 6, "6"])
    c = extract_tables(doc(grid(rows))).cells
    assert c["applications.denied.subtotal.total"]["value"] == 6
    assert c["applications.denied.state_secret.natural_person"]["flag"] == "ok"


def test_era_from_document_text_when_no_table() -> None:
    d = doc(
        Paragraph(
            "依据《中华人民共和国政府信息公开工作年度报告格式》（国办公开办函〔2021〕30号）编制本报告。"
        )
    )
    ex = extract_tables(d)
    assert ex.format_version == "gov2021" and ex.cells == {}
    assert any("30号" in x for x in ex.decisions)
    flat = doc(Paragraph("信息内容 本年新制作数量 本年新公开数量 对外公开总数量"))
    assert extract_tables(flat).format_version == "gov2019"


def test_row_cut_by_a_page_break_is_joined() -> None:
    rows = t3_rows("gov2021")
    at = next(i for i, r in enumerate(rows) if any("过程性" in x for x in r))
    vals = rows[at][-7:]
    rows[at] = ["", "6.属于四类过", *vals]
    rows.insert(at + 1, ["", "程性信息", *[""] * 7])
    ex = extract_tables(doc(grid(rows[: at + 1], 0), grid(rows[at + 1 :], 1)))
    assert ex.cells["applications.denied.process_info.natural_person"]["value"] == int(vals[0])
    assert not [k for k in ex.cells if k.startswith("applications.ext.")]


def test_pipe_row_missing_its_empty_last_cell() -> None:
    rows = t3_rows("gov2021")
    at = next(i for i, r in enumerate(rows) if any("国家秘密" in x for x in r))
    rows[at] = [*rows[at][:-1]]  # the blank 总计 cell was eaten with the closing "|"
    rows[at][-1] = "-"
    ex = extract_tables(doc(grid(rows)))
    c = ex.cells
    assert c["applications.denied.state_secret.total"]["flag"] == "blank"
    assert c["applications.denied.state_secret.other_org"]["flag"] == "dash"
    assert c["applications.denied.state_secret.natural_person"]["flag"] == "position"
    assert any("restored" in w for w in ex.warnings)


def test_ext_cells_carry_their_printed_label() -> None:
    rows = [*T2_2021[:4], ["其他主动公开文件", "1", "0", "1"]]
    cell = extract_tables(doc(grid(rows))).cells["active.ext.其他主动公开文件.issued"]
    assert cell["label"] == "其他主动公开文件" and cell["flag"] == "ext"
