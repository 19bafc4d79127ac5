"""nianbaoku's Scrapy project: settings, pipelines, middlewares and the command line (`python -m crawler`)."""

__version__ = "0.1.0"
