"""Who may read which stores: Microsoft Entra ID groups mapped to regions and stores.

In Azure the reports API sits behind App Service authentication (Easy Auth) with Microsoft Entra
ID: unauthenticated calls never reach the code, and the platform passes the signed-in user to the
function as the header ``X-MS-CLIENT-PRINCIPAL`` (base64 JSON with the token's claims; App Service
removes any such header a client sends itself). The ``groups`` claims are Entra group object ids;
the setting ``FOOTFALL_REPORTS_ACCESS`` (JSON, inline or a file) maps them to what they may read::

    {"groups": {"6b0f...": {"regions": ["Nordics"]},
                "9a3c...": {"stores": ["S0101", "S0102"]},
                "c1d2...": {"regions": ["*"]}}}

In Azure Terraform renders it from ``powerbi/access_groups.csv``, the one mapping of groups to
regions and stores, which the Power BI model's roles are made from too. A user reads the union of
their groups' regions and stores (``*``: every store). Every query is
filtered to that :class:`Scope`; asking for another region or store is 403, no identity 401.
Locally (``FOOTFALL_REPORTS_AUTH=none``) the dashboard serves loopback only and reads everything.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

PRINCIPAL_HEADER = "x-ms-client-principal"
GROUPS_CLAIM = "groups"
EVERYTHING = "*"


class AccessDenied(Exception):
    """The caller may not read what it asked for (HTTP 403)."""


class NotAuthenticated(Exception):
    """No identity came with the request (HTTP 401)."""


@dataclass(frozen=True)
class Scope:
    """The stores a caller may read: whole regions and single stores (``regions=None``: everything)."""

    regions: frozenset[str] | None = None
    stores: frozenset[str] = frozenset()

    @property
    def everything(self) -> bool:
        """Whether the caller reads every store."""
        return self.regions is None

    @property
    def empty(self) -> bool:
        """Whether the caller may read nothing at all."""
        return self.regions is not None and not self.regions and not self.stores

    def allows(self, store_id: str | None, region: str | None) -> bool:
        """Whether a store (with its region) may be read."""
        if self.regions is None:
            return True
        return (store_id is not None and store_id in self.stores) or (region is not None and region in self.regions)

    def allows_region(self, region: str) -> bool:
        """Whether a whole region may be read."""
        return self.regions is None or region in self.regions


ALL = Scope()
"""Everything: the local dashboard on loopback, or a group mapped to ``*``."""


class Grant(BaseModel):
    """What one Entra group may read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    regions: tuple[str, ...] = Field(default=(), description="Sales regions, or '*' for every store.")
    stores: tuple[str, ...] = Field(default=(), description="Single stores by store_id.")


class AccessMap(BaseModel):
    """``FOOTFALL_REPORTS_ACCESS``: Entra group object id -> what its members may read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    groups: dict[str, Grant] = Field(default_factory=dict)

    @classmethod
    def parse(cls, value: str | None) -> AccessMap:
        """Read the setting: inline JSON, or the path of a JSON file. Empty: nobody is granted anything."""
        if not value or not value.strip():
            return cls()
        text = value.strip()
        if not text.startswith("{"):
            path = Path(text)
            if not path.is_file():
                raise ValueError(f"FOOTFALL_REPORTS_ACCESS names {text!r}, which is neither JSON nor a file")
            text = path.read_text(encoding="utf-8")
        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise ValueError(f"FOOTFALL_REPORTS_ACCESS is not a valid access map: {exc}") from None

    def scope_of(self, groups: set[str]) -> Scope:
        """The union of the grants of ``groups``."""
        regions: set[str] = set()
        stores: set[str] = set()
        for group in groups:
            grant = self.groups.get(group)
            if grant is None:
                continue
            if EVERYTHING in grant.regions:
                return ALL
            regions.update(grant.regions)
            stores.update(grant.stores)
        return Scope(regions=frozenset(regions), stores=frozenset(stores))


def principal_groups(headers: Mapping[str, str]) -> set[str] | None:
    """The ``groups`` claims of ``X-MS-CLIENT-PRINCIPAL``; ``None`` when there is no (readable) principal."""
    lowered = {k.lower(): v for k, v in headers.items()}
    raw = lowered.get(PRINCIPAL_HEADER)
    if not raw:
        return None
    try:
        principal = json.loads(base64.b64decode(raw, validate=False))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(principal, dict) or not isinstance(principal.get("claims"), list):
        return None
    return {str(c.get("val")) for c in principal["claims"]
            if isinstance(c, dict) and c.get("typ") == GROUPS_CLAIM and c.get("val")}


def encode_principal(groups: list[str], name: str = "manager@example.com") -> str:
    """An ``X-MS-CLIENT-PRINCIPAL`` value as App Service authentication builds it for an Entra ID user."""
    claims = [{"typ": "name", "val": name}, *({"typ": GROUPS_CLAIM, "val": g} for g in groups)]
    body = {"auth_typ": "aad", "claims": claims, "name_typ": "name",
            "role_typ": "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"}
    return base64.b64encode(json.dumps(body).encode()).decode()


@dataclass(frozen=True)
class AccessPolicy:
    """How a request's scope is decided: ``none`` (local, loopback: everything) or ``app_service``."""

    mode: str
    access: AccessMap

    def scope(self, headers: Mapping[str, str]) -> Scope:
        """The caller's scope; raises :class:`NotAuthenticated` without an identity."""
        if self.mode == "none":
            return ALL
        groups = principal_groups(headers)
        if groups is None:
            raise NotAuthenticated("sign in with Microsoft Entra ID")
        return self.access.scope_of(groups)


OPEN = AccessPolicy("none", AccessMap())
