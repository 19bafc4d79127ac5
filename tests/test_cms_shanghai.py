"""spiders/cms/shanghai.py: pagination({totalPage}), 1-based index_N, commented duplicate rows."""

from __future__ import annotations

from spiders.cms.shanghai import parse_list
from tests.replica.inmemory import candidates_of, rejected_of, replica_profile, site_for, start, walk
from tests.replica.sites import SiteSpec, agency_names

SPEC = SiteSpec("shanghai", "shanghai", agencies=agency_names(4), years=(2014, 2024), seed=18)


def test_commented_duplicates_are_ignored():
    site, profile = site_for(SPEC), replica_profile("replica-shanghai")
    resp = start(site, "/nw12344/index.html")
    assert "0" * 32 in resp.text  # the ghost rows are there ...
    page = parse_list(resp, profile)
    assert all("0" * 32 not in c.url for c in page.candidates)  # ... and not taken
    assert len(page.candidates) + len(page.rejected) == 20


def test_chain_is_one_based_and_complete():
    site, profile = site_for(SPEC), replica_profile("replica-shanghai")
    pages = walk(site, profile, "/nw12344/index.html")
    n = -(-len(site.column()) // 20)
    assert [r.url.rsplit("/", 1)[1] for r, _ in pages] == ["index.html"] + [
        f"index_{i}.html" for i in range(2, n + 1)
    ]
    assert pages[0][1].total_pages == n
    assert {c.title for c in candidates_of(pages)} == {it.title for it in site.reports}
    assert {r.title for r in rejected_of(pages)} == {it.title for it in site.column() if not it.is_report}
    assert pages[-1][1].end_reason == "last_page"
