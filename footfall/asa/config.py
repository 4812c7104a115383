"""Pydantic models of the Stream Analytics project files (VS Code layout) and of testConfig.json.

Field names follow Microsoft's JSON keys through aliases, so the files stay exactly what the
Azure Stream Analytics tools read, while the code uses snake_case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from footfall.asa.errors import AsaError


class _AsaModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="allow", frozen=True)


def _load_json(path: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8-sig"))
        return data
    except FileNotFoundError:
        raise AsaError(f"{path}: file not found") from None
    except json.JSONDecodeError as exc:
        raise AsaError(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from None


class JobConfig(_AsaModel):
    """``JobConfig.json``: the job settings the local engine honours (event ordering policies).

    ``events_late_arrival_max_delay_s`` = -1 means an indefinite tolerance (no late events).
    """

    data_locale: str = Field(default="en-US", alias="DataLocale")
    output_error_policy: Literal["Stop", "Drop"] = Field(default="Stop", alias="OutputErrorPolicy")
    events_late_arrival_max_delay_s: int = Field(
        default=5, ge=-1, le=1814399, alias="EventsLateArrivalMaxDelayInSeconds"
    )
    events_out_of_order_max_delay_s: int = Field(
        default=0, ge=0, le=599, alias="EventsOutOfOrderMaxDelayInSeconds"
    )
    events_out_of_order_policy: Literal["Adjust", "Drop"] = Field(default="Adjust", alias="EventsOutOfOrderPolicy")
    compatibility_level: str = Field(default="1.2", alias="CompatibilityLevel")

    @classmethod
    def load(cls, path: Path) -> JobConfig:
        """Read and validate a ``JobConfig.json``."""
        return cls.model_validate(_load_json(path))


class Serialization(_AsaModel):
    """How an input's events are encoded."""

    type: Literal["Json", "Csv", "Avro", "Parquet"] = Field(alias="Type")
    encoding: str = Field(default="UTF8", alias="Encoding")
    field_delimiter: str = Field(default=",", alias="FieldDelimiter")


class InputConfig(_AsaModel):
    """``Inputs/<alias>.json`` (``ScriptType: Input``): a cloud input of the job."""

    name: str = Field(alias="Name")
    type: Literal["Data Stream", "Reference data", "Reference Data"] = Field(alias="Type")
    data_source_type: str = Field(alias="DataSourceType")
    serialization: Serialization = Field(alias="Serialization")

    @property
    def is_reference(self) -> bool:
        """Whether this is reference data (joined without a time condition)."""
        return self.type.lower() == "reference data"


class InputFile(_AsaModel):
    """A local input file: ``Inputs/local_*.json`` (``ScriptType: InputMock``) or a test case input."""

    input_alias: str = Field(alias="InputAlias")
    type: Literal["Data Stream", "Reference data", "Reference Data"] = Field(default="Data Stream", alias="Type")
    format: Literal["Json", "Csv", "Parquet"] = Field(default="Json", alias="Format")
    file_path: str = Field(alias="FilePath")
    script_type: str = Field(default="InputMock", alias="ScriptType")

    @property
    def is_reference(self) -> bool:
        """Whether this file is reference data."""
        return self.type.lower() == "reference data"


class OutputConfig(_AsaModel):
    """``Outputs/<alias>.json``: a sink of the job (only the alias matters locally)."""

    name: str = Field(alias="Name")
    data_source_type: str = Field(alias="DataSourceType")


class ProjectConfiguration(_AsaModel):
    """One entry of ``asaproj.json``'s ``configurations``."""

    file_path: str = Field(alias="filePath")
    sub_type: str = Field(alias="subType")


class AsaProjectFile(_AsaModel):
    """``asaproj.json``: the VS Code Stream Analytics project."""

    name: str
    start_file: str = Field(alias="startFile")
    configurations: list[ProjectConfiguration] = Field(default_factory=list)


class ExpectedOutput(_AsaModel):
    """An expected output of a test case."""

    output_alias: str = Field(alias="OutputAlias")
    file_path: str = Field(alias="FilePath")
    ignore_fields: list[str] = Field(default_factory=list, alias="IgnoreFields")
    required: bool = Field(default=True, alias="Required")


class TestCase(_AsaModel):
    """One case of ``testConfig.json``: input files and the outputs they must produce."""

    __test__: ClassVar[bool] = False  # not a pytest class

    name: str = Field(alias="Name")
    inputs: list[InputFile] = Field(alias="Inputs")
    expected_outputs: list[ExpectedOutput] = Field(alias="ExpectedOutputs")


class TestConfig(_AsaModel):
    """``test/testConfig.json`` in the Stream Analytics CI/CD format."""

    __test__: ClassVar[bool] = False  # not a pytest class

    script: str | None = Field(default=None, alias="Script")
    test_cases: list[TestCase] = Field(alias="TestCases")

    @classmethod
    def load(cls, path: Path) -> TestConfig:
        """Read and validate a ``testConfig.json``."""
        return cls.model_validate(_load_json(path))


class AsaProject(BaseModel):
    """A Stream Analytics project folder, resolved: script, job config, inputs, outputs."""

    model_config = ConfigDict(frozen=True)

    root: Path
    script_path: Path
    job_config: JobConfig
    inputs: dict[str, InputConfig]
    local_inputs: dict[str, InputFile]
    outputs: dict[str, OutputConfig]

    @property
    def script(self) -> str:
        """The query text."""
        return self.script_path.read_text(encoding="utf-8-sig")

    @classmethod
    def load(cls, root: Path) -> AsaProject:
        """Load a project from ``asaproj.json``, or from the folder's single ``*.asaql`` if none."""
        root = Path(root).resolve()
        proj_file = root / "asaproj.json"
        inputs: dict[str, InputConfig] = {}
        local_inputs: dict[str, InputFile] = {}
        outputs: dict[str, OutputConfig] = {}
        job_path = root / "JobConfig.json"
        if proj_file.exists():
            proj = AsaProjectFile.model_validate(_load_json(proj_file))
            script_path = root / proj.start_file
            for conf in proj.configurations:
                path = root / conf.file_path
                kind = conf.sub_type.lower()
                if kind == "jobconfig":
                    job_path = path
                elif kind == "input":
                    inp = InputConfig.model_validate(_load_json(path))
                    inputs[inp.name.lower()] = inp
                elif kind == "inputmock":
                    mock = InputFile.model_validate(_load_json(path))
                    local_inputs[mock.input_alias.lower()] = mock.model_copy(
                        update={"file_path": str((path.parent / mock.file_path).resolve())}
                    )
                elif kind == "output":
                    out = OutputConfig.model_validate(_load_json(path))
                    outputs[out.name.lower()] = out
        else:
            scripts = sorted(root.glob("*.asaql"))
            if len(scripts) != 1:
                raise AsaError(f"{root}: no asaproj.json and {len(scripts)} *.asaql files (need exactly one)")
            script_path = scripts[0]
        if not script_path.exists():
            raise AsaError(f"{script_path}: script not found")
        job = JobConfig.load(job_path) if job_path.exists() else JobConfig()
        return cls(root=root, script_path=script_path, job_config=job, inputs=inputs,
                   local_inputs=local_inputs, outputs=outputs)
