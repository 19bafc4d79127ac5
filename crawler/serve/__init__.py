"""``python -m crawler serve``: the store in Datasette, with report pages (`crawler.serve.plugin`).

Modules: `store` (read-only access and the checks before serving), `metadata` (Datasette metadata from
the models), `layout` (the three tables as printed), `pages` (what a page shows), `plugin` (routes and
hooks), `app` (the Datasette instance). Templates are in ``templates/``.
"""
