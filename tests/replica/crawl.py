"""Run the portal spider against a replica site in *this* process and write what it yields as JSONL.

Tests start it in a subprocess (a Twisted reactor cannot be restarted inside one pytest process)::

    python -m tests.replica.crawl --profile replica-trs --base http://127.0.0.1:4001 \\
        --oss http://127.0.0.1:4002 --out items.jsonl

Each item becomes one JSON line with the bytes replaced by ``body_sha256``/``body_len``; the last line
is ``{"kind": "stats", ...}`` (the crawl's Scrapy stats). Settings are the project's, with the test
overrides of the brief: no delay, no AutoThrottle, robots.txt obeyed.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

PROFILES = Path(__file__).with_name("profiles")


class JsonlPipeline:
    """Writes every item as one JSON line (bytes → digest + length)."""

    def __init__(self, path: str):
        self.path = path
        self.fh = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("REPLICA_OUT"))

    def open_spider(self, spider=None) -> None:
        self.fh = open(self.path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close_spider

    def close_spider(self, spider=None) -> None:
        assert self.fh is not None
        self.fh.close()

    def process_item(self, item: dict[str, Any], spider=None) -> dict[str, Any]:
        row = {k: v for k, v in item.items() if k != "body"}
        body = item.get("body") or b""
        row["body_sha256"] = hashlib.sha256(body).hexdigest()
        row["body_len"] = len(body)
        assert self.fh is not None
        self.fh.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        return item


def _importable(path: str) -> bool:
    module = path.rpartition(".")[0]
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return False  # a component still being built (same rule as crawler.cli._register)
        raise
    return True


def settings_for(out: str, **extra: Any):
    """Project settings plus test overrides; the conditional-request middleware is off (no store here),
    and project middlewares whose module does not exist yet are left out."""
    settings = get_project_settings()
    middlewares = {
        k: v
        for k, v in (settings.getdict("DOWNLOADER_MIDDLEWARES") or {}).items()
        if not isinstance(k, str) or _importable(k)
    }
    settings.setdict(
        {
            "DOWNLOADER_MIDDLEWARES": middlewares,
            "NIANBAOKU_CONDITIONAL_ENABLED": False,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "ROBOTSTXT_OBEY": True,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
            "NIANBAOKU_PROFILE_DELAY": False,
            "ITEM_PIPELINES": {"tests.replica.crawl.JsonlPipeline": 100},
            "REPLICA_OUT": out,
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
            **extra,
        },
        priority="cmdline",
    )
    return settings


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--profile", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--oss", default=None)
    ap.add_argument("--out", required=True)
    ap.add_argument("--profiles-dir", default=str(PROFILES))
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra Scrapy setting (e.g. NIANBAOKU_POLITENESS_ENABLED=False)",
    )
    args = ap.parse_args(argv)
    extra = dict(s.split("=", 1) for s in args.set)
    process = CrawlerProcess(settings_for(args.out, **extra))
    kwargs = {"profile": args.profile, "profiles_dir": args.profiles_dir, "base": args.base}
    if args.oss:
        kwargs["base_oss"] = args.oss
    crawler = process.create_crawler("portal")
    process.crawl(crawler, **kwargs)
    process.start()
    stats = crawler.stats.get_stats()
    with open(args.out, "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"kind": "stats", **stats}, default=str) + "\n")
    return 0 if stats.get("finish_reason") == "finished" else 1


if __name__ == "__main__":
    raise SystemExit(main())
