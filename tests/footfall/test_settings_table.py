"""The settings tables of functions/README.md and face_service/README.md are what the settings models say
(``python -m footfall.settings_table``)."""

from __future__ import annotations

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from footfall.settings_table import TABLES, Table, main, settings_table, with_table


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.readme.parent.name)
def test_the_committed_table_is_what_the_models_generate(table: Table) -> None:
    text = table.readme.read_text(encoding="utf-8")
    assert with_table(text, table) == text, "stale settings table: run .venv/bin/python -m footfall.settings_table"


def test_every_setting_has_a_meaning() -> None:
    for table in TABLES:
        for model in table.models:
            assert [n for n, f in model.model_fields.items() if not f.description] == [], model.__name__


def test_a_new_setting_appears_with_its_variables_default_and_meaning() -> None:
    class Example(BaseSettings):
        retries: int = Field(default=3, validation_alias="FOOTFALL_RETRIES", description="How often | to try.")
        endpoint: str | None = Field(default=None, validation_alias="FOOTFALL_ENDPOINT",
                                     description="Where FOOTFALL_RETRIES applies, e.g. https://<name>.example.")

    assert settings_table((Example,)).splitlines()[2:] == [
        r"| `FOOTFALL_RETRIES` | `3` | How often \| to try. |",
        "| `FOOTFALL_ENDPOINT` | unset | Where `FOOTFALL_RETRIES` applies, e.g. `https://<name>.example`. |",
    ]


def test_a_model_with_an_env_prefix_lists_each_field_under_the_prefix() -> None:
    class Prefixed(BaseSettings):
        model_config = SettingsConfigDict(env_prefix="FOOTFALL_FACE_")
        max_side: int = Field(default=4096, description="Largest side.")

    assert settings_table((Prefixed,)).splitlines()[2:] == ["| `FOOTFALL_FACE_MAX_SIDE` | `4096` | Largest side. |"]


def test_check_mode_reports_a_stale_readme(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = TABLES[0]
    stale = tmp_path / "README.md"
    stale.write_text(table.readme.read_text(encoding="utf-8").replace("| `FOOTFALL_K` |", "| `FOOTFALL_KAY` |"))
    monkeypatch.setattr("footfall.settings_table.TABLES", (Table(stale, table.models),))
    assert main(["--check"]) == 1
    assert main([]) == 0 and main(["--check"]) == 0
