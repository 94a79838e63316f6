"""rftkit.util.envfile and `python -m rftkit set-env`: keys updated in place, every other line kept."""

from __future__ import annotations

import io
import os
import stat

import pytest
from dotenv import dotenv_values

from rftkit.__main__ import main
from rftkit.commands.set_env import parse_assignments
from rftkit.util.envfile import merge_env_text, quote_value, update_env_file

USER_ENV = """\
# Azure OpenAI
AZURE_OPENAI_ENDPOINT="https://mine.openai.azure.com"
AZURE_OPENAI_API_KEY="secret"

# Azure Function App
FUNC_APP_NAME="<your-function-app-name>"
# TOOL_BASE_URL="https://<your-function-app-name>.azurewebsites.net"
export RG=old-rg
FUNC_KEY="<functions-key>"
JOB_B_MODEL="o4-mini-2025-04-16"
"""


def test_updates_in_place_and_keeps_every_other_line():
    merged = merge_env_text(USER_ENV, {"FUNC_APP_NAME": "func-rft-abc", "RG": "rg-dev", "FUNC_KEY": "k" * 64,
                                       "TOOL_BASE_URL": "https://func-rft-abc-h4d.swedencentral-01.azurewebsites.net"})
    lines = merged.splitlines()
    assert lines[:5] == USER_ENV.splitlines()[:5]
    assert lines[5] == 'FUNC_APP_NAME="func-rft-abc"'
    assert lines[6] == '# TOOL_BASE_URL="https://<your-function-app-name>.azurewebsites.net"'  # comments stay
    assert lines[7] == 'export RG="rg-dev"'  # the export prefix stays
    assert lines[8] == f'FUNC_KEY="{"k" * 64}"'
    assert lines[9] == 'JOB_B_MODEL="o4-mini-2025-04-16"'
    assert lines[10] == 'TOOL_BASE_URL="https://func-rft-abc-h4d.swedencentral-01.azurewebsites.net"'  # appended
    assert len(lines) == 11 and merged.endswith("\n")


def test_the_result_reads_back_with_python_dotenv(tmp_path):
    tricky = 'a "quoted" \\ value with # and $HOME'
    path = tmp_path / ".env"
    path.write_text(USER_ENV, encoding="utf-8")
    update_env_file(path, {"FUNC_KEY": tricky, "RG": "rg-dev"})
    values = dotenv_values(path)
    assert values["FUNC_KEY"] == tricky
    assert values["RG"] == "rg-dev"
    assert values["AZURE_OPENAI_API_KEY"] == "secret"


def test_every_duplicate_is_updated_because_the_last_one_wins():
    merged = merge_env_text("FUNC_KEY=one\nX=1\nFUNC_KEY=two\n", {"FUNC_KEY": "new"})
    assert merged == 'FUNC_KEY="new"\nX=1\nFUNC_KEY="new"\n'
    assert dotenv_values(stream=io.StringIO(merged))["FUNC_KEY"] == "new"


def test_lines_inside_another_multiline_value_are_not_assignments():
    text = 'CERT="-----BEGIN\nFUNC_KEY=not-a-setting\n-----END"\nFUNC_KEY=old\n'
    merged = merge_env_text(text, {"FUNC_KEY": "new"})
    assert merged == 'CERT="-----BEGIN\nFUNC_KEY=not-a-setting\n-----END"\nFUNC_KEY="new"\n'


def test_a_replaced_multiline_value_loses_its_continuation_lines():
    merged = merge_env_text("A=1\nFUNC_KEY='line one\nline two'\nB=2\n", {"FUNC_KEY": "new"})
    assert merged == 'A=1\nFUNC_KEY="new"\nB=2\n'


def test_crlf_files_stay_crlf_and_a_missing_final_newline_is_added():
    assert merge_env_text("A=1\r\nB=2", {"B": "3", "C": "4"}) == 'A=1\r\nB="3"\r\nC="4"\r\n'
    assert merge_env_text("A=1", {"C": "4"}) == 'A=1\nC="4"\n'
    assert merge_env_text("", {"C": "4"}) == 'C="4"\n'


@pytest.mark.parametrize("name", ["1ABC", "A-B", "A B", ""])
def test_invalid_names_are_refused(name):
    with pytest.raises(ValueError, match="not a valid .env variable name"):
        merge_env_text("", {name: "x"})


def test_values_must_fit_on_one_line():
    with pytest.raises(ValueError, match="one line"):
        quote_value("a\nb")


def test_a_new_file_is_private_and_an_existing_one_keeps_its_mode(tmp_path):
    new = tmp_path / "sub" / ".env"
    update_env_file(new, {"A": "1"})
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    existing = tmp_path / "existing.env"
    existing.write_text("B=2\n", encoding="utf-8")
    os.chmod(existing, 0o640)
    update_env_file(existing, {"A": "1"})
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    assert existing.read_text(encoding="utf-8") == 'B=2\nA="1"\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing.env", "sub"]  # no temporary file left


def test_a_symlinked_env_keeps_its_link(tmp_path):
    target = tmp_path / "real.env"
    target.write_text("A=1\n", encoding="utf-8")
    link = tmp_path / ".env"
    link.symlink_to(target)
    update_env_file(link, {"B": "2"})
    assert link.is_symlink() and target.read_text(encoding="utf-8") == 'A=1\nB="2"\n'


def test_set_env_command_takes_bare_names_from_the_environment(tmp_path, monkeypatch, capsys):
    path = tmp_path / ".env"
    path.write_text(USER_ENV, encoding="utf-8")
    monkeypatch.setenv("FUNC_KEY", "from-the-environment")
    assert main(["set-env", "--file", str(path), "FUNC_KEY", "RG=rg-cli"]) == 0
    values = dotenv_values(path)
    assert (values["FUNC_KEY"], values["RG"]) == ("from-the-environment", "rg-cli")
    out = capsys.readouterr().out
    assert "FUNC_KEY, RG" in out and "from-the-environment" not in out  # names only, never values


def test_set_env_command_refuses_an_unset_name_and_writes_nothing(tmp_path, monkeypatch, capsys):
    path = tmp_path / ".env"
    path.write_text("A=1\n", encoding="utf-8")
    monkeypatch.delenv("RFTKIT_SURELY_UNSET", raising=False)
    assert main(["set-env", "--file", str(path), "A=2", "RFTKIT_SURELY_UNSET"]) == 2
    assert "RFTKIT_SURELY_UNSET is not set in the environment" in capsys.readouterr().err
    assert path.read_text(encoding="utf-8") == "A=1\n"


def test_parse_assignments_keeps_equals_signs_in_values():
    assert parse_assignments(["URL=https://x/?a=b"], {}) == {"URL": "https://x/?a=b"}
