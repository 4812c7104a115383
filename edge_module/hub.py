"""The link to IoT Edge: module twin (live configuration) and telemetry, through
``azure-iot-device``'s :class:`IoTHubModuleClient`, with a fallback that logs when there is no hub.

Desired properties use the field names of :class:`~edge_module.config.LiveConfig`, e.g.::

    {"timezone": "Europe/Paris", "opening_hours": {"daily": "09:00-20:00", "sun": "closed"},
     "capture": {"min_interval_s": 5}, "detector": {"min_score": 0.6}}

A property set to ``null`` falls back to the value from the environment / config file. Every
accepted patch is applied live and reported back as ``config`` (the effective live config) and
``config_status`` (``applied`` or ``rejected`` with the error, and the desired ``$version``).
A rejected patch changes nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from azure.iot.device import IoTHubModuleClient, Message

from edge_module.camera_credentials import has_password
from edge_module.config import LIVE_KEYS, EdgeRuntime, LiveConfig, ModuleSettings, deep_merge
from edge_module.telemetry import TELEMETRY_SCHEMA, TelemetryMessage

log = logging.getLogger(__name__)



class Hub:
    """A connected module client, or none (then telemetry is logged and there is no twin)."""

    def __init__(self, client: IoTHubModuleClient | None, telemetry_output: str = "telemetry") -> None:
        self.client = client
        self.telemetry_output = telemetry_output

    @classmethod
    def connect(cls, settings: ModuleSettings) -> Hub:
        """Connect as the IoT Edge runtime set us up, or by ``IOTHUB_MODULE_CONNECTION_STRING``.

        ``use_hub=auto`` connects only when one of those is present; ``no`` never connects.
        """
        runtime = EdgeRuntime()
        in_edge = runtime.in_edge
        conn = runtime.module_connection_string.get_secret_value() if runtime.module_connection_string else None
        if settings.use_hub == "no" or (settings.use_hub == "auto" and not (in_edge or conn)):
            log.info("no IoT hub: configuration from env/file only, telemetry goes to the log")
            return cls(None, settings.telemetry_output)
        if in_edge:
            client = IoTHubModuleClient.create_from_edge_environment()
        elif conn:
            client = IoTHubModuleClient.create_from_connection_string(conn)
        else:
            raise RuntimeError("use_hub=yes but neither the IoT Edge environment nor IOTHUB_MODULE_CONNECTION_STRING "
                               "is set")
        client.connect()
        return cls(client, settings.telemetry_output)

    @property
    def connected(self) -> bool:
        """Whether there is a hub at all."""
        return self.client is not None

    def desired(self) -> dict[str, Any]:
        """The twin's full desired properties (``{}`` without a hub)."""
        if self.client is None:
            return {}
        return dict(self.client.get_twin().get("desired") or {})

    def on_desired_patch(self, handler: Callable[[dict[str, Any]], None]) -> None:
        """Call ``handler(patch)`` for every desired-properties patch."""
        if self.client is not None:
            self.client.on_twin_desired_properties_patch_received = handler

    def report(self, properties: Mapping[str, Any]) -> None:
        """Patch the twin's reported properties (logged without a hub)."""
        if self.client is None:
            log.info("reported properties (no hub): %s", dict(properties))
            return
        self.client.patch_twin_reported_properties(dict(properties))

    def send_telemetry(self, message: TelemetryMessage) -> None:
        """Send telemetry to the module's output (routed by edgeHub); logged without a hub.

        A failed send is logged, never raised: telemetry must not stop the camera.
        """
        body = message.to_json()
        if self.client is None:
            log.info("telemetry: %s", body)
            return
        msg = Message(body, content_encoding="utf-8", content_type="application/json")
        msg.custom_properties["schema"] = TELEMETRY_SCHEMA
        try:
            self.client.send_message_to_output(msg, self.telemetry_output)
        except Exception as exc:  # the SDK raises several unrelated types when offline
            log.warning("telemetry not sent (%s: %s): %s", type(exc).__name__, exc, body)

    def close(self) -> None:
        """Disconnect."""
        if self.client is not None:
            try:
                self.client.shutdown()
            except Exception as exc:
                log.warning("module client shutdown failed: %s", exc)


class LiveConfigManager:
    """Keeps the live configuration: base (env/file) overlaid with the twin's desired properties."""

    def __init__(self, base: LiveConfig, hub: Hub, on_change: Callable[[LiveConfig], None]) -> None:
        self.base = base
        self.hub = hub
        self.on_change = on_change
        self.current = base
        self._desired: dict[str, Any] = {}
        self._lock = threading.Lock()

    def start(self) -> LiveConfig:
        """Apply the twin's current desired properties and subscribe to patches."""
        if self.hub.connected:
            self.apply(self.hub.desired(), full=True)
            self.hub.on_desired_patch(self._on_patch)
        return self.current

    def _on_patch(self, patch: dict[str, Any]) -> None:
        self.apply(patch)

    def apply(self, patch: Mapping[str, Any], full: bool = False) -> bool:
        """Apply a desired-properties patch (or the full desired set); report the outcome.

        ``on_change`` runs first and may refuse the config by raising; returns whether it was applied.
        """
        version = patch.get("$version")
        with self._lock:
            # IoT Hub merges desired patches the same way, so this mirrors the twin's full desired set.
            desired = deep_merge({} if full else self._desired, patch)
            unknown = sorted(set(desired) - LIVE_KEYS)
            try:
                if unknown:
                    raise ValueError(f"unknown desired properties {unknown}; allowed: {sorted(LIVE_KEYS)}")
                new = self.base.patched(desired)
                if "cameras" in desired and (leaked := [c.id for c in new.cameras if has_password(c.source)]):
                    raise ValueError(f"cameras {leaked}: a password in the module twin; the twin holds camera URLs "
                                     "without one, the device's camera credentials file holds the passwords")
                self.on_change(new)
            except (ValueError, OSError, RuntimeError) as exc:
                log.warning("twin patch rejected, configuration unchanged: %s", exc)
                self.hub.report({"config_status": {"status": "rejected", "desired_version": version,
                                                   "error": str(exc)[:1000]}})
                return False
            self._desired = desired
            self.current = new
        log.info("configuration applied from the twin (desired $version %s)", version)
        self.hub.report({"config": new.reported(),
                         "config_status": {"status": "applied", "desired_version": version, "error": None}})
        return True
