"""Fixtures of the infra tests."""

from __future__ import annotations

import pytest
from tf_model import TERRAFORM_DIR, TerraformModule


@pytest.fixture(scope="session")
def tf() -> TerraformModule:
    """The whole ``infra/terraform`` module, parsed once."""
    return TerraformModule.load(TERRAFORM_DIR)
