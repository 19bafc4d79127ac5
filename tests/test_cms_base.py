"""spiders/cms/base.py: dates, titles, statistical years and row conversion shared by every adapter."""

from __future__ import annotations

import datetime as dt

import pytest
from parsel import Selector

from spiders.cms.base import (
    ListPage,
    Rejected,
    ReportCandidate,
    date_from_url,
    judge,
    parse_date,
    rows_to_page,
    stat_year,
    title_verdict,
)
from spiders.profiles import profile_from_dict

PROFILE = profile_from_dict(
    {
        "id": "t-base",
        "agency": "测试",
        "host": "www.t.gov.cn",
        "cms": "static",
        "start_urls": ["http://www.t.gov.cn/"],
        "status": "unverified",
        "filter": {"years": [2010, 2025]},
    }
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-19", dt.date(2024, 1, 19)),
        ("[2024-1-9]", dt.date(2024, 1, 9)),
        ("2026-\n01-\n23", dt.date(2026, 1, 23)),  # Jiangsu proxy rows
        ("2024年3月29日", dt.date(2024, 3, 29)),
        ("2026-02-00018 2026-01-23", dt.date(2026, 1, 23)),  # an index number is not a date
        ("2026-02-00018", None),
        ("2024-13-40", None),
        ("", None),
    ],
)
def test_parse_date(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://x.gov.cn/art/2024/1/19/art_1229063423_4327350.html", dt.date(2024, 1, 19)),
        ("http://x.gov.cn/gknb/202503/t20250331_4050078.html", dt.date(2025, 3, 31)),
        (
            "https://www.shanghai.gov.cn/nw12344/20240329/d7775c906c0b402a93cbebf4e979c002.html",
            dt.date(2024, 3, 29),
        ),
        ("http://x.gov.cn/content/post_8595151.html", None),
    ],
)
def test_date_from_url(url, expected):
    assert date_from_url(url) == expected


@pytest.mark.parametrize(
    ("title", "reason"),
    [
        ("宁波市镇海区人力资源和社会保障局2022年度政府信息公开工作年度报告", None),
        ("2023年度上海市静安区人力资源和社会保障局政府信息公开年度工作报告", None),
        ("舒兰市市场监督管理局2016年政务信息公开年度报告", None),
        ("浙江省2014年度政府信息公开工作报告", None),
        ("某局2023年政府信息公开工作年度报告（图片版）", None),
        ("某局2023年政府信息公开工作年度报告文字解读", "title_exclude"),
        ("图解：某局2023年政府信息公开工作年度报告", "title_exclude"),
        ("关于做好2023年政府信息公开工作年度报告编制发布工作的通知", "title_exclude"),
        ("某局2023年法治政府建设年度报告", "title_exclude"),
        ("某局政府信息公开指南", "title_exclude"),
        ("2023年政府网站工作年度报表", "title_exclude"),
        ("关于印发2024年就业工作要点的通知", "title_exclude"),
        ("2024年工作总结", "not_a_report"),
        ("", "no_title"),
    ],
)
def test_title_verdict(title, reason):
    assert title_verdict(title, PROFILE) == reason


def test_stat_year_from_title_not_publish_date():
    # Daishan HRSS 2015 report reposted 2023-08-28: the title wins
    assert stat_year("岱山县人力社保局2015年政府信息公开工作年度报告", dt.date(2023, 8, 28), PROFILE) == 2015
    assert stat_year("区人力社保局政府信息公开工作年度报告", dt.date(2024, 1, 20), PROFILE) == 2023
    assert stat_year("区人力社保局政府信息公开工作年度报告", None, PROFILE) is None


def test_judge_applies_year_window():
    ok = judge("http://x/a.html", "某局2019年政府信息公开工作年度报告", None, "http://x/", PROFILE)
    assert isinstance(ok, ReportCandidate) and ok.stat_year == 2019
    old = judge("http://x/b.html", "某局2008年政府信息公开工作年度报告", None, "http://x/", PROFILE)
    assert old == Rejected("http://x/b.html", "某局2008年政府信息公开工作年度报告", "year")


def test_rows_prefer_title_attribute_and_dedupe():
    html = """<ul>
      <li><a href="/art/2024/1/19/art_1_2.html"
             title="某局2023年政府信息公开工作年度报告">某局2023年政府信息公…</a>
          <span>2024-01-19</span></li>
      <li><a href="/art/2024/1/19/art_1_2.html" title="某局2023年政府信息公开工作年度报告">dup</a></li>
      <li><a href="/art/2024/2/1/art_1_3.html">某局2023年政府信息公开工作年度报告解读</a>
          <span>2024-02-01</span></li>
      <li><a href="javascript:void(0)">更多</a></li>
    </ul>"""
    page = rows_to_page(
        Selector(text=html).css("li"),
        "http://www.t.gov.cn/col/col1/index.html",
        "http://www.t.gov.cn/col/col1/index.html",
        PROFILE,
        ListPage(),
    )
    assert [c.title for c in page.candidates] == ["某局2023年政府信息公开工作年度报告"]
    assert page.candidates[0].url == "http://www.t.gov.cn/art/2024/1/19/art_1_2.html"
    assert page.candidates[0].published_date == dt.date(2024, 1, 19)
    assert [r.reason for r in page.rejected] == ["title_exclude"]
