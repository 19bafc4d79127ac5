"""The challenge-page classifier: each product's page, and real content that must not be flagged."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.challenge import classify_challenge

SHARED = Path(__file__).resolve().parents[2] / "shared"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="/work/shared corpus not available")

TS_PAGE = (
    b'<!DOCTYPE html><html><head><meta content="{qqqqqq}" id="9DhefwqGPrzGxEp9hPaoag">'
    b'<script type="text/javascript" charset="utf-8" id="9DhefwqGPrzGxEp9hPaoag" src="/4QbVtADbnLVIc/d.js">'
    b"</script><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=84543;$_ts.cd=\"qhcrrpAlEq\";"
    b"</script></head><body></body></html>"
)
JSL_PAGE = (
    b"<html><body><script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')+('a')"
    b"+('r')+('a')+('n')+('c')+('e')+('_s=1700000000.1|0|abc');location.href=location.pathname</script>"
    b"</body></html>"
)
JSL_PAGE_2 = b"<script>var x='__jsl_clearance_s=1';document.cookie=x;location.reload()</script>"


def report_page(extra: str = "") -> bytes:
    para = "我局高度重视网络安全和数据安全，严格执行保密审查，确保“三安全一稳定”。全年主动公开政府信息369条。"
    body = f"<p>{extra}</p><p>{para}</p>{para * 12}"
    return f"<html><body><div id='zoom'>{body}</div></body></html>".encode()


@pytest.mark.parametrize(
    ("body", "status", "headers", "kind"),
    [
        (TS_PAGE, 412, None, "ts412"),
        (TS_PAGE, None, None, "ts412"),
        (TS_PAGE, 202, None, "ts412"),
        (JSL_PAGE, 521, {"Set-Cookie": "__jsluid_h=abc; path=/"}, "jsl521"),
        (JSL_PAGE_2, None, None, "jsl521"),
        (b"<html><body>busy</body></html>", 429, None, "rate429"),
        ("<html><body><h1>访问过于频繁，请稍后再试</h1></body></html>".encode(), 200, None, "rate429"),
        ("<html><body><p>您的访问被阻断</p><p>网站防火墙</p></body></html>".encode(), 200, None, "waf_block"),
        ("<html><body>访问异常，请开启JavaScript后刷新</body></html>".encode("gbk"), 200, None, "waf_block"),
        ("<html><title>安全狗</title><body>您的请求带有不合法参数，已被网站管理员设置拦截！</body></html>".encode(),
         200, None, "waf_block"),
        ("<div>云锁 — 当前访问疑似黑客攻击</div>".encode(), 403, None, "waf_block"),
        ("<html><body>请完成安全验证：拖动滑块</body></html>".encode(), 200, None, "captcha"),
        (b"<html><script>document.cookie='a=b';window.location='/x'</script></html>", 200, None, "js_cookie"),
        (b"<html><body></body></html>", 200, {"cf-mitigated": "challenge"}, "waf_block"),
        (b"<html><script src='/s.js'></script></html>", 403, None, "waf_block"),
    ],
)  # fmt: skip
def test_challenge_kinds(body: bytes, status: int | None, headers: dict | None, kind: str) -> None:
    assert classify_challenge(body, status=status, headers=headers) == kind


@pytest.mark.parametrize("extra", ["", "请开启JavaScript", "访问异常的处理", "安全验证", "Access Denied"])
def test_real_report_mentioning_security_is_not_a_challenge(extra: str) -> None:
    assert classify_challenge(report_page(extra), status=200) is None


def test_binary_bodies_and_bytes_headers() -> None:
    assert classify_challenge(b"%PDF-1.7 ...", status=200) is None
    assert classify_challenge(b"PK\x03\x04....", status=403) is None
    headers = {b"Set-Cookie": [b"__jsluid_s=1; path=/"]}
    assert classify_challenge(b"<html></html>", status=521, headers=headers) == "jsl521"


@needs_shared
def test_corpus_files_are_not_challenges() -> None:
    raw = SHARED / "corpus" / "raw"
    flagged = {
        p.name: k for p in sorted(raw.iterdir()) if (k := classify_challenge(p.read_bytes(), status=200))
    }
    assert flagged == {}
