from __future__ import annotations

import pytest
from catalog_tools.catalog import Catalog
from fastapi.testclient import TestClient

from tests.support import make_app, shipped_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return shipped_catalog()


@pytest.fixture()
def client() -> TestClient:
    """The app with both auth switches off, through FastAPI's test client."""
    with TestClient(make_app()) as c:
        yield c
