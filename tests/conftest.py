from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from catalog_tools.search import Catalog
from tests.support import make_app, shipped_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return shipped_catalog()


@pytest.fixture()
def client() -> TestClient:
    """The app with both auth switches off, through FastAPI's test client."""
    with TestClient(make_app()) as c:
        yield c


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    """A shared Azurite table service for the session (tests use distinct tables or trace ids)."""
    from tests.azurite import start_azurite

    server = start_azurite(tmp_path_factory.mktemp("azurite"))
    yield server
    server.stop()
