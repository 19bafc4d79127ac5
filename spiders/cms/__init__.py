"""List adapters, one module per CMS family; `FAMILIES` picks one by the profile's ``cms`` name.

Each adapter is ``parse_list(response, profile) -> ListPage`` (see `spiders.cms.base`).
"""

from __future__ import annotations

from collections.abc import Callable

from scrapy.http import Response

from spiders.cms import gkmlpt, hanweb_jcms, hanweb_jpaas, hanweb_xxgk, shanghai, static, trs
from spiders.cms.base import ListPage, ReportCandidate
from spiders.detail import Attachment, find_attachments, select_body
from spiders.profiles import PortalProfile

ListAdapter = Callable[[Response, PortalProfile], ListPage]

FAMILIES: dict[str, ListAdapter] = {
    "hanweb_jcms": hanweb_jcms.parse_list,
    "hanweb_xxgk": hanweb_xxgk.parse_list,
    "hanweb_jpaas": hanweb_jpaas.parse_list,
    "trs": trs.parse_list,
    "gkmlpt": gkmlpt.parse_list,
    "shanghai": shanghai.parse_list,
    "static": static.parse_list,
    "nfcms": static.parse_list,  # NFCMS columns are static lists with index_N pages
}

__all__ = [
    "FAMILIES",
    "Attachment",
    "ListAdapter",
    "ListPage",
    "ReportCandidate",
    "find_attachments",
    "select_body",
]
