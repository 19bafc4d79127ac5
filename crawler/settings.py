"""Scrapy settings for nianbaoku — every project default lives here, grouped by component.

Environment variables override the storage defaults (read by `crawler.config`):
``NIANBAOKU_DATA_DIR`` (default ``data/`` under the project root) and ``DATABASE_URL`` (default: the
SQLite file ``<data dir>/nianbaoku.sqlite``).
"""

import os

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

# --- Downloader middlewares (crawler/middlewares/, order explained in its __init__) --------------
# process_request runs in ascending order, process_response in descending order. Ours sit among
# Scrapy's built-ins (DOWNLOADER_MIDDLEWARES_BASE: Retry 550, MetaRefresh 580, HttpCompression 590,
# Redirect 600, Cookies 700):
#   610 politeness  — last to see a request (the gate: wait out pauses, one in flight per host, drop
#                     requests to an open circuit) and first to see the raw response (count 5xx/429,
#                     honour Retry-After) before Redirect can turn it into a new request;
#   588 encoding    — right after HttpCompression has inflated the body;
#   585 challenge   — before MetaRefresh follows a challenge's reload and before Retry retries it;
#   560 conditional — adds validators after the gate; marks a 304 before Retry looks at it.
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.conditional.ConditionalRequestsMiddleware": 560,
    "crawler.middlewares.challenge.ChallengeMiddleware": 585,
    "crawler.middlewares.encoding.EncodingMiddleware": 588,
    "crawler.middlewares.politeness.PolitenessMiddleware": 610,
    # Distributed mode only (NotConfigured otherwise): below Retry, a download failed for good leaves
    # the worker's in-flight record; after the in-process gate, the cross-worker host lease.
    "crawler.distributed.InflightDoneMiddleware": 540,
    "crawler.jobdir.JobdirDoneMiddleware": 541,  # the same for a JOBDIR crawl (crawler/jobdir.py)
    # Download failures (what Retry gave up on) and redirect loops go on the crawl run
    # (crawler/middlewares/failures.py).
    "crawler.middlewares.failures.DownloadFailureRecorder": 545,
    "crawler.middlewares.failures.RedirectLoopRecorder": 605,
    "crawler.middlewares.hostlock.RedisHostLock": 612,
}

# --- Challenge classifier (crawler/middlewares/challenge.py) -----------------------------------
NIANBAOKU_CHALLENGE_ENABLED = True
# Kinds that mean "slower", not "no": retried (within RETRY_TIMES) after the host's back-off.
# Every other kind is blocked at once — retrying a WAF challenge only escalates it.
NIANBAOKU_CHALLENGE_RETRY_KINDS = ["rate429"]
# How many (url, kind) pairs the run ledger keeps; the nianbaoku/blocked/<kind> counters stay exact.
NIANBAOKU_CHALLENGE_LEDGER_MAX = 1000

# --- Encoding (crawler/middlewares/encoding.py) ------------------------------------------------
NIANBAOKU_ENCODING_ENABLED = True
# "auto" decides from the bytes; any codec name forces it (a profile's fetch.encoding wins over this).
NIANBAOKU_ENCODING = "auto"
# Bodies larger than this keep Scrapy's choice: HTML pages are far smaller, and a mislabelled
# multi-megabyte file should not be decoded twice just to pick its charset.
NIANBAOKU_ENCODING_MAX_BYTES = 8 * 1024 * 1024

# --- Politeness: host gate, circuit breaker, Retry-After (crawler/middlewares/politeness.py) --------
NIANBAOKU_POLITENESS_ENABLED = True
# Consecutive failures (challenges, 5xx/429, timeouts) that open a host's circuit.
NIANBAOKU_BREAKER_THRESHOLD = 3
# How long an open circuit drops requests to the host; then one request probes it again.
NIANBAOKU_BREAKER_COOLDOWN = 600.0
# Exponential back-off pause of a host after a failure without Retry-After: base * 2**(attempt-1),
# capped. 5 s, 10 s, 20 s … is gentle enough for the small servers behind these portals.
NIANBAOKU_BACKOFF_BASE = 5.0
NIANBAOKU_BACKOFF_MAX = 300.0
# A Retry-After up to this many seconds pauses the host; a longer one opens its circuit for that long
# (requests are dropped rather than held in memory for hours).
NIANBAOKU_RETRY_AFTER_MAX = 600.0
# Statuses that count as a host failure (and whose Retry-After is honoured).
NIANBAOKU_POLITENESS_FAILURE_CODES = [429, 500, 502, 503, 504, 522, 524, 408]

# --- Conditional requests (crawler/middlewares/conditional.py) ---------------------------------
NIANBAOKU_CONDITIONAL_ENABLED = True
# "store": validators from the last capture in the archive; otherwise the dotted path of a callable
# taking the crawler and returning a ValidatorSource.
NIANBAOKU_CONDITIONAL_SOURCE = "store"
# Only pages whose content we archive are asked conditionally: a 304 on a list page would hide its
# links and stop pagination.
NIANBAOKU_CONDITIONAL_ROLES = ["detail", "attachment"]
# A 304 on these roles is passed on with the archived bytes of the capture it equals, so the spider can
# still see the page's attachment links and fetch one that was never stored (an empty list: never replay).
NIANBAOKU_CONDITIONAL_REPLAY_ROLES = ["detail", "report_page"]

# --- Spiders: portal profiles (spiders/portal.py) — added by the spiders helper ----------------------
# Where `scrapy crawl portal -a profile=<id>` looks the id up; None = spiders/profiles/ shipped with the
# code (`-a profiles_dir=...` wins over this).
NIANBAOKU_PROFILES_DIR = None
# Apply each profile's fetch.delay_s as the spider's download delay (overrides DOWNLOAD_DELAY for that
# crawl); off in replica tests, where the delay is 0 anyway.
NIANBAOKU_PROFILE_DELAY = True

# --- Item pipelines (crawler/pipelines/, order explained in its __init__) ------------------------
# archive < parse < store: bytes are archived before anything reads them (a parser crash or a store
# error can never lose a fetch, and any parse can be redone from the archive); the store step needs
# both the capture rows and the parse results.
ITEM_PIPELINES = {
    "crawler.pipelines.archive.ArchivePipeline": 100,
    "crawler.pipelines.parse.ParsePipeline": 200,
    "crawler.pipelines.store.StorePipeline": 300,
}
NIANBAOKU_ARCHIVE_ENABLED = True
NIANBAOKU_PARSE_ENABLED = True
# Validation mode of the parser's consistency checks: "lenient" or "strict" (parsers/report.py).
NIANBAOKU_PARSE_MODE = "lenient"
# Parse in Twisted's thread pool so a slow PDF does not stall downloads (False: in the reactor thread).
NIANBAOKU_PARSE_THREADS = True
NIANBAOKU_STORE_ENABLED = True
# Reports waiting for their attachments; past this the oldest is stored with what it has. Each waiting
# report holds only ids and its parse result, not bytes.
NIANBAOKU_STORE_MAX_OPEN_GROUPS = 500
# Fill an agency's region code / level / kind from its name (storage/regions.py, cached per name; the
# first call costs about a second for cpca's tables).
NIANBAOKU_STORE_RESOLVE_REGIONS = True

# --- Spider middlewares, extensions (crawler/spidermiddlewares.py, crawler/extensions.py) ---------
# Above HttpErrorMiddleware (50), so error answers are recorded before it swallows them.
SPIDER_MIDDLEWARES = {
    "crawler.distributed.SeedOnceMiddleware": 10,  # distributed mode only
    "crawler.jobdir.JobdirOutputMiddleware": 11,  # JOBDIR crawls only (crawler/jobdir.py)
    "crawler.spidermiddlewares.CaptureMiddleware": 60,
}
# Every list page becomes a capture too (kind "list"), not only detail pages and attachments.
NIANBAOKU_LIST_CAPTURES_ENABLED = True
EXTENSIONS = {
    "crawler.extensions.CrawlRunRecorder": 500,
    "crawler.extensions.WarcExport": 510,
    "crawler.distributed.FrontierCoordinator": 520,  # distributed mode only; after the run recorder
}
# Open/close a crawl_runs row per spider (only when the archive pipeline is on).
NIANBAOKU_CRAWL_RUN_ENABLED = True
# Write every response and its request to this WARC file (gzip per record); None: no WARC.
NIANBAOKU_WARC_PATH = None

# --- Incremental re-crawl (crawler/incremental.py) ------------------------------------------------
# Stop paging a list at a page whose every report link was archived before this crawl (its links are
# still fetched, conditionally). Only when the archive pipeline is on.
NIANBAOKU_INCREMENTAL = True
NIANBAOKU_KNOWN_URLS = "crawler.incremental.known_urls"

# --- Resume of a single-machine crawl (crawler/jobdir.py) ------------------------------------------
# With JOBDIR set (`crawl --jobdir DIR`), the frontier and duplicate filter live in DIR/frontier.sqlite,
# written as the crawl goes, so a crawl killed outright (kill -9) resumes when started again — Scrapy's
# own JOBDIR queues survive only a graceful stop. Without JOBDIR this is Scrapy's default scheduler.
# Distributed mode replaces it with the Redis scheduler (below).
SCHEDULER = "crawler.jobdir.JobdirScheduler"
JOBDIR = None

# --- Distributed mode (crawler/distributed.py, crawler/middlewares/hostlock.py) ---------------------
# Only when REDIS_URL is set: N worker processes share one Redis frontier (scrapy-redis scheduler and
# duplicate filter, keyed per profile), one per-host lease and one store (DATABASE_URL: PostgreSQL;
# NIANBAOKU_DATA_DIR on a shared mount). Without REDIS_URL nothing below changes a crawl.
NIANBAOKU_DISTRIBUTED = False
# Namespace of every Redis key (a test run, or a second archive on the same Redis, uses its own).
NIANBAOKU_REDIS_PREFIX = os.environ.get("NIANBAOKU_REDIS_PREFIX") or "nianbaoku"
# A worker without a heartbeat for this long is dead: its in-flight requests go back in the queue.
NIANBAOKU_REDIS_ALIVE_TTL = 10.0
NIANBAOKU_REDIS_HEARTBEAT = 2.0
if os.environ.get("REDIS_URL"):
    from crawler.distributed import distributed_settings as _distributed_settings

    globals().update(_distributed_settings(os.environ["REDIS_URL"]))

# --- Scheduled crawls and re-parse (crawler/schedule.py, crawler/reparse.py) ----------------------
# `crawl --due` takes this lock file in the data dir (a PostgreSQL store uses an advisory lock instead),
# so a timer firing while the last crawl still runs does nothing.
NIANBAOKU_CRAWL_LOCK_FILE = "crawl.lock"
# A profile visited this many hours before its interval is up counts as due: a daily timer that fires a
# little early must not skip a day. Intervals themselves are per profile (`schedule:` in its YAML).
NIANBAOKU_SCHEDULE_SLACK_HOURS = 2
