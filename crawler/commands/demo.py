"""``python -m crawler demo``: the whole pipeline on this machine, offline, in well under a minute.

It starts the replica portals of `tests.replica` on 127.0.0.1 (one per CMS family: Hanweb JCMS in both
flavours, Hanweb XXGK and JPaaS, TRS in UTF-8 and in GBK with a lying header, gkmlpt, Shanghai and a
static site, plus an off-host attachment store), crawls every family into the default store
(`crawler.config.resolve()`: ``data/nianbaoku.sqlite``, or ``NIANBAOKU_DATA_DIR`` / ``DATABASE_URL``),
then prints the crawl summary and the store status. The replica data is deterministic, so a second
``demo`` against the same store finds every report unchanged.

Fast settings, because every portal is a local replica: no download delay, no AutoThrottle, no profile
delay, eight requests in flight per host and the politeness gate off (it serialises requests per host;
it is covered by its own tests). Everything else — challenge classifier, encoding fixes, conditional
requests, archive → parse → store — is the production stack. The sites are smaller than the test
replicas (`DEMO_AGENCIES` × `DEMO_YEARS` reports each, `DEMO_FULL_FILES` attachments rendered as whole
reports) so the demo stays quick.
"""

from __future__ import annotations

import os
import threading

import typer

#: Reports per demo site: agencies × years (the test replicas are larger, to page more).
DEMO_AGENCIES = 2
DEMO_YEARS = (2023, 2024)
DEMO_FULL_FILES = 1

#: Settings for crawling 127.0.0.1 replicas (see the module docstring).
FAST_SETTINGS = {
    "DOWNLOAD_DELAY": 0,
    "AUTOTHROTTLE_ENABLED": False,
    "NIANBAOKU_PROFILE_DELAY": False,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
    "NIANBAOKU_POLITENESS_ENABLED": False,
    "TELNETCONSOLE_ENABLED": False,
}


#: First port of the demo portals (one per site, the attachment host first). Fixed ports keep the URLs —
#: and so the archive's knowledge — the same from one demo to the next; ``NIANBAOKU_DEMO_PORT`` moves them.
DEMO_PORT = 47310


def fixed_port_replica(specs: list, first_port: int):
    """A `tests.replica.ReplicaServer` on ports ``first_port, first_port + 1, …`` (port 0 — any free
    port — for a port already taken, in which case a second demo sees new URLs rather than unchanged
    ones)."""
    from http.server import ThreadingHTTPServer

    from tests.replica.server import ReplicaServer, _Handler

    class FixedPortReplica(ReplicaServer):
        def start(self) -> None:
            for i, site in enumerate((self.oss, *self.sites.values())):
                try:
                    server = ThreadingHTTPServer(("127.0.0.1", first_port + i), _Handler)
                except OSError:
                    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
                server.daemon_threads = True
                server.site = site  # type: ignore[attr-defined]
                site.base = f"http://127.0.0.1:{server.server_address[1]}"
                thread = threading.Thread(target=server.serve_forever, name=f"demo-{site.name}", daemon=True)
                thread.start()
                self._servers.append(server)
                self._threads.append(thread)
            for site in self.sites.values():
                site.oss_base = self.oss.base

    return FixedPortReplica(specs)


def demo_specs() -> list:
    """One small replica site per family (same families and quirks as `tests.replica.default_specs`)."""
    import dataclasses

    from tests.replica.families import default_specs
    from tests.replica.sites import agency_names

    specs = default_specs()
    names = agency_names(DEMO_AGENCIES * len(specs))  # each portal publishes for its own agencies
    return [
        dataclasses.replace(
            spec,
            agencies=names[i * DEMO_AGENCIES : (i + 1) * DEMO_AGENCIES],
            years=DEMO_YEARS,
            full_files=DEMO_FULL_FILES,
        )
        for i, spec in enumerate(specs)
    ]


def demo(
    log_level: str = typer.Option("ERROR", "--log-level", help="Scrapy log level."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
) -> None:
    """Crawl local replica portals (every CMS family) into the store and show what was stored."""
    from rich.console import Console

    from crawler.commands.crawl import CrawlJob, check_store, render_summary, run_crawls
    from crawler.commands.status import _render, collect
    from crawler.config import resolve

    console = Console()
    check_store()
    config = resolve()
    console.print(f"[bold]nianbaoku demo[/bold]: replica portals on 127.0.0.1 → {config.database_url}")
    first_port = int(os.environ.get("NIANBAOKU_DEMO_PORT") or DEMO_PORT)
    with fixed_port_replica(demo_specs(), first_port) as replica:
        jobs = [CrawlJob(replica.profile(name)) for name in replica.sites]
        summaries = run_crawls(
            jobs,
            overrides={**FAST_SETTINGS, "LOG_LEVEL": log_level.upper()},
            console=console,
            progress=not no_progress,
        )
    render_summary(summaries, console)
    _render(collect())
    if not all(s.ok for s in summaries):
        raise typer.Exit(1)
