"""HTML carrier: spans, cell text, nested tables, body/metadata, encodings, image tables, corpus pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.carriers import html
from parsers.errors import UnreadableInput

SHARED = Path(__file__).resolve().parents[2] / "shared"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="/work/shared corpus not available")


def page(body: str, head: str = '<meta charset="utf-8">') -> bytes:
    return f"<html><head>{head}</head><body>{body}</body></html>".encode()


def test_rowspan_colspan_expand_to_full_grid() -> None:
    doc = html.read(
        page("""<table>
        <tr><td rowspan="2" colspan="2">勾稽关系</td><td colspan="3">申请人情况</td></tr>
        <tr><td rowspan="2">自然人</td><td colspan="2">法人或其他组织</td></tr>
        <tr><td>一、本年新收</td><td></td><td>商业企业</td><td>科研机构</td></tr>
        <tr><td>x</td><td>y</td><td>1</td><td>22</td><td>333</td></tr>
        </table>""")
    )
    (t,) = doc.tables
    assert t.texts() == [
        ["勾稽关系", "勾稽关系", "申请人情况", "申请人情况", "申请人情况"],
        ["勾稽关系", "勾稽关系", "自然人", "法人或其他组织", "法人或其他组织"],
        ["一、本年新收", "", "自然人", "商业企业", "科研机构"],
        ["x", "y", "1", "22", "333"],
    ]
    assert t.rows[1][1].span_of == (0, 0)
    assert t.rows[2][2].span_of == (1, 2)
    assert t.rows[0][0].span_of is None
    assert t.rows[2][2].src == t.rows[1][2].src
    assert t.rows[3][4].src["path"].endswith("tr[4]/td[5]")
    assert t.src["table_idx"] == 0


def test_rowspan_zero_clamping_and_absurd_spans() -> None:
    doc = html.read(
        page("""<table>
        <tr><td rowspan="0">A</td><td>b1</td></tr>
        <tr><td>b2</td></tr>
        <tr><td rowspan="99">C</td><td colspan="100000">wide</td></tr>
        </table>""")
    )
    (t,) = doc.tables
    assert t.n_rows == 3
    assert [row[0].text for row in t.rows] == ["A", "A", "A"]  # rowspan=0: to the end of the table
    assert t.rows[1][1].text == "b2"
    assert t.rows[2][1].text == "C"  # rowspan=99 clamped at the last row, placed after A's column
    assert t.n_cols == 2 + 200  # colspan capped at MAX_SPAN
    assert any("colspan=100000 capped" in w for w in doc.warnings)


def test_short_rows_are_padded_and_empty_tr_dropped() -> None:
    doc = html.read(
        page("<table><tr><td>a</td><td>b</td><td>c</td></tr><tr></tr><tr><td>d</td></tr></table>")
    )
    (t,) = doc.tables
    assert t.texts() == [["a", "b", "c"], ["d", "", ""]]
    assert t.rows[1][2].src == {"pad": True}


def test_cell_text_keeps_br_and_p_as_newlines_and_strips_nbsp() -> None:
    doc = html.read(
        page(
            "<table><tr><td><p>本年新<br/>制作数量</p></td><td>&nbsp;1&nbsp;</td>"
            '<td><span style="x">20</span><span>23</span></td><td>&nbsp;</td>'
            "<td><p>商业</p><p>企业</p></td></tr></table>"
        )
    )
    assert doc.tables[0].texts() == [["本年新\n制作数量", "1", "2023", "", "商业\n企业"]]


def test_nested_table_makes_outer_a_layout_table() -> None:
    doc = html.read(
        page("""<table class="layout"><tr><td>
          <p>一、总体情况</p>
          <table><tr><td>规章</td><td>5</td></tr></table>
          <p>二、主动公开</p>
          <table><tr><td>行政许可</td><td>7</td></tr></table>
        </td></tr></table>""")
    )
    assert [t.texts() for t in doc.tables] == [[["规章", "5"]], [["行政许可", "7"]]]
    assert [b.text if hasattr(b, "text") and isinstance(b.text, str) else "T" for b in doc.blocks] == [
        "一、总体情况", "T", "二、主动公开", "T",
    ]  # fmt: skip
    assert [t.src["table_idx"] for t in doc.tables] == [0, 1]


PARA = "2023年，我局认真贯彻落实《条例》，主动公开政府信息249条，依申请公开26件，均按时答复。"


def test_body_container_metadata_and_chrome() -> None:
    data = page(
        f"""<div class="header"><nav><a>首页</a><a>信息公开</a></nav></div>
        <table class="xxgk_table"><tr><td>索引号：</td><td>014314799/2024-00002</td><td>发布机构：</td>
          <td>某某县发展和改革局</td></tr><tr><td>成文日期：</td><td>2024-01-17</td></tr></table>
        <ul class="meta"><li>发布日期：2024-01-18</li></ul>
        <div class="content"><div id="zoom"><p>一、总体情况</p><p>{PARA}</p>
          <script>var x = "不应出现";</script>
          <table><tr><td>规章</td><td>0</td></tr></table></div>
          <div class="share">分享到：微信</div></div>
        <footer>版权所有</footer>""",
        head='<meta charset="utf-8"><title>某某局2023年政府信息公开工作年度报告</title>'
        '<meta name="ArticleTitle" content="某某局2023年报"><meta name="PubDate" content="2024-01-18 09:00">'
        '<meta name="viewport" content="width=device-width">',
    )
    doc = html.read(data)
    assert [p.text for p in doc.paragraphs] == [
        "一、总体情况",
        PARA,
    ]
    assert doc.paragraphs[0].src["path"] == "/html/body/div[2]/div[1]/p[1]"
    assert doc.tables[0].texts() == [["规章", "0"]]
    assert doc.meta["title"] == "某某局2023年政府信息公开工作年度报告"
    assert doc.meta["ArticleTitle"] == "某某局2023年报"
    assert doc.meta["PubDate"] == "2024-01-18 09:00"
    assert "viewport" not in doc.meta
    assert doc.meta["索引号"] == "014314799/2024-00002"
    assert doc.meta["发布机构"] == "某某县发展和改革局"
    assert doc.meta["成文日期"] == "2024-01-17"
    assert doc.meta["发布日期"] == "2024-01-18"
    assert "不应出现" not in doc.text() and "版权所有" not in doc.text()


def test_fragment_without_container_falls_back_to_body() -> None:
    doc = html.read(b"<table><tr><td>a</td><td>1</td></tr></table><p>\xe6\xad\xa3\xe6\x96\x87</p>")
    assert doc.tables[0].texts() == [["a", "1"]]
    assert [p.text for p in doc.paragraphs] == ["正文"]


GBK_BODY = "<p>政府信息公开工作年度报告</p><table><tr><td>行政许可</td><td>600</td></tr></table>"


@pytest.mark.parametrize(
    ("head", "content_type", "lie"),
    [
        ('<meta charset="gbk">', None, False),
        ("", None, False),  # no declaration at all
        ('<meta charset="utf-8">', None, True),  # the meta lies
        ('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', None, False),
        ("", "text/html; charset=utf-8", True),  # the header lies
    ],
)
def test_gbk_pages_decode_whatever_they_claim(head: str, content_type: str | None, lie: bool) -> None:
    data = f"<html><head>{head}</head><body>{GBK_BODY}</body></html>".encode("gbk")
    doc = html.read(data, content_type=content_type)
    assert doc.paragraphs[0].text == "政府信息公开工作年度报告"
    assert doc.tables[0].texts() == [["行政许可", "600"]]
    assert any("declared charset" in w for w in doc.warnings) is lie


def test_utf8_page_declared_gbk_and_bom() -> None:
    data = f'<html><head><meta charset="gb2312"></head><body>{GBK_BODY}</body></html>'.encode()
    doc = html.read(data)
    assert doc.paragraphs[0].text == "政府信息公开工作年度报告"
    assert any("'gb2312' but the bytes are utf-8" in w for w in doc.warnings)
    bom = "\ufeff<html><body><p>年度报告</p></body></html>".encode("utf-16-le")
    assert html.read(b"\xff\xfe" + bom[2:]).paragraphs[0].text == "年度报告"


def test_image_tables_counted_when_no_numeric_tables() -> None:
    body = """<div id="zoom"><p>二、主动公开政府信息情况</p><p><img src="/u/2021/tab2.png" width="600"></p>
      <p>三、收到和处理政府信息公开申请情况</p><p><img src="/u/2021/tab3.jpg"></p>
      <p><img src="/images/icon_print.gif"></p><p><img src="/x.png" width="16" height="16"></p></div>"""
    doc = html.read(page(body))
    assert doc.image_tables == 2
    assert any("image" in w for w in doc.warnings)
    with_numbers = body.replace(
        "</div>", "<table>" + "<tr><td>行</td><td>1</td><td>2</td></tr>" * 6 + "</table></div>"
    )
    assert html.read(page(with_numbers)).image_tables == 0


def test_empty_html_is_unreadable() -> None:
    with pytest.raises(UnreadableInput):
        html.read(b"   \n ")


@needs_shared
def test_corpus_004_portal_page() -> None:
    doc = html.read((SHARED / "corpus/raw/004_shuyang_fgj2023.html").read_bytes())
    assert doc.meta["索引号"] == "014314799/2024-00002"
    assert doc.meta["发布机构"] == "沭阳县发展和改革局"
    assert [(t.n_rows, t.n_cols) for t in doc.tables] == [(14, 4), (28, 10), (4, 15)]
    t3 = doc.tables[1]
    assert t3.rows[2][4].text == "商业\n企业"
    assert [c.text for c in t3.rows[3][3:]] == ["26", "", "", "", "", "", "26"]
    assert doc.paragraphs[0].text.startswith("根据《中华人民共和国政府信息公开条例》")
    assert "2023年1月1日至2023年12月31日" in doc.paragraphs[0].text  # inline spans joined, no spaces


@needs_shared
def test_corpus_005_shanghai_colspan_shift() -> None:
    doc = html.read((SHARED / "corpus/raw/005_shanghai_bgt2019.html").read_bytes())
    t2 = doc.tables[0]
    assert t2.n_cols == 5
    assert [c.text for c in t2.rows[17]] == ["政府集中采购", "6", "6", "251000元", "251000元"]
    assert t2.rows[17][2].span_of == (17, 1)
    assert doc.meta["发布日期"] == "2020-01-31"
    t3 = doc.tables[1]
    assert [c.text for c in t3.rows[3][3:]] == ["821", "35", "", "", "2", "1", "859"]


def test_cell_paths_equal_lxml_getpath_and_depth_probe_equals_walk() -> None:
    """The fast paths of the carrier (row-relative cell paths, the XPath depth probe) give what
    ``getpath`` and the exact `max_depth` walk give, on rows mixing td/th/other children."""
    from lxml import etree

    page = (
        b"<table><tr><td>a</td><th>b</th><td>c</td><p>x</p><th>d</th></tr>"
        b"<tr><td>only</td></tr><tr><th>h</th><td>v</td><td>w</td></tr></table>"
    )
    root = etree.fromstring(page, etree.HTMLParser())
    tree = root.getroottree()
    got = [(path, tree.getpath(td)) for tr in root.iter("tr") for td, path in html._cell_paths(tree, tr)]
    assert len(got) == 8 and all(a == b for a, b in got)
    nested = etree.fromstring(b"<div>" * 20 + b"x" + b"</div>" * 20, etree.HTMLParser())
    depth = html.max_depth(nested)
    assert [html._deeper_than(nested, n) for n in (depth - 1, depth, depth + 1)] == [True, False, False]
