"""Is this response a WAF / anti-bot challenge page rather than content? A public pure function.

Why a pure function: the crawler's middleware (retry/backoff, per-host cool-down), the parse stage
(``parsers.carriers.load`` refuses to parse a challenge as a report) and the tests all ask the same
question; like Scrapy's ``get_retry_request`` the decision lives outside any class (style.md §1).

Kinds returned (portals.md describes the products):

- ``"ts412"``    Ruishu (瑞数) dynamic protection: HTTP 412 (sometimes 202/200) and a page that is only a
                 ``$_ts`` bootstrap script — the browser must run it to get cookies;
- ``"jsl521"``   Jiasule / Knownsec (加速乐): HTTP 521 and a ``__jsl_clearance`` cookie script;
- ``"rate429"``  HTTP 429, or a short page saying the visitor is too frequent (访问过于频繁);
- ``"captcha"``  a short page asking to solve a slider / captcha (滑动验证, 人机验证);
- ``"js_cookie"`` a short page whose only job is a script that sets a cookie and reloads;
- ``"waf_block"`` a short page from a WAF (安全狗, 云锁, 创宇盾 …) or saying access was refused
                 (访问异常, 访问被拒绝, 请开启JavaScript);
- ``None``       anything else — including real reports that merely mention 安全 or 验证: the
                 phrase rules only fire when the page has almost no other visible text
                 (``MAX_CHALLENGE_TEXT`` characters), and reports are thousands of characters long.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# A real report page has >1,500 visible characters (the shortest 街道 report in the corpus has ~2,000);
# challenge pages show one or two sentences. Calibrated on the corpus pages and the replica's challenge
# routes; re-run tests/test_challenge.py after a change.
MAX_CHALLENGE_TEXT = 400
# Only the start of a response is inspected: challenge pages are small, and a multi-megabyte PDF must
# not be decoded just to learn it is not one.
SCAN_BYTES = 256 * 1024

_TS_RE = re.compile(rb"\$_ts\s*=|\$_ts\.(?:nsd|cd)\b|window\[['\"]\$_ts['\"]\]")
_JSL_RE = re.compile(rb"__jsl_clearance|_jsl_clearance_s|\bjsl_tracking\b")
# Tencent EdgeOne bot check (portals.md §11): its cookies and its checking script's name.
_EDGEONE_RE = re.compile(rb"EO_Bot_Ssid|__tst_status|eo_bot_check", re.I)
# A literal every match of the pattern contains: `bytes.__contains__` rules out a real report page
# much faster than the regex scan (the parse stage asks this of every HTML/text file).
_TS_LITERAL = b"$_ts"
_JSL_LITERAL = b"jsl_"
_EDGEONE_LITERALS = (b"eo_bot_", b"__tst_status")  # in the lower-cased head
_SCRIPT_RE = re.compile(r"<(script|style|noscript)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_TAG_RE = re.compile(r"<[^>]*>|&[a-z]+;|&#\d+;", re.I)
_SPACE_RE = re.compile(r"\s+")

# Phrases, by kind, that mark a challenge when the page is otherwise (almost) empty.
PHRASES: dict[str, tuple[str, ...]] = {
    "rate429": (
        "访问过于频繁", "请求过于频繁", "访问频率过高", "访问太频繁", "操作过于频繁",
        "Too Many Requests",
    ),
    "captcha": ("滑动验证", "人机验证", "请完成安全验证", "请输入验证码", "拖动滑块", "安全验证"),
    "waf_block": (
        "访问异常", "访问被拒绝", "访问被拦截", "拒绝访问", "您的访问被阻断", "请求被拦截",
        "非法请求", "安全狗", "云锁", "创宇盾", "网站防火墙", "Web应用防火墙", "WEB应用防火墙",
        "请开启JavaScript", "请启用JavaScript", "enable JavaScript", "Access Denied",
        "Request Rejected", "当前访问疑似黑客攻击",
    ),
}  # fmt: skip
_COOKIE_JS_RE = re.compile(r"document\.cookie\s*=", re.I)
_RELOAD_JS_RE = re.compile(r"location\.(?:reload|href\s*=|replace)|window\.location\s*=", re.I)


def _visible_text(html: str) -> str:
    return _SPACE_RE.sub("", _TAG_RE.sub(" ", _SCRIPT_RE.sub(" ", html)))


def _decode(head: bytes) -> str:
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError:
        return head.decode("gb18030", "replace")


def _header(headers: Mapping | None, name: str) -> str:
    if not headers:
        return ""
    for key, value in headers.items():
        k = key.decode("latin-1") if isinstance(key, bytes) else str(key)
        if k.lower() == name:
            if isinstance(value, list | tuple):
                value = b", ".join(v if isinstance(v, bytes) else str(v).encode() for v in value)
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return ""


def classify_challenge(
    body: bytes, *, status: int | None = None, headers: Mapping | None = None
) -> str | None:
    """Return the challenge kind of a response, or None if it looks like real content.

    `body` is the raw response body (only the first ``SCAN_BYTES`` are read); `status` the HTTP status
    when known (the parse stage calls this without one); `headers` a mapping of response headers
    (str or bytes keys/values, list values allowed, as Scrapy's ``Headers`` gives them). Example::

        classify_challenge(b"<script>$_ts=window['$_ts'];...</script>", status=412)  # -> "ts412"
    """
    head = body[:SCAN_BYTES]
    if status == 429:
        return "rate429"
    if _TS_LITERAL in head and _TS_RE.search(head):
        text = _visible_text(_decode(head))
        if status in (412, 202) or len(text) < MAX_CHALLENGE_TEXT:
            return "ts412"
    set_cookie = _header(headers, "set-cookie")
    if (_JSL_LITERAL in head and _JSL_RE.search(head)) or (status == 521 and "__jsluid" in set_cookie):
        text = _visible_text(_decode(head))
        if status == 521 or len(text) < MAX_CHALLENGE_TEXT:
            return "jsl521"
    if _header(headers, "cf-mitigated").lower() == "challenge":
        return "waf_block"
    lower = head.lower()
    edgeone = (
        any(lit in lower for lit in _EDGEONE_LITERALS) and _EDGEONE_RE.search(head)
    ) or _EDGEONE_RE.search(set_cookie.encode("latin-1", "replace"))
    if edgeone and len(_visible_text(_decode(head))) < MAX_CHALLENGE_TEXT:
        return "js_cookie"
    if head.startswith((b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return None
    html = _decode(head)
    text = _visible_text(html)
    if len(text) >= MAX_CHALLENGE_TEXT:
        return None
    for kind, phrases in PHRASES.items():
        if any(p.lower() in text.lower() for p in phrases):
            return kind
    if _COOKIE_JS_RE.search(html) and _RELOAD_JS_RE.search(html) and len(text) < 60:
        return "js_cookie"
    if status in (403, 405, 418, 503) and len(text) < 60 and ("<script" in html.lower() or not text):
        return "waf_block"
    return None
