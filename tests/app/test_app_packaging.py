"""Every package of the deployed app is listed in pyproject.toml (the editable install and the wheel find only what
is listed) and lives under function_app/ (what `func azure functionapp publish` uploads)."""

from __future__ import annotations

import warnings

from setuptools.config.pyprojecttoml import read_configuration  # setuptools reads TOML on Python 3.10 too

from tests.support import REPO_ROOT as ROOT


def test_every_catalog_tools_package_is_listed_and_inside_function_app():
    with warnings.catch_warnings():  # older setuptools call [tool.setuptools] "beta"
        warnings.simplefilter("ignore")
        setuptools = read_configuration(ROOT / "pyproject.toml", expand=False)["tool"]["setuptools"]
    app_root = ROOT / "function_app"
    found = {".".join(p.parent.relative_to(app_root).parts) for p in (app_root / "catalog_tools").rglob("__init__.py")
             if "__pycache__" not in p.parts}
    listed = {name for name in setuptools["packages"] if name.split(".")[0] == "catalog_tools"}
    assert found == listed and {"catalog_tools.http", "catalog_tools.search", "catalog_tools.tools"} <= found
    assert setuptools["package-dir"]["catalog_tools"] == "function_app/catalog_tools"
    # Every module folder of the app is a package (a folder without __init__.py would be left out of the install).
    folders = {p.parent for p in (app_root / "catalog_tools").rglob("*.py")}
    assert all((folder / "__init__.py").exists() for folder in folders)
