"""The command line: ``python -m crawler <command>``.

Each command lives in its own module under `crawler/commands/`, listed in `COMMANDS`/`GROUPS` below.
Command modules keep their heavy imports inside the function body, so ``parse`` does not pay for the
database layer and ``status`` does not pay for pdfplumber.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="crawler",
    help="nianbaoku: archive crawler for government information-disclosure annual reports"
    " (政府信息公开工作年度报告).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# command name -> "module:function"; the module is imported on first use.
COMMANDS: dict[str, str] = {
    "status": "crawler.commands.status:status",
    "parse": "crawler.commands.parse:parse",
    "demo": "crawler.commands.demo:demo",
    "export": "crawler.commands.export:export",
    "coverage": "crawler.commands.coverage:coverage",
    "history": "crawler.commands.history:history",
    "crawl": "crawler.commands.crawl:crawl",
    "reparse": "crawler.commands.reparse:reparse",
    "serve": "crawler.commands.serve:serve",
}
# sub-command groups: name -> "module:typer_app"
GROUPS: dict[str, str] = {
    "db": "crawler.commands.db:app",
    "profiles": "crawler.commands.profiles:app",
}


def _load(target: str):
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def _register() -> None:
    for name, target in COMMANDS.items():
        try:
            app.command(name=name)(_load(target))
        except ModuleNotFoundError as exc:  # a command still being built must not break the others
            if exc.name and exc.name.startswith("crawler.commands"):
                continue
            raise
    for name, target in GROUPS.items():
        try:
            app.add_typer(_load(target), name=name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("crawler.commands"):
                continue
            raise


def main() -> None:
    _register()
    app()
