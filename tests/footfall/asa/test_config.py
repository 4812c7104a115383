"""Project files are read with Microsoft's JSON keys and validated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from footfall.asa import AsaError, AsaProject, JobConfig, TestConfig
from footfall.asa.job import DEFAULT_PROJECT


def test_job_config_reads_the_vs_code_keys():
    job = JobConfig.load(DEFAULT_PROJECT / "JobConfig.json")
    assert job.events_late_arrival_max_delay_s == 300
    assert job.events_out_of_order_max_delay_s == 10
    assert job.events_out_of_order_policy == "Adjust"


def test_job_config_defaults_are_azures():
    job = JobConfig()
    assert (job.events_late_arrival_max_delay_s, job.events_out_of_order_max_delay_s,
            job.events_out_of_order_policy) == (5, 0, "Adjust")


@pytest.mark.parametrize("bad", [{"EventsOutOfOrderPolicy": "Ignore"}, {"EventsOutOfOrderMaxDelayInSeconds": 600},
                                 {"EventsLateArrivalMaxDelayInSeconds": -2}])
def test_job_config_rejects_values_azure_rejects(bad: dict):
    with pytest.raises(ValidationError):
        JobConfig.model_validate(bad)


def test_a_folder_with_one_script_and_no_asaproj_is_a_project(tmp_path: Path):
    (tmp_path / "q.asaql").write_text("SELECT a INTO o FROM i TIMESTAMP BY t")
    project = AsaProject.load(tmp_path)
    assert project.script_path.name == "q.asaql" and project.job_config == JobConfig()


def test_invalid_json_names_file_and_line(tmp_path: Path):
    (tmp_path / "testConfig.json").write_text('{\n  "TestCases": [,]\n}')
    with pytest.raises(AsaError, match=r"testConfig.json: invalid JSON at line 2"):
        TestConfig.load(tmp_path / "testConfig.json")


def test_shipped_test_config_parses_in_the_ci_cd_format():
    config = TestConfig.load(DEFAULT_PROJECT / "test" / "testConfig.json")
    raw = json.loads((DEFAULT_PROJECT / "test" / "testConfig.json").read_text())
    assert len(config.test_cases) == len(raw["TestCases"])
    first = config.test_cases[0]
    assert {i.input_alias for i in first.inputs} == {"frames", "counts", "stores", "cameras"}
    assert all(o.required for o in first.expected_outputs)
