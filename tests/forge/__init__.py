"""The report forge: known report data rendered into every layout and carrier real portals produce.

Why: the parser is judged on reports nobody has transcribed. The forge draws consistent data
(`tests.forge.data.make_report`), lays it out (`tests.forge.layout`) and prints it as HTML, DOCX, PDF
or text (`render_*`), so for every (seed, variant) the ground truth is exactly the input. The end-to-end
tests (`tests/test_forge_parse.py`) and the replica portals both build on `forge()`.

    >>> from tests.forge import forge, VARIANTS_BY_NAME
    >>> r = forge(7, VARIANTS_BY_NAME["html_word_zoom"])
    >>> r.content_type
    'text/html; charset=utf-8'
    >>> value, flag = r.data.expected("review.total")  # what a correct parser must report

`VARIANTS` lists the named (renderer, layout, options, data knobs) combinations; `INCONSISTENT_VARIANTS`
the ones whose source breaks a §7 rule on purpose. Everything is a pure function of (seed, variant).
"""

from __future__ import annotations

import hashlib
import random
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.forge.data import INCONSISTENCIES, ReportData, make_report
from tests.forge.layout import Layout
from tests.forge.render_damaged import render_damaged
from tests.forge.render_docx import render_docx
from tests.forge.render_html import render_html
from tests.forge.render_legacy import render_legacy_prose, render_legacy_table
from tests.forge.render_pdf import render_pdf
from tests.forge.render_text import render_text

__all__ = [
    "IMAGE_VARIANTS",
    "INCONSISTENT_VARIANTS",
    "LEGACY_VARIANTS",
    "SPLIT_DIGIT_VARIANTS",
    "VARIANTS",
    "VARIANTS_BY_NAME",
    "ForgedReport",
    "Variant",
    "forge",
    "forged_digest",
]

Renderer = Callable[..., tuple[bytes, str, str]]
RENDERERS: dict[str, Renderer] = {
    "html": render_html,
    "text": render_text,
    "docx": render_docx,
    "pdf": render_pdf,
    "legacy_table": render_legacy_table,
    "legacy_prose": render_legacy_prose,
    "damaged": lambda data, layout, **kw: render_damaged(data, layout, **kw)[:3],
}
#: the carrier each renderer produces (the end-to-end gate keeps one floor per carrier)
CARRIERS = {
    "html": "html",
    "text": "text",
    "docx": "docx",
    "pdf": "pdf",
    "legacy_table": "html",
    "legacy_prose": "html",
    "damaged": "text",
}


@dataclass(frozen=True, slots=True)
class Variant:
    """A named way to print a report.

    renderer: a key of `RENDERERS`; layout: table shapes; options: renderer keywords (style, chrome,
    encoding, engine); data: `make_report` knobs. ``data["format_version"] == "modern"`` (the default)
    draws gov2021 or gov2019 from the seed (3:1), so layout variants are exercised on both table eras.
    """

    name: str
    renderer: str
    layout: Layout = field(default_factory=Layout)
    options: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def carrier(self) -> str:
        return CARRIERS[self.renderer]


@dataclass(frozen=True, slots=True)
class ForgedReport:
    """One forged file and the data it was made from."""

    seed: int
    variant: Variant
    data: ReportData
    content: bytes
    content_type: str
    filename: str
    url: str


def _v(
    name: str, renderer: str, layout: Layout | None = None, data: dict | None = None, **options: Any
) -> Variant:
    return Variant(name, renderer, layout or Layout(), dict(options), dict(data or {}))


L = Layout
VARIANTS: list[Variant] = [
    # --- HTML: Word-exported bodies inside portal chrome
    _v("html_word_zoom", "html", style="word", chrome="zoom"),
    _v("html_word_trs_linebreaks", "html", L(linebreaks=True), style="word", chrome="trs"),
    _v("html_word_two_line_title", "html", L(title_lines="two"), style="word", chrome="article"),
    _v("html_cms_article", "html", style="cms", chrome="article"),
    _v("html_cms_bare", "html", style="cms", chrome="bare"),
    _v("html_t2_split", "html", L(t2="split"), style="cms", chrome="zoom"),
    _v("html_t2_split_titles", "html", L(t2="split_titles"), style="word", chrome="zoom"),
    _v("html_t3_page_break", "html", L(t3_split="bare"), style="word", chrome="trs"),
    _v("html_t3_page_break_header", "html", L(t3_split="header", t3_result="repeated"), style="cms"),
    _v("html_t2_flat", "html", L(t2="flat"), style="cms", chrome="trs"),
    _v("html_t2_shifted", "html", L(t2="shifted"), style="word", chrome="zoom"),
    _v("html_t4_transposed", "html", L(t4="transposed"), style="cms", chrome="zoom"),
    _v("html_t4_split", "html", L(t4="split"), style="word", chrome="trs"),
    _v("html_t4_transposed_split", "html", L(t4="transposed_split"), style="cms", chrome="article"),
    _v("html_annotated", "html", L(annotated=True), style="word", chrome="zoom"),
    _v(
        "html_t3_repeated_labels",
        "html",
        L(t3_result="repeated", t3_groups="repeated"),
        style="cms",
        chrome="zoom",
    ),
    _v(
        "html_t3_repeated_header",
        "html",
        L(t3_result="repeated", t3_groups="repeated", t3_repeat_header=True),
        style="cms",
        chrome="trs",
    ),
    _v("html_t3_no_corner", "html", L(t3_corner="none"), style="word", chrome="zoom"),
    _v("html_t3_corner_paragraph", "html", L(t3_corner="paragraph"), style="cms", chrome="article"),
    _v("html_blanks_sprinkle", "html", data={"blanks": "sprinkle"}, style="word", chrome="zoom"),
    _v("html_blanks_org_columns", "html", data={"blanks": "org_columns"}, style="word", chrome="trs"),
    _v("html_word_runs", "html", style="word_runs", chrome="zoom"),
    _v("html_wild_numbers", "html", data={"wild": True}, style="word", chrome="trs"),
    _v("html_label_variants", "html", L(label_variants=True), style="cms", chrome="zoom"),
    _v("html_t3_subtotal_col", "html", L(t3_subtotal_col=True), style="word", chrome="article"),
    _v("html_title_no_year", "html", data={"title_year": False}, style="cms", chrome="zoom"),
    _v("html_gbk", "html", style="word", chrome="zoom", encoding="gbk"),
    _v("html_gbk_lying_charset", "html", style="word", chrome="trs", encoding="gbk_lying"),
    _v("html_gbk_lying_header", "html", style="cms", chrome="zoom", encoding="gbk_lying_header"),
    _v("html_gbk_missing_charset", "html", style="cms", chrome="article", encoding="gbk_missing"),
    _v("html_gov2019", "html", data={"format_version": "gov2019"}, style="word", chrome="zoom"),
    _v(
        "html_gov2021_undivided_other",
        "html",
        data={"format_version": "gov2021", "undivided_other": True},
        style="word",
    ),
    _v("html_legacy_2014", "html", data={"format_version": "legacy_2014"}, style="word", chrome="zoom"),
    _v(
        "html_legacy_2014_serial",
        "html",
        L(legacy_serial=True),
        data={"format_version": "legacy_2014"},
        style="cms",
    ),
    _v(
        "html_everything",
        "html",
        L(
            t2="split",
            t3_result="repeated",
            t3_groups="repeated",
            t4="transposed_split",
            linebreaks=True,
            annotated=True,
        ),
        data={"blanks": "sprinkle"},
        style="word",
        chrome="trs",
        encoding="gbk_lying",
    ),
    # --- text extractions
    _v("text_seed", "text", style="seed"),
    _v("text_seed_linebreaks", "text", L(linebreaks=True, title_lines="two"), style="seed"),
    _v("text_seed_artefacts", "text", style="seed", artefacts=True),
    _v("text_seed_blanks", "text", data={"blanks": "sprinkle"}, style="seed"),
    _v("text_seed_t4_transposed", "text", L(t4="transposed"), style="seed"),
    _v("text_seed_wild_labels", "text", L(label_variants=True), data={"wild": True}, style="seed"),
    _v("text_pipe", "text", style="pipe"),
    _v("text_markdown", "text", style="markdown"),
    _v("text_seed_legacy_2014", "text", data={"format_version": "legacy_2014"}, style="seed"),
    # --- Word documents
    _v("docx_default", "docx"),
    _v("docx_linebreaks", "docx", L(linebreaks=True, title_lines="two")),
    _v("docx_t4_transposed_split", "docx", L(t4="transposed_split", t2="split")),
    _v("docx_t3_repeated_labels", "docx", L(t3_result="repeated", t3_groups="repeated")),
    _v("docx_gov2019", "docx", data={"format_version": "gov2019"}),
    _v("docx_t3_page_break", "docx", L(t3_split="header", t2="split_titles")),
    _v("docx_legacy_2014", "docx", data={"format_version": "legacy_2014"}),
    _v(
        "docx_wild_labels_subtotal", "docx", L(label_variants=True, t3_subtotal_col=True), data={"wild": True}
    ),
    # --- PDFs
    _v("pdf_soffice", "pdf", engine="soffice"),
    _v("pdf_soffice_linebreaks", "pdf", L(linebreaks=True), engine="soffice"),
    _v("pdf_reportlab", "pdf", engine="reportlab"),
    _v("pdf_reportlab_t4_transposed", "pdf", L(t4="transposed"), engine="reportlab"),
    _v(
        "pdf_reportlab_a5_page_breaks",
        "pdf",
        L(t3_result="repeated", t3_groups="repeated", linebreaks=True),
        engine="reportlab",
        page="A5",
    ),
    _v("pdf_soffice_wild_labels", "pdf", L(label_variants=True), data={"wild": True}, engine="soffice"),
]

#: tables as screenshots (format-spec §9.1 "Images"): a parser must report no numbers, never zeros
IMAGE_VARIANTS: list[Variant] = [
    _v("html_tables_as_images", "html", L(tables_as_images=True), style="word", chrome="zoom"),
    _v("text_tables_as_images", "text", L(tables_as_images=True), style="seed"),
]

#: the source breaks a format-spec §7 rule on purpose (see `tests.forge.data.INCONSISTENCIES`)
INCONSISTENT_VARIANTS: list[Variant] = [
    _v(f"{base}_{kind}", renderer, data={"format_version": "gov2021", "inconsistent": kind}, **opts)
    for kind in INCONSISTENCIES
    for base, renderer, opts in (
        ("html_word", "html", {"style": "word", "chrome": "zoom"}),
        ("text_seed", "text", {"style": "seed"}),
    )
]

VARIANTS_BY_NAME: dict[str, Variant] = {v.name: v for v in VARIANTS + INCONSISTENT_VARIANTS + IMAGE_VARIANTS}
if len(VARIANTS_BY_NAME) != len(VARIANTS) + len(INCONSISTENT_VARIANTS) + len(
    IMAGE_VARIANTS
):  # pragma: no cover - forge bug
    raise AssertionError("duplicate variant names in tests.forge.VARIANTS")


#: pre-2019 shapes (tests/forge/render_legacy.py): provincial 统计表 variants and legacy_2008 prose
LEGACY_VARIANTS: list[Variant] = [
    *(
        _v(f"html_legacy_{shape}", "legacy_table", data={"format_version": "legacy_2014"}, shape=shape)
        for shape in ("split3", "split_total", "dingxi")
    ),
    _v("html_legacy_2008_prose", "legacy_prose", data={"format_version": "legacy_2014", "stat_year": 2011}),
    _v(
        "text_legacy_2008_prose",
        "legacy_prose",
        data={"format_version": "legacy_2014", "stat_year": 2009},
        style="text",
    ),
]

#: one table 三 row whose digits a text layer split or glued (tests/forge/render_damaged.py)
SPLIT_DIGIT_VARIANTS: list[Variant] = [
    _v(f"{style}_{damage}", "damaged", data={"format_version": "modern", "blanks": "none"}, damage=damage,
       style=style)
    for damage, styles in (
        ("glue_blanks", ("seed", "pipe")),
        ("split", ("seed", "pipe")),
        ("glue_span", ("html",)),
    )
    for style in styles
]
VARIANTS_BY_NAME.update({v.name: v for v in LEGACY_VARIANTS + SPLIT_DIGIT_VARIANTS})


def data_seed(seed: int, variant: Variant) -> int:
    """The `make_report` seed of (seed, variant): the variant name is mixed in so that every variant
    sees different reports (a gate over N variants × k seeds covers N·k distinct data sets)."""
    return seed * 1000 + zlib.crc32(variant.name.encode()) % 1000


def report_data(seed: int, variant: Variant) -> ReportData:
    """The data `forge(seed, variant)` renders (cheap: no rendering)."""
    s = data_seed(seed, variant)
    knobs = dict(variant.data)
    if knobs.get("format_version", "modern") == "modern":
        knobs["format_version"] = random.Random(s * 7919 + 1).choice(
            ("gov2021", "gov2021", "gov2021", "gov2019")
        )
    return make_report(s, **knobs)


def _url(data: ReportData, filename: str) -> str:
    ext = filename.rsplit(".", 1)[1]
    pub = data.published_date
    host = f"www.forge{data.seed % 37:02d}.gov.cn"
    return f"http://{host}/zwgk/zfxxgknb/{pub:%Y%m}/t{pub:%Y%m%d}_{data.seed}.{ext}"


def forge(seed: int, variant: Variant | str) -> ForgedReport:
    """Forge one report: `seed` picks the data, `variant` (or its name) the layout and carrier."""
    if isinstance(variant, str):
        try:
            variant = VARIANTS_BY_NAME[variant]
        except KeyError:
            raise ValueError(f"unknown forge variant {variant!r}; see tests.forge.VARIANTS_BY_NAME") from None
    data = report_data(seed, variant)
    content, content_type, filename = RENDERERS[variant.renderer](data, variant.layout, **variant.options)
    return ForgedReport(seed, variant, data, content, content_type, filename, _url(data, filename))


def forged_digest(pairs: Iterable[tuple[int, Variant]]) -> str:
    """sha256 over the forged bytes of (seed, variant) pairs, so a silent change to the forge shows.

    PDFs embed dates and ids, so they enter the digest through the DOCX (soffice) or the layout data
    they are drawn from, not their own bytes.
    """
    h = hashlib.sha256()
    for seed, v in pairs:
        h.update(f"{seed}:{v.name}\n".encode())
        if v.renderer == "pdf":
            data = report_data(seed, v)
            h.update(
                render_docx(data, v.layout)[0]
                if v.options.get("engine") == "soffice"
                else repr(data).encode()
            )
        else:
            h.update(forge(seed, v).content)
    return h.hexdigest()
