"""HTML carrier: a saved portal page (or a bare HTML fragment) → `Document`.

Stages, each a function named for its conversion (pdfplumber style):

1. ``decode_html``: bytes → str, BOM > valid UTF-8 > ``<meta>`` > HTTP header > GB18030 > guess
   (see ``_decode``), warning when a declaration lied;
2. ``parse_tree``: lxml's HTML parser with network, entities and huge trees off; a document nested
   deeper than ``Limits.max_html_depth`` (libxml2 itself stops at 256) raises ``LimitExceeded``;
3. ``strip_chrome``: script/style/nav/header/footer/widgets removed (not ``<form>``: ASP.NET pages
   wrap the whole page in one);
4. ``extract_meta``: ``<title>``, ``<meta name=...>`` and the portal's label–value metadata block
   (索引号/发布机构/发布日期 …) outside the report body → ``Document.meta``;
5. ``find_body``: the CMS container holding the report (``#zoom``, ``.TRS_Editor``, ``#UCAP-CONTENT``
   …); the most specific candidate holding ≥ ``BODY_SHARE`` of the best candidate's text; else ``<body>``;
6. ``body_to_blocks``: paragraphs and tables in reading order. Tables: rowspan/colspan expanded by
   ``_grid.build_grid``; ``<br>``/``<p>`` inside a cell become ``\\n``. **Nested tables**: a table that
   contains another table is a layout table (CMS templates wrap whole articles in them; data tables in
   these reports never nest), so its cells are read as body flow and the inner tables become tables of
   their own;
7. ``count_image_tables``: content ``<img>``s in a body whose tables carry (almost) no numbers are the
   report's tables as pictures → ``Document.image_tables``;
8. with ``resources`` (the pictures' bytes), those pictures are OCR'd into tables in place
   (`parsers.ocr.html_images`); only pictures left unread stay counted in ``image_tables``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import lru_cache

from lxml import etree

from parsers.carriers._decode import charset_from_content_type, charset_from_html_head, decode_bytes
from parsers.carriers._grid import RawCell, build_grid
from parsers.carriers._text import clean_line, clean_lines
from parsers.document import Block, Document, Paragraph, Table
from parsers.errors import LimitExceeded, UnreadableInput
from parsers.limits import DEFAULT_LIMITS, Limits

# ---- tuning (re-run bench/parse_bench.py and tests/test_carrier_html.py after a change) -------------

# Report-body containers of the CMS families in portals.md, most specific first. Ids and class tokens.
BODY_IDS = (
    "zoom", "zoomcon", "UCAP-CONTENT", "xxgk_content", "content", "article", "artibody", "mainText",
    "Zoom", "fontzoom", "BodyLabel", "detailContent", "info_content", "news_content",
)  # fmt: skip
BODY_CLASSES = (
    "TRS_Editor", "TRS_UEDITOR", "trs_editor_view", "article-content", "Article_content", "xxgk_content",
    "view", "content", "article", "art_con", "wzy_content", "pages_content", "main-txt", "con_txt",
    "news_content", "detail-content", "zw", "article-body", "bt-article", "xxgk-content",
)  # fmt: skip
BODY_TAGS = ("ucapcontent",)
_BODY_CLASS_SET = frozenset(BODY_CLASSES)
# the text nodes `itertext()` would give, as one list built by libxml2
_TEXT_NODES = etree.XPath("descendant::text()", smart_strings=False)
# A candidate container is accepted if it holds this share of the text of the richest candidate; the
# most specific such candidate wins (so a page-wide ``.content`` wrapper loses to ``#zoom`` inside it).
BODY_SHARE = 0.8
# Below this many characters a candidate is a teaser/summary box, not the report body.
BODY_MIN_CHARS = 50
# If the richest candidate holds less than this share of the page text, it is a sidebar box and the
# report sits outside any known container: read the whole <body> (chrome already removed).
BODY_MIN_SHARE_OF_PAGE = 0.25

CHROME_TAGS = ("script", "style", "noscript", "template", "nav", "header", "footer", "iframe",
               "button", "select", "textarea", "object", "embed", "svg", "canvas")  # fmt: skip
BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "dl",
        "dt",
        "dd",
        "section",
        "article",
        "aside",
        "blockquote",
        "pre",
        "center",
        "address",
        "main",
        "figure",
        "figcaption",
        "caption",
        "hr",
        "tr",
        "tbody",
        "thead",
        "tfoot",
        "body",
        "html",
        "ucapcontent",
    ]
)

# Portal metadata labels (the 信息公开 "indexing" block above or below the body). Matched after
# stripping full/half-width colons and whitespace.
META_LABELS = frozenset(
    [
        "索引号",
        "发布机构",
        "发文机关",
        "发布日期",
        "发布时间",
        "成文日期",
        "公开日期",
        "生成日期",
        "主题分类",
        "体裁分类",
        "组配分类",
        "服务对象分类",
        "文号",
        "发文字号",
        "名称",
        "标题",
        "分类",
        "关键词",
        "主题词",
        "公开方式",
        "公开范围",
        "公开时限",
        "时效",
        "有效性",
        "来源",
        "信息来源",
        "文章来源",
        "所属机构",
        "统一编号",
        "信息名称",
        "内容概述",
        "产生日期",
        "责任部门",
        "公开形式",
        "发布单位",
        "单位",
        "浏览次数",
    ]
)
# Labels also harvested from short "label：value" lines at the top of the body (005: 发布日期：2020-01-31).
BODY_META_LABELS = frozenset(["发布日期", "发布时间", "成文日期", "来源", "信息来源", "发布机构"])
META_NAMES_SKIP = frozenset(
    [
        "viewport",
        "renderer",
        "robots",
        "format-detection",
        "referrer",
        "theme-color",
        "generator",
        "x-ua-compatible",
        "apple-mobile-web-app-capable",
        "apple-mobile-web-app-status-bar-style",
        "msapplication-tileimage",
    ]
)

# Image-table detection: below this many numeric cells the body's tables cannot be the report's
# statistics (a real table 三 alone has ~150 numeric cells), so content images stand in for them.
IMAGE_TABLE_MAX_NUMERIC_CELLS = 10
# Images smaller than this (declared width or height, px) are icons, bullets or share buttons.
IMAGE_MIN_SIDE_PX = 120
IMAGE_SKIP_RE = re.compile(r"icon|logo|share|qrcode|ewm|erweima|print|close|arrow|bullet|spacer|weixin|wx|"
                           r"weibo|banner|btn|button|dot|line\.|blank", re.I)  # fmt: skip

_COLON_RE = re.compile(r"^\s*([^：:]{1,10}?)\s*[：:]\s*(.*)$", re.S)
_DIGIT_RE = re.compile(r"\d")


# ---- stages -----------------------------------------------------------------------------------------


def decode_html(data: bytes, content_type: str | None, warnings: list[str]) -> str:
    """Stage 1: bytes → str (meta declaration before the HTTP header, both verified)."""
    declared = [("<meta charset>", charset_from_html_head(data)), ("Content-Type header",
                charset_from_content_type(content_type))]  # fmt: skip
    decoded = decode_bytes(data, declared)
    warnings.extend(decoded.warnings)
    return decoded.text


def parse_tree(text: str, limits: Limits) -> etree._Element:
    """Stage 2: str → lxml tree with every network/entity/huge-tree feature off."""
    # lxml's plain HTML parser, not ``lxml.html``'s: that one attaches a Python class lookup that runs for
    # every element proxy the later stages touch (a third of the carrier's time); the two HtmlElement
    # methods used here are `_text_content` and `_drop_tree` below.
    parser = etree.HTMLParser(
        encoding="utf-8", huge_tree=False, no_network=True, remove_comments=True, remove_pis=True,
        remove_blank_text=False, compact=True, default_doctype=False,
    )  # fmt: skip
    # Drop an XML declaration / encoding attribute: the text is already decoded.
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
        if root is None:
            raise etree.ParserError("Document is empty")
    except (etree.ParserError, ValueError) as e:
        raise UnreadableInput("html", f"no HTML content could be parsed ({e})") from e
    for entry in parser.error_log:
        if entry.type_name == "ERR_RESOURCE_LIMIT" or "Excessive depth" in entry.message:
            raise LimitExceeded("html", f"nesting deeper than libxml2's limit ({entry.message.strip()})")
    if _deeper_than(root, limits.max_html_depth) and (depth := max_depth(root)) > limits.max_html_depth:
        raise LimitExceeded("html", f"element nesting {depth} deeper than Limits.max_html_depth="
                                    f"{limits.max_html_depth}")  # fmt: skip
    return root


@lru_cache(maxsize=16)
def _depth_probe(limit: int) -> etree.XPath:
    # `limit` child steps from the root reach the elements at nesting depth limit + 1
    return etree.XPath("boolean(" + "/".join(["*"] * limit) + ")")


def _deeper_than(root: etree._Element, limit: int) -> bool:
    """Whether any element nests deeper than `limit`: one XPath evaluated in libxml2 (no Python object
    per element), so the exact `max_depth` walk only runs on pages that fail the limit."""
    return limit < 1 or bool(_depth_probe(limit)(root))


def max_depth(root: etree._Element) -> int:
    """Deepest element nesting, computed without recursion (the check that makes recursion safe)."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        el, d = stack.pop()
        deepest = max(deepest, d)
        stack.extend((child, d + 1) for child in el)
    return deepest


_string_content = etree.XPath("string()", smart_strings=False)


def _text_content(el: etree._Element) -> str:
    """All text inside `el` (``lxml.html``'s ``text_content()``)."""
    return _string_content(el)


def _drop_tree(el: etree._Element) -> None:
    """Remove `el` and its subtree, joining its tail text to the previous sibling or the parent
    (``lxml.html``'s ``drop_tree()``)."""
    parent = el.getparent()
    if el.tail:
        previous = el.getprevious()
        if previous is None:
            parent.text = (parent.text or "") + el.tail
        else:
            previous.tail = (previous.tail or "") + el.tail
    parent.remove(el)


def strip_chrome(root: etree._Element) -> None:
    """Stage 3: remove elements that are never report content (keeping their tail text)."""
    for el in list(root.iter(*CHROME_TAGS)):
        if el.getparent() is not None:
            _drop_tree(el)
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        if el.getparent() is not None:
            _drop_tree(el)


_LABEL_JUNK = re.compile(r"[\s\xa0\u3000:：]")
_PAIR_SPLIT = re.compile(r"\s+(?=[^\s：:]{2,8}\s*[：:])")


def _label(text: str) -> str:
    return _LABEL_JUNK.sub("", text)


_META_BLOCK_TAGS = frozenset(["li", "div", "p", "span", "dd", "td"])


def _outside(root: etree._Element, body: etree._Element) -> list[etree._Element]:
    """The elements of `root` outside `body`'s subtree, in document order (as ``root.iter()`` gives
    them). The walk never enters `body`, which holds most of the page."""
    out: list[etree._Element] = []
    stack = [root]
    while stack:
        el = stack.pop()
        if el is body:
            continue
        out.append(el)
        stack.extend(reversed([c for c in el if isinstance(c.tag, str)]))
    return out


def extract_meta(root: etree._Element, body: etree._Element) -> dict[str, str]:
    """Stage 4: title, ``<meta name>`` values and the portal's label–value block outside `body`."""
    meta: dict[str, str] = {}
    title = root.find(".//title")
    if title is not None and clean_line(_text_content(title)):
        meta["title"] = clean_line(_text_content(title))
    for m in root.iter("meta"):
        name = (m.get("name") or "").strip()
        content = clean_line(m.get("content") or "")
        if name and content and name.lower() not in META_NAMES_SKIP:
            meta.setdefault(name, content)
    outside = _outside(root, body)
    # label–value in table rows: 索引号 | 014314799/2024-00002 | 分类 | ...
    for tr in outside:
        if tr.tag != "tr":
            continue
        cells = [c for c in tr if c.tag in ("td", "th")]
        for i, cell in enumerate(cells):
            label = _label(_text_content(cell))
            if label in META_LABELS and i + 1 < len(cells):
                value = clean_line(_text_content(cells[i + 1]))
                if value and _label(value) not in META_LABELS:
                    meta.setdefault(label, value)
            else:
                _meta_from_line(_text_content(cell), META_LABELS, meta)
    # label：value in list items / divs / spans: <li><b>发布机构：</b>某某局</li>
    for el in outside:
        if el.tag not in _META_BLOCK_TAGS or any(len(child) and child.tag in BLOCK_TAGS for child in el):
            continue
        _meta_from_line(_text_content(el), META_LABELS, meta)
    return meta


def _meta_from_line(text: str, labels: frozenset[str], meta: dict[str, str]) -> None:
    text = clean_line(text)
    if len(text) > 120:
        return
    # a line may hold several pairs: "发布机构：某局  发布日期：2024-01-17"
    parts = _PAIR_SPLIT.split(text)
    for part in parts:
        m = _COLON_RE.match(part)
        if m and _label(m.group(1)) in labels and clean_line(m.group(2)):
            meta.setdefault(_label(m.group(1)), clean_line(m.group(2)))


def _text_len(el: etree._Element) -> int:
    return sum(map(len, map(str.strip, _TEXT_NODES(el))))


def find_body(root: etree._Element) -> etree._Element:
    """Stage 5: the CMS report container, or ``<body>`` (see the module docstring for the rule)."""
    body = root.find("body")
    if body is None:
        body = root
    candidates: list[etree._Element] = []
    # document order; only elements with an id or a class (or a candidate tag) can qualify. A plain
    # `iter()` with two attribute reads measured faster than an XPath selecting them inside libxml2
    # (``descendant-or-self::*[@id or @class or self::ucapcontent]``; find_body 0.67 → 0.60 ms a page on
    # the bench's HTML: Word pages put class="MsoNormal" on every paragraph, so few elements are skipped)
    for el in body.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        cls, id_ = el.get("class"), el.get("id")
        if cls is None and id_ is None and tag not in BODY_TAGS:
            continue
        if tag in BODY_TAGS or id_ in BODY_IDS or not _BODY_CLASS_SET.isdisjoint((cls or "").split()):
            candidates.append(el)
    scored = [(el, _text_len(el)) for el in candidates]
    scored = [(el, n) for el, n in scored if n >= BODY_MIN_CHARS]
    if not scored:
        return body
    best = max(n for _, n in scored)
    if best < BODY_MIN_SHARE_OF_PAGE * _text_len(body):
        return body  # the richest "container" is a sidebar box; the report is elsewhere on the page
    good = [(el, n) for el, n in scored if n >= BODY_SHARE * best]
    return min(good, key=lambda pair: (pair[1], -len(list(pair[0].iterancestors()))))[0]


def _is_layout_table(table: etree._Element) -> bool:
    return next(table.iterdescendants("table"), None) is not None


def _rows_of(table: etree._Element) -> Iterator[etree._Element]:
    for child in table:
        if child.tag == "tr":
            yield child
        elif child.tag in ("thead", "tbody", "tfoot"):
            yield from (tr for tr in child if tr.tag == "tr")


def _span_attr(value: str | None) -> int:
    if value is None:
        return 1
    if value.isdecimal():  # the usual "2": what the regex below would read, without it
        return int(value)
    m = re.match(r"\s*(\d+)", value or "")
    return int(m.group(1)) if m else 1


def _cell_walk(el: etree._Element, tag: str, parts: list[str]) -> None:
    # `tag`, `.text` and `.tail` are read once each: every read of them builds a new Python string
    block = tag in BLOCK_TAGS
    if tag == "br":
        parts.append("\n")
    else:
        if block:
            parts.append("\n")
        text = el.text
        if text:
            parts.append(text)
    _walk_children(el, parts)
    if block:
        parts.append("\n")


def _walk_children(el: etree._Element, parts: list[str]) -> None:
    """Each child element's text (comments and processing instructions skipped), then its tail."""
    for child in el:
        tag = child.tag
        if isinstance(tag, str):
            _cell_walk(child, tag, parts)
        tail = child.tail
        if tail:
            parts.append(tail)


def cell_text(cell: etree._Element) -> str:
    """A cell's text with ``<br>`` and block children as line breaks, ``&nbsp;`` and gaps cleaned."""
    text = cell.text
    if not len(cell):  # no child at all (about half the cells): its own text is all there is
        if not text:
            return ""
        text = text.replace("\r", "")
        # one line: what `clean_lines` returns for it, without its split and join
        return clean_line(text) if "\n" not in text else clean_lines(text)
    parts: list[str] = []
    if text:
        parts.append(text)
    _walk_children(cell, parts)
    return clean_lines("".join(parts).replace("\r", ""))


def _cell_paths(tree: etree._ElementTree, tr: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    """The ``td``/``th`` children of `tr` with the path ``tree.getpath(td)`` would give.

    Built from the row's own path instead of one `getpath` per cell (libxml2 walks to the root for each):
    a step is the tag name, with its 1-based position among same-named siblings only when there are
    several (libxml2's ``xmlGetNodePath`` rule)."""
    base = tree.getpath(tr)
    children = [(c, tag) for c in tr if isinstance(tag := c.tag, str)]  # each tag read once
    total: dict[str, int] = {}
    for _, tag in children:
        total[tag] = total.get(tag, 0) + 1
    seen: dict[str, int] = {}
    for c, tag in children:
        seen[tag] = n = seen.get(tag, 0) + 1
        if tag == "td" or tag == "th":
            yield c, f"{base}/{tag}[{n}]" if total[tag] > 1 else f"{base}/{tag}"


def table_to_grid(table: etree._Element, index: int, warnings: list[str]) -> Table:
    """A data ``<table>`` → expanded `Table` with each cell's lxml path as its source."""
    tree = table.getroottree()
    rows: list[list[RawCell]] = []
    for tr in _rows_of(table):
        rows.append([
            RawCell(cell_text(td), {"path": path}, _span_attr(td.get("rowspan")),
                    _span_attr(td.get("colspan")))
            for td, path in _cell_paths(tree, tr)
        ])  # fmt: skip
    return build_grid(rows, {"table_idx": index, "path": tree.getpath(table)}, warnings)


def body_to_blocks(body: etree._Element, warnings: list[str]) -> list[Block]:
    """Stage 6: walk the body in document order into paragraphs and tables."""
    tree = body.getroottree()
    blocks: list[Block] = []
    buf: list[str] = []
    owner: list[etree._Element] = [body]
    n_tables = 0

    def flush() -> None:
        text = clean_lines("".join(buf))
        buf.clear()
        if text:
            path = tree.getpath(owner[-1])  # one owner for all the lines of this flush
            for line in text.split("\n"):
                blocks.append(Paragraph(line, {"path": path}))

    def walk(el: etree._Element, tag: str) -> None:
        nonlocal n_tables
        if tag == "table" and not _is_layout_table(el):
            flush()
            t = table_to_grid(el, n_tables, warnings)
            if t.n_rows:
                blocks.append(t)
                n_tables += 1
            return
        is_block = tag in BLOCK_TAGS or tag in ("table", "td", "th")
        if tag == "br":
            buf.append("\n")
        if is_block:
            flush()
            owner.append(el)
        if tag != "br":
            text = el.text  # `.text`, `.tail` and `.tag` read once: each read builds a new string
            if text:
                buf.append(text)
        for child in el:
            child_tag = child.tag
            if isinstance(child_tag, str):
                walk(child, child_tag)
            tail = child.tail
            if tail:
                buf.append(tail)
        if is_block:
            flush()
            owner.pop()

    walk(body, body.tag)
    flush()
    return blocks


def _is_content_image(img: etree._Element) -> bool:
    src = img.get("src") or img.get("data-src") or ""
    if not src or IMAGE_SKIP_RE.search(src.rsplit("/", 1)[-1]):
        return False
    for attr in ("width", "height"):
        m = re.match(r"\s*(\d+)", img.get(attr) or "")
        if m and int(m.group(1)) < IMAGE_MIN_SIDE_PX:
            return False
    return True


def count_image_tables(body: etree._Element, blocks: list[Block]) -> int:
    """Stage 7: the number of content images standing in for the report's tables (0 if tables exist)."""
    # counted only up to the bound: a page with real tables stops after its first few numeric cells
    numeric = 0
    for b in blocks:
        if isinstance(b, Table):
            for row in b.rows:
                for c in row:
                    if c.span_of is None and len(c.text) <= 20 and _DIGIT_RE.search(c.text):
                        numeric += 1
                        if numeric >= IMAGE_TABLE_MAX_NUMERIC_CELLS:
                            return 0
    return sum(1 for img in body.iter("img") if _is_content_image(img))


def read(
    data: bytes,
    *,
    url: str | None = None,
    content_type: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    resources: Mapping[str, bytes] | None = None,
) -> Document:
    """Read an HTML page into a `Document` (stages in the module docstring).

    `url` is never fetched; it only resolves ``<img src>`` against `resources`. `content_type` supplies
    the HTTP charset, checked against the bytes. `resources` (URL → bytes of embedded files, from the
    archive) lets table pictures be OCR'd in place (`parsers.ocr.html_images`); without it they are
    only counted in ``Document.image_tables``.
    """
    limits.check_input_size(data, "html")
    deadline = limits.deadline("html")
    warnings: list[str] = []
    text = decode_html(data, content_type, warnings)
    if not text.strip():
        raise UnreadableInput("html", "the file is empty")
    root = parse_tree(text, limits)
    deadline.check("parse")
    strip_chrome(root)
    body = find_body(root)
    meta = extract_meta(root, body)
    blocks = body_to_blocks(body, warnings)
    deadline.check("tables")
    for p in [b for b in blocks if isinstance(b, Paragraph)][:6]:
        _meta_from_line(p.text, BODY_META_LABELS, meta)
    doc = Document(kind="html", blocks=blocks, meta=meta, warnings=warnings)
    doc.image_tables = count_image_tables(body, blocks)
    if doc.image_tables and resources:  # stage 8: table pictures whose bytes we were given → OCR
        from parsers.ocr.html_images import ocr_html_images

        doc.blocks, doc.image_tables, ocr_warnings = ocr_html_images(
            body, blocks, url=url, resources=resources, is_content_image=_is_content_image
        )
        doc.warnings.extend(ocr_warnings)
    if doc.image_tables:
        doc.warnings.append(f"{doc.image_tables} content image(s) where the report's tables should be")
    return doc
