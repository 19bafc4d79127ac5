"""CLI commands, one module each, imported lazily by `crawler.cli`."""
