"""The Terraform under ``infra/terraform`` parsed with python-hcl2, as the infra tests read it.

A module of its own (not conftest.py) so the tests can import it by a unique name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2 import SerializationOptions

REPO = Path(__file__).resolve().parents[2]
TERRAFORM_DIR = REPO / "infra" / "terraform"

_OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)
_LOCAL_REF = re.compile(r"\$\{local\.([A-Za-z0-9_]+)\}")


@dataclass
class RoleAssignment:
    """One ``azurerm_role_assignment``: role name, scope and principal as written (references)."""

    name: str
    role: str
    scope: str
    principal_id: str


@dataclass
class TerraformModule:
    """Blocks of every ``*.tf`` file in one directory, keyed the way Terraform addresses them."""

    directory: Path
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path) -> TerraformModule:
        module = cls(directory=directory)
        for path in sorted(directory.glob("*.tf")):
            text = path.read_text(encoding="utf-8")
            module.sources[path.name] = text
            parsed = hcl2.loads(text, serialization_options=_OPTIONS)
            for kind, target in (("resource", module.resources), ("data", module.data)):
                for block in parsed.get(kind, []):
                    for rtype, named in block.items():
                        for name, body in named.items():
                            assert name not in target.setdefault(rtype, {}), f"duplicate {rtype}.{name}"
                            target[rtype][name] = body
            for block in parsed.get("variable", []):
                module.variables.update(block)
            for block in parsed.get("output", []):
                module.outputs.update(block)
            for block in parsed.get("locals", []):
                module.locals.update(block)
            module.terraform.extend(parsed.get("terraform", []))
        return module

    def resource(self, rtype: str, name: str) -> dict[str, Any]:
        """The body of ``rtype.name``; fails the test with the known names if it is missing."""
        named = self.resources.get(rtype, {})
        assert name in named, f"{rtype}.{name} is not declared (have: {sorted(named)})"
        return named[name]

    def block(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        """A nested block that must appear exactly once (python-hcl2 gives blocks as lists)."""
        blocks = body.get(key)
        assert isinstance(blocks, list) and len(blocks) == 1, f"expected one '{key}' block, got {blocks!r}"
        return blocks[0]

    def resolve(self, expression: str) -> str:
        """Expand ``${local.x}`` and ``${path.module}`` inside a string expression."""
        previous = None
        while previous != expression:
            previous = expression
            expression = _LOCAL_REF.sub(lambda m: str(self.locals[m.group(1)]), expression)
            expression = expression.replace("${path.module}", str(self.directory))
        return expression

    def variable_default(self, reference: str) -> Any:
        """Default of the variable a ``${var.x}`` reference points to."""
        match = re.fullmatch(r"\$\{var\.([A-Za-z0-9_]+)\}", reference)
        assert match, f"{reference!r} is not a plain variable reference"
        variable = self.variables[match.group(1)]
        assert "default" in variable, f"variable {match.group(1)} has no default"
        return variable["default"]

    def role_assignments(self) -> list[RoleAssignment]:
        return [
            RoleAssignment(name, body["role_definition_name"], body["scope"], body["principal_id"])
            for name, body in self.resources.get("azurerm_role_assignment", {}).items()
        ]

    def roles_of(self, principal_prefix: str) -> dict[str, set[str]]:
        """Role name -> scopes granted to principals whose reference starts with the prefix."""
        granted: dict[str, set[str]] = {}
        for assignment in self.role_assignments():
            if assignment.principal_id.startswith("${" + principal_prefix):
                granted.setdefault(assignment.role, set()).add(assignment.scope)
        return granted
