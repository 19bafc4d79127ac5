"""Pytest fixtures for the replica portals; import them into a test module to use them.

from tests.replica.fixtures import replica  # noqa: F401  (pytest finds it by name)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.replica.families import default_specs
from tests.replica.server import ReplicaServer


@pytest.fixture(scope="module")
def replica() -> Iterator[ReplicaServer]:
    """Every default replica site on 127.0.0.1, for the whole test module."""
    with ReplicaServer(default_specs()) as server:
        yield server
