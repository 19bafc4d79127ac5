"""Scrapy settings for nianbaoku — every project default lives here, grouped by component.

Environment variables override the storage defaults (read by `crawler.config`):
``NIANBAOKU_DATA_DIR`` (default ``data/`` under the project root) and ``DATABASE_URL`` (default: the
SQLite file ``<data dir>/nianbaoku.sqlite``).
"""

BOT_NAME = "nianbaoku"

SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- Storage -----------------------------------------------------------------------------------
# Relative to the project root unless absolute; see crawler/config.py.
NIANBAOKU_DATA_DIR = "data"
# None means "SQLite file in the data dir"; any SQLAlchemy URL otherwise (postgresql+psycopg://...).
DATABASE_URL = None

# --- Politeness ----------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
# One request at a time per host: government portals are small servers behind touchy WAFs.
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# The first request plus two retries makes three.
RETRY_TIMES = 2
USER_AGENT = "nianbaoku/0.1 (+archive of government information-disclosure annual reports)"

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
