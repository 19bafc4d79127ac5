"""Replica government portals on 127.0.0.1 for offline spider tests (see `tests.replica.server`)."""

from tests.replica.families import default_specs
from tests.replica.server import ReplicaServer
from tests.replica.sites import SiteSpec, agency_names

__all__ = ["ReplicaServer", "SiteSpec", "agency_names", "default_specs"]
