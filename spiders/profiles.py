"""Portal profiles: one YAML file per portal, loaded into frozen, validated dataclasses.

A profile is *data*: which host, which CMS family, where the 年报 list starts, how rows and pages look,
which titles are reports, where the body and attachments sit, and how politely to fetch. The generic
spider (`spiders/portal.py`) and the family adapters (`spiders/cms/`) read it; nothing else about a
portal lives in code. The format follows portals.md §14.

Validation happens once, at load time, so a typo in a profile fails with a message naming the file,
the field, what is wrong and the allowed values (`ProfileError`) instead of surfacing as a silent
miss during a crawl.

Placeholders: replica profiles (tests) point at servers whose port is only known at runtime. URL and
host fields may contain ``{base}`` (scheme://host:port of the portal) and ``{host}`` (host:port), or
named variants ``{base:oss}`` / ``{host:oss}`` for a second server (off-host attachment storage);
`PortalProfile.bind()` fills them. ``{year}`` in ``report_urls`` is expanded by the spider, once per
year of ``filter.years``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import yaml

#: Directory of the shipped (real-portal) profiles.
PROFILES_DIR = Path(__file__).with_name("profiles")

CMS_FAMILIES = (
    "hanweb_jcms",
    "hanweb_xxgk",
    "hanweb_jpaas",
    "trs",
    "gkmlpt",
    "nfcms",
    "shanghai",
    "static",
    "custom",
)
LIST_MODES = ("static_html", "jpage_xml", "xxgk_search", "jpaas_unit", "gkmlpt_api", "json")
PAGINATION_KINDS = (
    "none",
    "index_n",
    "index_n_1based",
    "jpage_records",
    "jpage_page",
    "xxgk_currpage",
    "jpaas_paramjson",
    "gkmlpt_page",
)
STOP_CONDITIONS = ("empty_page", "all_seen", "stub_under_bytes", "meta_refresh")
STATUSES = ("verified", "unverified", "blocked", "drifted")
RENDER_MODES = ("off", "on_challenge", "always")
LEVELS = tuple(
    f"{lvl}-{kind}"
    for lvl in ("national", "province", "city", "district", "town")
    for kind in ("gov", "dept")
)
DISCOVERY_KINDS = ("none", "xxgk_tree", "gkmlpt_tree", "dept_directory", "year_tree")

#: Title rules of portals.md §0. Companion pages (解读, 图解, notices about compiling reports) share the
#: column with the reports and must not be mistaken for them.
DEFAULT_TITLE_INCLUDE = r"(政府|政务)?信息公开.{0,6}(年度)?(工作)?(年度)?报告|信息公开年报"
DEFAULT_TITLE_EXCLUDE = (
    r"法治政府建设|政府网站(工作)?年度报表|政务新媒体|关于.*(编制|发布|报送|做好).*(年度报告|年报)"
    r"|关于.*通知|年度报告格式|指南|目录|预算|决算|统计公报|文字解读|图解|解读|一图读懂"
)
DEFAULT_YEAR_REGEX = r"((?:19|20)\d{2})\s*年度?"
DEFAULT_BODY = (
    "#UCAP-CONTENT",
    ".trs_editor_view",
    ".TRS_UEDITOR",
    ".TRS_Editor",
    "#zoom",
    "#Zoom",
    ".Custom_UnionStyle",
    "#ivs_content",
    ".Article_content",
    ".article-content",
    ".article-conter",
    ".artile_zw",
    ".main-txt",
    ".xxgk_content",
    ".detail-content",
    ".news_cont_d_wrap",
    ".editor-content",
    ".art_con",
    "#mainText",
    ".content",
)
DEFAULT_ATTACHMENT_EXTENSIONS = ("pdf", "doc", "docx", "wps", "xls", "xlsx", "et", "ofd", "rtf", "zip", "rar")
DEFAULT_ATTACHMENT_PATTERNS = (
    r"downfile\.jsp",
    r"down\.jsp",
    r"jpaas-web-server/front/document/download",
    r"/attachment/",
)

_PLACEHOLDER = re.compile(r"\{(base|host)(?::(\w+))?\}")


class ProfileError(ValueError):
    """A profile file is malformed: names the file, the field, the problem and the allowed values."""

    def __init__(
        self, source: str, field_name: str, problem: str, allowed: Sequence[str] | str | None = None
    ):
        self.source = source
        self.field = field_name
        self.problem = problem
        self.allowed = allowed
        msg = f"{source}: field {field_name!r}: {problem}"
        if allowed:
            shown = allowed if isinstance(allowed, str) else ", ".join(map(str, allowed))
            msg += f" (allowed: {shown})"
        super().__init__(msg)


# --- the model ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListRule:
    """Where rows sit in a list response and how a row yields link, title and date.

    Selectors are Scrapy CSS (with ``::attr()``/``::text``) evaluated on each row; for modes whose rows
    arrive as fragments (jpage XML, JPaaS JSON, xxgk search) they are applied to the unwrapped HTML.
    ``title`` and ``date`` are tried in order; the first non-empty value wins.
    """

    mode: str = "static_html"
    item: str = "li"
    link: str = "a::attr(href)"
    title: tuple[str, ...] = ("a::attr(title)", "a::text")
    date: tuple[str, ...] = ("span::text", "b::text", "td::text", "dd::text", "em::text", "i::text")
    link_regex: str | None = None
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class PaginationRule:
    """How list pages chain. ``max_pages`` caps runaway pagers; ``stop_when`` names the end signals."""

    kind: str = "none"
    page_size: int | None = None
    max_pages: int = 50
    stop_when: tuple[str, ...] = ("empty_page", "stub_under_bytes", "meta_refresh")
    stub_under_bytes: int = 600


@dataclass(frozen=True)
class FilterRule:
    """Which list rows are reports (title patterns) and which statistical years are wanted."""

    title_include: str = DEFAULT_TITLE_INCLUDE
    title_exclude: str = DEFAULT_TITLE_EXCLUDE
    category_include: str | None = None
    year_regex: str = DEFAULT_YEAR_REGEX
    years: tuple[int, int] | None = None

    @property
    def include_re(self) -> re.Pattern[str]:
        return _compile(self.title_include)

    @property
    def exclude_re(self) -> re.Pattern[str] | None:
        return _compile(self.title_exclude) if self.title_exclude else None

    @property
    def year_re(self) -> re.Pattern[str]:
        return _compile(self.year_regex)


@dataclass(frozen=True)
class DetailRule:
    """Body containers to try (in order, before the house defaults) and meta tags of interest."""

    body: tuple[str, ...] = ()
    meta_table: str = "auto"
    meta_tags: tuple[str, ...] = ("ArticleTitle", "PubDate", "ContentSource")
    validate: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class AttachmentRule:
    """Which links on a detail page are report files, and which hosts may serve them.

    Any ``*.gov.cn`` host and the profile's own host are always allowed; ``allowed_hosts`` adds
    off-host storage such as the Zhejiang OSS bucket.
    """

    extensions: tuple[str, ...] = DEFAULT_ATTACHMENT_EXTENSIONS
    url_patterns: tuple[str, ...] = DEFAULT_ATTACHMENT_PATTERNS
    allowed_hosts: tuple[str, ...] = ()
    fetch_immediately: bool = True


@dataclass(frozen=True)
class FetchRule:
    """Politeness and transport settings for this portal."""

    delay_s: float = 2.0
    concurrency_per_host: int = 1
    obey_robots: bool = True
    render: str = "off"
    encoding: str = "auto"
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class ScheduleRule:
    """How often ``crawl --due`` visits this portal (`crawler.schedule`).

    Reports appear from January (departments, by 31 January) to April (governments by 31 March, plus
    stragglers), so the peak months are visited every few days and the rest of the year rarely —
    enough to notice quiet corrections. Months are counted in China time.
    """

    peak_months: tuple[int, ...] = (1, 2, 3, 4)
    peak_every_days: float = 3.0
    off_every_days: float = 30.0


@dataclass(frozen=True)
class PortalProfile:
    """One portal (or one column of it) to crawl for annual reports. Built by `load_profile`."""

    id: str
    agency: str
    host: str
    cms: str
    start_urls: tuple[str, ...]
    status: str
    level: str | None = None
    agency_key: str | None = None
    schemes: tuple[str, ...] = ("https", "http")
    report_urls: tuple[str, ...] = ()
    list: ListRule = field(default_factory=ListRule)
    pagination: PaginationRule = field(default_factory=PaginationRule)
    filter: FilterRule = field(default_factory=FilterRule)
    detail: DetailRule = field(default_factory=DetailRule)
    attachments: AttachmentRule = field(default_factory=AttachmentRule)
    fetch: FetchRule = field(default_factory=FetchRule)
    schedule: ScheduleRule = field(default_factory=ScheduleRule)
    discovery: str = "none"
    status_date: str | None = None
    notes: str = ""
    source: str = ""

    def bind(self, base: str, **named: str) -> PortalProfile:
        """Fill ``{base}``/``{host}`` (and ``{base:<name>}``/``{host:<name>}``) placeholders.

        Used for replica portals whose port is chosen at runtime::

            profile.bind("http://127.0.0.1:40123", oss="http://127.0.0.1:40124")
        """
        bases = {None: base.rstrip("/"), **{k: v.rstrip("/") for k, v in named.items()}}

        def sub(text: str) -> str:
            def repl(m: re.Match[str]) -> str:
                name = m.group(2)
                if name not in bases:
                    known = [f"{{base:{k}}}" for k in bases if k]
                    raise ProfileError(
                        self.source or self.id, "placeholder", f"no base given for {m.group(0)}", known
                    )
                url = bases[name]
                return url if m.group(1) == "base" else urlsplit(url).netloc

            return _PLACEHOLDER.sub(repl, text)

        return dataclasses.replace(
            self,
            host=sub(self.host),
            start_urls=tuple(sub(u) for u in self.start_urls),
            report_urls=tuple(sub(u) for u in self.report_urls),
            attachments=dataclasses.replace(
                self.attachments, allowed_hosts=tuple(sub(h) for h in self.attachments.allowed_hosts)
            ),
        )

    @property
    def is_bound(self) -> bool:
        """False while any ``{base}``-style placeholder is unfilled."""
        texts = (self.host, *self.start_urls, *self.report_urls, *self.attachments.allowed_hosts)
        return not any(_PLACEHOLDER.search(t) for t in texts)


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


# --- validation -----------------------------------------------------------------------------------


class _Fields:
    """Reads one mapping section, checking types and refusing unknown keys (typos fail loudly)."""

    def __init__(self, data: Any, source: str, prefix: str, known: Sequence[str]):
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ProfileError(source, prefix or "<root>", f"must be a mapping, got {type(data).__name__}")
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ProfileError(source, _join(prefix, unknown[0]), "unknown field", sorted(known))
        self.data, self.source, self.prefix = data, source, prefix

    def name(self, key: str) -> str:
        return _join(self.prefix, key)

    def error(self, key: str, problem: str, allowed: Sequence[str] | str | None = None) -> ProfileError:
        return ProfileError(self.source, self.name(key), problem, allowed)

    def has(self, key: str) -> bool:
        return key in self.data and self.data[key] is not None

    def str(
        self,
        key: str,
        default: str | None = None,
        *,
        required: bool = False,
        choices: Sequence[str] | None = None,
    ) -> str | None:
        if not self.has(key):
            if required:
                raise self.error(key, "is required", choices)
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(key, f"must be a string, got {type(value).__name__}", choices)
        value = str(value).strip()
        if required and not value:
            raise self.error(key, "must not be empty", choices)
        if choices is not None and value not in choices:
            raise self.error(key, f"{value!r} is not a known value", choices)
        return value

    def strs(
        self,
        key: str,
        default: Sequence[str] = (),
        *,
        required: bool = False,
        choices: Sequence[str] | None = None,
    ) -> tuple[str, ...]:
        if not self.has(key):
            if required:
                raise self.error(key, "is required (a list of strings)")
            return tuple(default)
        value = self.data[key]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            raise self.error(key, "must be a list of strings")
        out = tuple(str(v).strip() for v in value)
        if required and not out:
            raise self.error(key, "must list at least one value")
        for v in out:
            if choices is not None and v not in choices:
                raise self.error(key, f"{v!r} is not a known value", choices)
        return out

    def int(self, key: str, default: int | None, *, minimum: int = 0) -> int | None:
        if not self.has(key):
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be an integer, got {value!r}")
        if value < minimum:
            raise self.error(key, f"must be >= {minimum}, got {value}")
        return value

    def float(self, key: str, default: float) -> float:
        if not self.has(key):
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise self.error(key, f"must be a non-negative number, got {value!r}")
        return float(value)

    def bool(self, key: str, default: bool) -> bool:
        if not self.has(key):
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {value!r}")
        return value

    def regex(self, key: str, default: str | None) -> str | None:
        value = self.str(key, default)
        if value:
            try:
                re.compile(value)
            except re.error as exc:
                raise self.error(key, f"is not a valid regular expression: {exc}") from exc
        return value

    def mapping(self, key: str) -> Mapping[str, Any]:
        if not self.has(key):
            return MappingProxyType({})
        value = self.data[key]
        if not isinstance(value, Mapping):
            raise self.error(key, f"must be a mapping, got {type(value).__name__}")
        return MappingProxyType(dict(value))


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _check_url(f: _Fields, key: str, url: str) -> None:
    probe = _PLACEHOLDER.sub("http://127.0.0.1:1", url) if url.startswith("{") else url
    probe = probe.replace("{year}", "2024")
    parts = urlsplit(probe)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise f.error(key, f"{url!r} is not an absolute http(s) URL (or one starting with {{base}})")


def _parse_list(data: Any, source: str) -> ListRule:
    f = _Fields(data, source, "list", [x.name for x in dataclasses.fields(ListRule)])
    d = ListRule()
    return ListRule(
        mode=f.str("mode", d.mode, choices=LIST_MODES),
        item=f.str("item", d.item),
        link=f.str("link", d.link),
        title=f.strs("title", d.title),
        date=f.strs("date", d.date),
        link_regex=f.regex("link_regex", None),
        params=f.mapping("params"),
    )


def _parse_pagination(data: Any, source: str) -> PaginationRule:
    f = _Fields(data, source, "pagination", [x.name for x in dataclasses.fields(PaginationRule)])
    d = PaginationRule()
    stop: list[str] = []
    stub = d.stub_under_bytes
    raw_stop = f.data.get("stop_when", list(d.stop_when))
    if not isinstance(raw_stop, list):
        raise f.error("stop_when", "must be a list", STOP_CONDITIONS)
    for entry in raw_stop:
        if isinstance(entry, Mapping):  # YAML `- stub_under_bytes: 600`
            for k, v in entry.items():
                if k != "stub_under_bytes" or isinstance(v, bool) or not isinstance(v, int):
                    raise f.error("stop_when", f"{k}: {v!r} is not a known condition", STOP_CONDITIONS)
                stub, entry = v, k
        if entry not in STOP_CONDITIONS:
            raise f.error("stop_when", f"{entry!r} is not a known condition", STOP_CONDITIONS)
        stop.append(entry)
    return PaginationRule(
        kind=f.str("kind", d.kind, choices=PAGINATION_KINDS),
        page_size=f.int("page_size", None, minimum=1),
        max_pages=f.int("max_pages", d.max_pages, minimum=1),
        stop_when=tuple(stop),
        stub_under_bytes=f.int("stub_under_bytes", stub, minimum=0),
    )


def _parse_filter(data: Any, source: str) -> FilterRule:
    f = _Fields(data, source, "filter", [x.name for x in dataclasses.fields(FilterRule)])
    years = None
    if f.has("years"):
        raw = f.data["years"]
        if (
            not isinstance(raw, list)
            or len(raw) != 2
            or not all(isinstance(y, int) and 1990 <= y <= 2100 for y in raw)
            or raw[0] > raw[1]
        ):
            raise f.error("years", f"must be [first, last] with 1990 <= first <= last <= 2100, got {raw!r}")
        years = (raw[0], raw[1])
    year_regex = f.regex("year_regex", DEFAULT_YEAR_REGEX)
    if re.compile(year_regex).groups < 1:
        raise f.error("year_regex", "needs one capturing group around the four-digit year")
    return FilterRule(
        title_include=f.regex("title_include", DEFAULT_TITLE_INCLUDE),
        title_exclude=f.regex("title_exclude", DEFAULT_TITLE_EXCLUDE) or "",
        category_include=f.regex("category_include", None),
        year_regex=year_regex,
        years=years,
    )


def _parse_detail(data: Any, source: str) -> DetailRule:
    f = _Fields(data, source, "detail", [x.name for x in dataclasses.fields(DetailRule)])
    d = DetailRule()
    return DetailRule(
        body=f.strs("body", ()),
        meta_table=f.str("meta_table", d.meta_table),
        meta_tags=f.strs("meta_tags", d.meta_tags),
        validate=f.mapping("validate"),
    )


def _parse_attachments(data: Any, source: str) -> AttachmentRule:
    f = _Fields(data, source, "attachments", [x.name for x in dataclasses.fields(AttachmentRule)])
    exts = tuple(e.lower().lstrip(".") for e in f.strs("extensions", DEFAULT_ATTACHMENT_EXTENSIONS))
    patterns = f.strs("url_patterns", DEFAULT_ATTACHMENT_PATTERNS)
    for p in patterns:
        try:
            re.compile(p)
        except re.error as exc:
            raise f.error("url_patterns", f"{p!r} is not a valid regular expression: {exc}") from exc
    hosts = f.strs("allowed_hosts", ())
    for h in hosts:
        if "/" in h or " " in h:
            raise f.error("allowed_hosts", f"{h!r} must be a bare host[:port] (or {{host}}), not a URL")
    return AttachmentRule(
        extensions=exts,
        url_patterns=patterns,
        allowed_hosts=hosts,
        fetch_immediately=f.bool("fetch_immediately", True),
    )


def _parse_fetch(data: Any, source: str) -> FetchRule:
    f = _Fields(data, source, "fetch", [x.name for x in dataclasses.fields(FetchRule)])
    d = FetchRule()
    encoding = f.str("encoding", d.encoding)
    if encoding != "auto":
        import codecs

        try:
            codecs.lookup(encoding)
        except LookupError as exc:
            raise f.error(
                "encoding",
                f"{encoding!r} is not a codec Python knows",
                "auto, utf-8, gb18030, gbk, big5, ...",
            ) from exc
    headers = f.mapping("headers")
    if f.data.get("render") is False:  # YAML 1.1 reads a bare `off` as false
        f.data = {**f.data, "render": "off"}
    return FetchRule(
        delay_s=f.float("delay_s", d.delay_s),
        concurrency_per_host=f.int("concurrency_per_host", d.concurrency_per_host, minimum=1),
        obey_robots=f.bool("obey_robots", d.obey_robots),
        render=f.str("render", d.render, choices=RENDER_MODES),
        encoding=encoding,
        headers=MappingProxyType({str(k): str(v) for k, v in headers.items()}),
    )


def _parse_schedule(data: Any, source: str) -> ScheduleRule:
    f = _Fields(data, source, "schedule", [x.name for x in dataclasses.fields(ScheduleRule)])
    d = ScheduleRule()
    months = d.peak_months
    if f.has("peak_months"):
        raw = f.data["peak_months"]
        if not isinstance(raw, list) or not all(
            isinstance(m, int) and not isinstance(m, bool) and 1 <= m <= 12 for m in raw
        ):
            raise f.error("peak_months", f"must be a list of month numbers 1..12, got {raw!r}")
        months = tuple(sorted(set(raw)))
    rule = ScheduleRule(
        peak_months=months,
        peak_every_days=f.float("peak_every_days", d.peak_every_days),
        off_every_days=f.float("off_every_days", d.off_every_days),
    )
    for key in ("peak_every_days", "off_every_days"):
        if getattr(rule, key) <= 0:
            raise f.error(key, f"must be a positive number of days, got {getattr(rule, key)!r}")
    return rule


_TOP = (
    "id",
    "agency",
    "agency_key",
    "level",
    "host",
    "schemes",
    "cms",
    "start_urls",
    "report_urls",
    "list",
    "pagination",
    "filter",
    "detail",
    "attachments",
    "fetch",
    "schedule",
    "discovery",
    "status",
    "status_date",
    "notes",
)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


def profile_from_dict(data: Any, source: str = "<memory>") -> PortalProfile:
    """Validate a parsed YAML mapping and build the profile; raises `ProfileError` on the first fault."""
    f = _Fields(data, source, "", _TOP)
    pid = f.str("id", required=True)
    if not _ID.match(pid):
        raise f.error("id", f"{pid!r} must be lower-case letters, digits and '-', 2-63 chars")
    # discovery may be a bare kind or {kind: ...}
    discovery = f.data.get("discovery") or "none"
    if isinstance(discovery, Mapping):
        discovery = discovery.get("kind", "none")
    if discovery not in DISCOVERY_KINDS:
        raise f.error("discovery", f"{discovery!r} is not a known kind", DISCOVERY_KINDS)
    status_date = f.data.get("status_date")
    host = f.str("host", required=True)
    if "/" in host or " " in host:
        raise f.error("host", f"{host!r} must be a bare host[:port] (or {{host}}), not a URL")
    start_urls = f.strs("start_urls", ())
    report_urls = f.strs("report_urls", ())
    if not start_urls and not report_urls:
        raise f.error(
            "start_urls", "is required: give start_urls (list pages) or report_urls (year templates)"
        )
    for u in start_urls:
        _check_url(f, "start_urls", u)
    for u in report_urls:
        _check_url(f, "report_urls", u)
        if "{year}" not in u:
            raise f.error("report_urls", f"{u!r} must contain {{year}}; it is expanded once per wanted year")
    profile = PortalProfile(
        id=pid,
        agency=f.str("agency", required=True),
        agency_key=f.str("agency_key"),
        level=f.str("level", None, choices=LEVELS),
        host=host,
        schemes=f.strs("schemes", ("https", "http"), choices=("https", "http")),
        cms=f.str("cms", required=True, choices=CMS_FAMILIES),
        start_urls=start_urls,
        report_urls=report_urls,
        list=_parse_list(f.data.get("list"), source),
        pagination=_parse_pagination(f.data.get("pagination"), source),
        filter=_parse_filter(f.data.get("filter"), source),
        detail=_parse_detail(f.data.get("detail"), source),
        attachments=_parse_attachments(f.data.get("attachments"), source),
        fetch=_parse_fetch(f.data.get("fetch"), source),
        schedule=_parse_schedule(f.data.get("schedule"), source),
        discovery=discovery,
        status=f.str("status", required=True, choices=STATUSES),
        status_date=str(status_date) if status_date is not None else None,
        notes=f.str("notes", "") or "",
        source=source,
    )
    if report_urls and not profile.filter.years:
        raise f.error("filter.years", "is required when report_urls are given (which years to expand)")
    return profile


def load_profile(path: str | Path) -> PortalProfile:
    """Read and validate one profile file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ProfileError(str(path), "<file>", f"cannot be read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ProfileError(str(path), "<file>", f"is not valid YAML: {exc}") from exc
    profile = profile_from_dict(data, str(path))
    if profile.id != path.stem:
        raise ProfileError(str(path), "id", f"{profile.id!r} must match the file name {path.stem!r}")
    return profile


def load_profiles(directory: str | Path = PROFILES_DIR) -> dict[str, PortalProfile]:
    """Load every ``*.yaml`` profile of a directory, keyed by id (ids must be unique)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ProfileError(str(directory), "<dir>", "is not a directory of profiles")
    profiles: dict[str, PortalProfile] = {}
    for path in sorted(directory.glob("*.yaml")):
        profile = load_profile(path)
        profiles[profile.id] = profile
    return profiles


def get_profile(profile_id: str, directory: str | Path = PROFILES_DIR) -> PortalProfile:
    """Load the profile ``<directory>/<profile_id>.yaml``; unknown ids name the known ones."""
    path = Path(directory) / f"{profile_id}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in Path(directory).glob("*.yaml"))
        raise ProfileError(str(directory), "id", f"no profile {profile_id!r}", known)
    return load_profile(path)
