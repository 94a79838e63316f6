"""The azd template: every app setting it sets is one the app or the Functions host reads; azure.yaml, the
parameters file and the hooks fit together. (pycep-parser and checkov run in .ci/run, via infra/check.py.)"""

from __future__ import annotations

import json
import os
import re

import pytest
import yaml
from pydantic import AliasChoices

from catalog_tools.config import Settings
from tests.bicep import app_setting_names, app_setting_names_in, params
from tests.support import REPO_ROOT as REPO

INFRA = REPO / "infra"
FUNCTION_BICEP = INFRA / "app" / "function.bicep"

# Settings the Functions host reads, not the app (compared case-insensitively, like the host's configuration).
HOST_SETTINGS = {
    # Identity-based connection of the host's own storage (AzureWebJobsStorage), with no connection string:
    "azurewebjobsstorage__accountname",  # the storage account's name
    "azurewebjobsstorage__credential",  # "managedidentity"
    "azurewebjobsstorage__clientid",  # which user-assigned identity
    # The host's Application Insights telemetry:
    "applicationinsights_connection_string",  # where it goes
    "applicationinsights_authentication_string",  # "Authorization=AAD;ClientId=...": Entra auth (local auth off)
}


def app_read_names() -> set[str]:
    """Every environment name `catalog_tools.config.Settings` reads: field names (with any env_prefix) and aliases."""
    prefix = str(Settings.model_config.get("env_prefix") or "")
    names: set[str] = set()
    for name, field in Settings.model_fields.items():
        names.add(f"{prefix}{name}".lower())
        for alias in (field.alias, field.validation_alias):
            if isinstance(alias, str):
                names.add(alias.lower())
            elif isinstance(alias, AliasChoices):
                names.update(choice.lower() for choice in alias.choices if isinstance(choice, str))
    return names


def unread_settings(names: list[str]) -> list[str]:
    known = app_read_names() | HOST_SETTINGS
    return [name for name in names if name.lower() not in known]


def template_settings() -> list[str]:
    return app_setting_names(FUNCTION_BICEP.read_text(encoding="utf-8"))


def test_every_app_setting_of_the_template_is_read():
    assert unread_settings(template_settings()) == []


def test_only_function_bicep_sets_app_settings():
    assert list(app_setting_names_in(INFRA)) == [FUNCTION_BICEP]


def test_the_template_sets_what_the_deployment_needs():
    names = template_settings()
    assert len(names) == len(set(names)), "a setting is set twice"
    assert {"TRACE_STORE", "SCORE_AUTH_DISABLED", "TOOL_API_KEY", "AzureWebJobsStorage__accountName",
            "AzureWebJobsStorage__credential", "AzureWebJobsStorage__clientId",
            "APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"} <= set(names)
    # Flex Consumption rejects these: the runtime comes from functionAppConfig.
    assert not {"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION"} & {n.upper() for n in names}


@pytest.mark.parametrize(("right", "typo"), [("TRACE_STORE", "TRACE_STOER"), ("TOOL_API_KEY", "TOOL_APIKEY"),
                                             ("AzureWebJobsStorage__accountName", "AzureWebJobsStorage_accountName")])
def test_a_misspelled_setting_is_caught(right, typo):
    text = FUNCTION_BICEP.read_text(encoding="utf-8")
    assert f"'{right}'" in text
    names = app_setting_names(text.replace(f"'{right}'", f"'{typo}'"))
    assert unread_settings(names) == [typo]


def test_the_reader_handles_object_settings_comments_and_interpolation():
    text = """
    resource site 'Microsoft.Web/sites@2024-04-01' = {
      name: 'x' // a comment with { braces
      properties: {
        siteConfig: {
          /* appSettings: [ { name: 'COMMENTED_OUT' } ] */
          appSettings: [
            { name: 'A', value: '${concat('}', '{')}' }
            {
              name: 'B'
              value: cond ? 'x' : 'y'
            }
          ]
        }
      }
    }
    resource settings 'Microsoft.Web/sites/config@2024-04-01' = if (deploySettings) {
      parent: site
      name: 'appsettings'
      properties: {
        C: 'c'
        'D': '''multi
    line: value'''
        E: { nested: 'not a setting' }
      }
    }
    resource other 'Microsoft.Web/sites/config@2024-04-01' = {
      name: 'web'
      properties: { NOT_SETTINGS: true }
    }
    """
    assert app_setting_names(text) == ["C", "D", "E", "A", "B"]


@pytest.mark.parametrize("text", [
    "resource s 'Microsoft.Web/sites/config@2024-04-01' = {\n name: 'appsettings'\n properties: union(a, b)\n}",
    "resource s 'Microsoft.Web/sites@2024-04-01' = {\n properties: { siteConfig: { appSettings: settings } }\n}",
    "resource s 'Microsoft.Web/sites@2024-04-01' = {\n properties: { siteConfig: { appSettings: [\n"
    "  { name: '${prefix}_A', value: 'x' }\n ] } }\n}",
])
def test_settings_that_cannot_be_read_literally_are_an_error(text):
    with pytest.raises(ValueError):
        app_setting_names(text)


def test_azure_yaml_deploys_function_app_as_a_python_function():
    config = yaml.safe_load((REPO / "azure.yaml").read_text(encoding="utf-8"))
    functions = {name: service for name, service in config["services"].items() if service.get("host") == "function"}
    assert len(functions) == 1
    (name, service), = functions.items()
    assert (REPO / service["project"]).resolve() == REPO / "function_app"
    assert service["language"] in ("python", "py")
    assert (REPO / service["project"] / "function_app.py").is_file()
    # azd finds the app to deploy by its azd-service-name tag, which main.bicep gives as serviceName.
    assert f"serviceName: '{name}'" in (INFRA / "main.bicep").read_text(encoding="utf-8")
    assert config["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}


def test_azure_yaml_hooks_exist_and_posix_ones_are_executable_sh_scripts():
    hooks = yaml.safe_load((REPO / "azure.yaml").read_text(encoding="utf-8"))["hooks"]
    assert set(hooks) == {"preprovision", "postprovision", "postdeploy"}
    for hook in hooks.values():
        posix = REPO / hook["posix"]["run"]
        assert hook["posix"]["shell"] == "sh" and posix.is_file() and os.access(posix, os.X_OK)
        assert posix.read_text(encoding="utf-8").startswith("#!/bin/sh\n")
        assert (REPO / hook["windows"]["run"]).is_file()


def test_parameters_file_matches_main_bicep():
    declared = params((INFRA / "main.bicep").read_text(encoding="utf-8"))
    given = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert set(given) <= set(declared), "main.parameters.json gives a parameter main.bicep does not declare"
    required = {name for name, has_default in declared.items() if not has_default}
    assert required <= set(given), "a parameter without default is not mapped in main.parameters.json"
    assert given["toolApiKey"]["value"] == "${TOOL_API_KEY}"
    # azd's ${NAME=default}: the default must be the Bicep's own, so both deployment paths agree.
    main = (INFRA / "main.bicep").read_text(encoding="utf-8")
    for name, entry in given.items():
        default = re.fullmatch(r"\$\{\w+=(.*)\}", entry["value"])
        if default:
            assert re.search(rf"^param {name} \w+ = '?{re.escape(default[1])}'?$", main, re.MULTILINE), name


def test_the_tool_key_parameter_is_secure_and_never_an_output():
    main = (INFRA / "main.bicep").read_text(encoding="utf-8")
    assert "@secure()\n@minLength(32)\n@description(" in main and "param toolApiKey string\n" in main
    for path in INFRA.rglob("*.bicep"):
        outputs = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("output ")]
        assert not [line for line in outputs if "toolApiKey" in line or "TOOL_API_KEY" in line], path


def test_no_registry_modules():
    for path in INFRA.rglob("*.bicep"):
        text = path.read_text(encoding="utf-8")
        assert "br/public:" not in text and "br:" not in text, f"{path}: registry modules cannot be checked offline"
