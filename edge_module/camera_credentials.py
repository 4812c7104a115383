"""Camera credentials: kept on the store's device, never in the module twin.

A store's cameras are described in the module twin (IoT Hub), which anyone allowed to read twins
sees in clear: the portal, ``az iot hub module-twin show``, IoT Hub Data Reader. So a camera's
``source`` there is its stream URL *without* a password (``rtsp://10.0.0.11/stream1``), and the
module refuses a twin whose camera URL carries one. The user names and passwords live in one JSON
file on the device, written by the installer at onboarding (mode 0640, group 1000), bound
read-only into the container and named by ``FOOTFALL_CAMERA_CREDENTIALS_FILE``::

    {"C01": {"username": "viewer", "password": "..."}, "*": {"username": "viewer", "password": "..."}}

Keys are camera ids; ``*`` is used for a camera that has no entry of its own. The file is read
each time a camera's stream is opened, so a changed password applies at the next reconnect; the
credentials are added to the URL only then, and never logged or reported (:func:`redact`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, RootModel, SecretStr

log = logging.getLogger(__name__)

DEFAULT_KEY = "*"
"""The entry used for a camera without one of its own."""
URL_SCHEMES = ("rtsp", "rtsps", "http", "https")
"""Sources that are URLs and can carry credentials."""


class CameraCredential(BaseModel):
    """A camera's user name and password, for its stream URL."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str = Field(min_length=1, description="the camera's (read-only) user")
    password: SecretStr = Field(description="its password; never logged, reported or put in the twin")


class CameraCredentials(RootModel[dict[str, CameraCredential]]):
    """The device's credentials file: camera id (or ``*``) -> credential."""

    root: dict[str, CameraCredential] = Field(default_factory=dict)

    def for_camera(self, camera_id: str) -> CameraCredential | None:
        """The camera's own entry, else the ``*`` entry, else none."""
        return self.root.get(camera_id) or self.root.get(DEFAULT_KEY)


def load_camera_credentials(path: Path | None) -> CameraCredentials:
    """The credentials file at ``path``; none when there is no path or no file (cameras without passwords)."""
    if path is None:
        return CameraCredentials()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        log.warning("camera credentials file %s not found: streams are opened without credentials", path)
        return CameraCredentials()
    return CameraCredentials.model_validate(json.loads(text))


def has_password(source: str) -> bool:
    """Whether a camera source is a URL carrying a password (which must not sit in the twin)."""
    parts = urlsplit(source)
    return parts.scheme.lower() in URL_SCHEMES and parts.password is not None


def with_credentials(source: str, credential: CameraCredential | None) -> str:
    """``source`` with the credential as its user info; unchanged for a non-URL source, without a
    credential, or when the URL already names a user (a local configuration's own choice)."""
    parts = urlsplit(source)
    if credential is None or parts.scheme.lower() not in URL_SCHEMES or parts.username is not None:
        return source
    user = quote(credential.username, safe="")
    password = quote(credential.password.get_secret_value(), safe="")
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.netloc}"))


def redact(source: str) -> str:
    """``source`` fit for a log or a reported property: a URL's password replaced by ``***``."""
    parts = urlsplit(source)
    if parts.scheme.lower() not in URL_SCHEMES or parts.password is None:
        return source
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
