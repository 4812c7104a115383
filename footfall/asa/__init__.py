"""The local Stream Analytics engine: runs ``stream_analytics/*.asaql`` on DuckDB.

* :func:`run_job` - run the project's job on local files (``footfall asa run``).
* :func:`run_tests` - run ``test/testConfig.json`` (``footfall asa test``).
* :class:`Engine` - run any query text with a :class:`JobConfig` over :class:`InputSource` files.
"""

from footfall.asa.config import AsaProject, JobConfig, TestConfig
from footfall.asa.engine import Engine
from footfall.asa.errors import AsaError, AsaSyntaxError, UnsupportedConstruct
from footfall.asa.inputs import InputSource
from footfall.asa.job import run_job
from footfall.asa.testing import run_tests

__all__ = [
    "AsaError", "AsaProject", "AsaSyntaxError", "Engine", "InputSource", "JobConfig", "TestConfig",
    "UnsupportedConstruct", "run_job", "run_tests",
]
