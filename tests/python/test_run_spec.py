"""RunSpec parsing: the runner accepts exactly what the generated JSON Schema allows."""

import json

import pytest

from conftest import tiny_spec
from labkit_runner.run_spec import RunSpecError, parse_run_spec
from labkit_runner.runner import RunnerSettings


def test_accepts_a_resolved_run_spec_and_returns_it_unchanged():
    spec = tiny_spec("qlora")
    assert parse_run_spec(json.dumps(spec)) == spec


def test_names_the_field_and_the_rule_of_every_schema_violation():
    spec = tiny_spec("lora", training={"microBatchSize": 0}, lora={"r": "eight"})
    with pytest.raises(RunSpecError) as caught:
        parse_run_spec(json.dumps(spec))
    problems = caught.value.problems
    assert any(p.startswith("lora.r: 'eight' is not of type 'integer'") for p in problems), problems
    assert any(p.startswith("training.microBatchSize: 0 is less than the minimum of 1") for p in problems), problems


def test_refuses_unknown_fields_so_a_typo_never_falls_back_to_a_default():
    spec = tiny_spec("lora")
    spec["training"]["max_seq_length"] = 512
    with pytest.raises(RunSpecError, match=r"training: Additional properties are not allowed \('max_seq_length'"):
        parse_run_spec(json.dumps(spec))


def test_refuses_qlora_on_a_16_bit_base_with_the_fix():
    spec = tiny_spec("qlora", quantization={"bits": 16})
    with pytest.raises(
        RunSpecError, match="quantization.bits: method qlora trains on a 4-bit base, but bits is 16: set bits to 4"
    ):
        parse_run_spec(json.dumps(spec))


def test_refuses_an_upload_without_the_uri_and_sha256_the_controller_fills_in():
    spec = tiny_spec("lora", dataset={"source": "upload", "name": "mine.jsonl"})
    with pytest.raises(RunSpecError, match="uploaded dataset needs the uri and sha256"):
        parse_run_spec(json.dumps(spec))


def test_reports_text_that_is_not_json_with_its_position():
    with pytest.raises(RunSpecError, match=r"not valid JSON \(Expecting .* at line 1 column 2\)"):
        parse_run_spec("{exercise: 1}")


def test_reads_the_job_environment_and_names_missing_variables():
    settings = RunnerSettings.from_env(
        {
            "LABKIT_RUN_ID": "abc",
            "LABKIT_RUN_SPEC": "{}",
            "LABKIT_ARTIFACTS_URI": "s3://bucket/cohorts/c/",
            "LABKIT_GRANTED_VRAM_MIB": "12288",
            "LABKIT_EVENTS_URL": "http://controller/v1/runs/abc/events",
            "LABKIT_RUN_TOKEN": "t",
        }
    )
    assert settings.granted_vram_mib == 12288
    assert settings.datasets_dir == "/opt/labkit/datasets"
    assert settings.termination_log == "/dev/termination-log"
    with pytest.raises(KeyError, match="LABKIT_RUN_SPEC, LABKIT_ARTIFACTS_URI"):
        RunnerSettings.from_env({"LABKIT_RUN_ID": "abc"})
