from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from catalog_tools.search import Catalog
from tests.azurite import AZURITE_MARKS
from tests.support import make_app, shipped_catalog


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that takes the `azurite` fixture is slow and integration even if it forgot to say so."""
    for item in items:
        if "azurite" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("integration"):
            for mark in AZURITE_MARKS:
                item.add_marker(mark)


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
