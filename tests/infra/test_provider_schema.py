"""infra/terraform against the azurerm provider's own schema, offline.

`terraform validate` needs the provider binary from the registry, which this machine cannot reach;
the schema it would check against is read instead from HashiCorp's prebuilt CDKTF bindings on PyPI
(`make setup-provider-schema` writes one per azurerm release into .cache/provider-schema): the
release at the lower bound of the version constraint and the newest release with prebuilt bindings
(4.55.0 for both today: the Log Analytics custom tables need it).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from provider_schema import ProviderSchema, check_module
from tf_model import REPO, TERRAFORM_DIR, TerraformModule

SCHEMA_DIR = REPO / ".cache" / "provider-schema"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def azurerm_constraint(tf: TerraformModule) -> str:
    (terraform,) = tf.terraform
    (required,) = terraform["required_providers"]
    return str(required["azurerm"]["version"])


def lower_bound(constraint: str) -> str:
    match = re.search(r">=\s*([0-9]+\.[0-9]+\.[0-9]+)", constraint)
    assert match, f"azurerm constraint {constraint!r} has no '>=' lower bound"
    return match.group(1)


@pytest.fixture(scope="module")
def schemas() -> dict[str, ProviderSchema]:
    paths = sorted(SCHEMA_DIR.glob("azurerm-*.json"))
    if not paths:
        pytest.fail(f"{SCHEMA_DIR.relative_to(REPO)} is empty: run `make setup-provider-schema` (part of `make setup`)")
    loaded = {p.stem.removeprefix("azurerm-"): ProviderSchema.load(p) for p in paths}
    for version, schema in loaded.items():
        assert schema.provider_version == version, f"{version}: read from {schema.source_package}"
    return loaded


def test_the_constraint_admits_only_releases_from_the_checked_lower_bound(tf: TerraformModule) -> None:
    constraint = azurerm_constraint(tf)
    assert re.fullmatch(r">= 4\.[0-9]+\.[0-9]+, < 5\.0\.0", constraint), constraint


def test_the_schema_of_the_lower_bound_is_at_hand(tf: TerraformModule, schemas: dict[str, ProviderSchema]) -> None:
    low = lower_bound(azurerm_constraint(tf))
    assert low in schemas, f"no schema for the lower bound {low} (have {sorted(schemas)}): update AZURERM_SCHEMAS"
    assert all(_version(v) >= _version(low) and v.startswith("4.") for v in schemas), sorted(schemas)


def test_every_resource_argument_and_block_exists_in_each_schema(schemas: dict[str, ProviderSchema]) -> None:
    report = {version: check_module(TERRAFORM_DIR, schema) for version, schema in schemas.items()}
    assert report and not any(report.values()), "\n".join(f"azurerm {v}: {p}" for v, ps in report.items() for p in ps)


def test_the_schema_is_the_provider_s_own_not_an_empty_one(schemas: dict[str, ProviderSchema]) -> None:
    for schema in schemas.values():
        assert len(schema.resources) > 1000 and len(schema.data_sources) > 300, schema.source_package
        vault = schema.resources["azurerm_key_vault"]
        assert vault.arguments["tenant_id"].required and not vault.arguments["rbac_authorization_enabled"].required
        assert vault.blocks["network_acls"].single and not vault.blocks["contact"].single


# --- the check catches what terraform validate would ----------------------------------------


@pytest.fixture()
def newest(schemas: dict[str, ProviderSchema]) -> ProviderSchema:
    return schemas[max(schemas, key=_version)]


@pytest.fixture()
def module_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM_DIR, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not unique in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_misspelt_argument_fails(module_copy: Path, newest: ProviderSchema) -> None:
    _edit(module_copy / "keyvault.tf", "purge_protection_enabled   = true", "purge_protection_enable    = true")
    assert check_module(module_copy, newest) == [
        "azurerm_key_vault.main: argument 'purge_protection_enable' does not exist in the provider schema"
    ]


def test_a_misspelt_nested_argument_fails(module_copy: Path, newest: ProviderSchema) -> None:
    _edit(module_copy / "function.tf", "http2_enabled                          = true", "http_2_enabled = true")
    assert check_module(module_copy, newest) == [
        "azurerm_function_app_flex_consumption.main.site_config: argument 'http_2_enabled' does not exist "
        "in the provider schema"
    ]


def test_an_unknown_block_a_repeated_single_block_and_a_missing_required_argument_fail(
    module_copy: Path, newest: ProviderSchema
) -> None:
    (module_copy / "extra.tf").write_text(
        'resource "azurerm_key_vault" "extra" {\n'
        '  name                = "kv"\n'
        '  location            = "westeurope"\n'
        '  resource_group_name = "rg"\n'
        '  sku_name            = "standard"\n'
        "  network_acls {\n    default_action = \"Deny\"\n    bypass = \"None\"\n  }\n"
        "  network_acls {\n    default_action = \"Allow\"\n    bypass = \"None\"\n  }\n"
        "  firewall {\n    enabled = true\n  }\n"
        "}\n"
        'data "azurerm_no_such_thing" "x" {}\n',
        encoding="utf-8",
    )
    assert sorted(check_module(module_copy, newest)) == sorted([
        "azurerm_key_vault.extra: block 'network_acls' may appear once, found 2",
        "azurerm_key_vault.extra: block 'firewall' does not exist in the provider schema",
        "azurerm_key_vault.extra: required argument 'tenant_id' is missing",
        "data.azurerm_no_such_thing.x: data type azurerm_no_such_thing does not exist in azurerm "
        f"{newest.provider_version}",
    ])


def test_dynamic_blocks_and_missing_required_blocks_are_checked(module_copy: Path, newest: ProviderSchema) -> None:
    (module_copy / "extra.tf").write_text(
        'resource "azurerm_container_app" "extra" {\n'
        '  name = "a"\n  container_app_environment_id = "e"\n  resource_group_name = "rg"\n  revision_mode = "Single"\n'
        '  dynamic "secrets" {\n    for_each = []\n    content {\n      name = "x"\n    }\n  }\n'
        '  dynamic "secret" {\n    for_each = []\n    content {\n      nam = "x"\n    }\n  }\n'
        "}\n",
        encoding="utf-8",
    )
    assert sorted(check_module(module_copy, newest)) == sorted([
        "azurerm_container_app.extra: dynamic block 'secrets' is not a block of the provider schema",
        "azurerm_container_app.extra.secret: argument 'nam' does not exist in the provider schema",
        "azurerm_container_app.extra.secret: required argument 'name' is missing",
        "azurerm_container_app.extra: required block 'template' is missing",
    ])
