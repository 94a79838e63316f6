"""Offline checks of the Bicep under infra/, run by .ci/run with the infra venv (pycep-parser and checkov):

1. every .bicep file parses with pycep-parser;
2. pycep reads the same app setting names as tests/bicep.py, the small reader the pytest checks use;
3. checkov (bicep framework, no download from its platform) reports no failed check; skips are justified inline.

Usage: .tools/infra-venv/bin/python infra/check.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent
REPO = INFRA.parent


def pycep_app_setting_names(document: dict) -> list[str]:
    """App setting names as pycep parsed them: `config` resources named 'appsettings', `siteConfig.appSettings`."""
    names: list[str] = []
    for resource in document.get("resources", {}).values():
        config = resource.get("config", {})
        is_config = str(resource.get("type", "")).lower() == "microsoft.web/sites/config"
        if is_config and config.get("name") == "appsettings":
            names.extend(config["properties"].keys())
        site_config = (config.get("properties") or {}).get("siteConfig") or {}
        names.extend(entry["name"] for entry in site_config.get("appSettings") or [])
    return names


def main() -> int:
    from pycep import BicepParser

    sys.path.insert(0, str(REPO))
    from tests.bicep import app_setting_names

    parser = BicepParser()
    failures = 0
    files = sorted(INFRA.rglob("*.bicep"))
    for path in files:
        try:
            document = parser.parse(file_path=path)
        except Exception as exc:  # lark raises several types: each is a parse failure
            print(f"{path.relative_to(REPO)}: does not parse: {exc}")
            failures += 1
            continue
        ours = app_setting_names(path.read_text(encoding="utf-8"))
        theirs = pycep_app_setting_names(document)
        if sorted(ours) != sorted(theirs):
            print(f"{path.relative_to(REPO)}: tests/bicep.py reads app settings {sorted(ours)}, pycep {sorted(theirs)}")
            failures += 1
    print(f"pycep-parser: {len(files) - failures} of {len(files)} Bicep files parse and agree with tests/bicep.py")
    checkov = Path(sys.executable).parent / "checkov"
    result = subprocess.run([str(checkov), "--framework", "bicep", "--skip-download", "--compact", "--quiet",
                             "-d", str(INFRA)], check=False)
    if result.returncode != 0:
        print("checkov: failed checks above (fix them, or skip one with a reason: //checkov:skip=CKV_AZURE_n:why)")
        failures += 1
    else:
        print("checkov: no failed check")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
