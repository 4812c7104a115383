"""Blueprint ``redrive_uploads``: a timer that re-drives photos left in ``uploads`` (see :mod:`functions.redrive`).

The schedule is the app setting ``FOOTFALL_REDRIVE_SCHEDULE`` (NCRONTAB with seconds, default every
5 minutes), read when the app is indexed: :func:`blueprint` builds the blueprint then, so a host
that imports ``function_app`` afresh (the Functions worker at start-up, ``footfall host``) sees the
setting of that moment. The local trigger host runs it on the same schedule.
"""

from __future__ import annotations

import azure.functions as func

from functions.redrive import get_redriver
from functions.settings import get_binding_settings


def schedule() -> str:
    """``FOOTFALL_REDRIVE_SCHEDULE``, else the settings model's default."""
    return get_binding_settings().redrive_schedule


def blueprint() -> func.Blueprint:
    """A blueprint with the ``redrive_uploads`` timer on the schedule set now."""
    bp = func.Blueprint()

    @bp.function_name("redrive_uploads")
    @bp.timer_trigger(schedule=schedule(), arg_name="timer", run_on_startup=False, use_monitor=True)
    def redrive_uploads(timer: func.TimerRequest) -> None:
        """Write again the photos left in ``uploads`` once the face service and the event sink answer."""
        get_redriver().run()

    return bp
