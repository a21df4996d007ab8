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
    with pytest.raises(RunSpecError) as raised:
        parse_run_spec(json.dumps(spec))
    assert raised.value.problems == [
        "dataset: 'sha256' is a required property",
        "dataset: 'uri' is a required property",
    ]


@pytest.mark.parametrize("name", ["../../..", "../../etc/passwd", "/etc/passwd", "k8s-troubleshooting/../x"])
def test_refuses_a_built_in_dataset_outside_the_closed_list_naming_the_ones_there_are(name):
    spec = tiny_spec("lora", dataset={"name": name})
    with pytest.raises(RunSpecError) as raised:
        parse_run_spec(json.dumps(spec))
    assert raised.value.problems == [f"dataset.name: {name!r} is not one of ['k8s-troubleshooting']"]


@pytest.mark.parametrize("name", ["a/b.jsonl", "..", "a\\b.jsonl", "bad\u0000name"])
def test_refuses_an_upload_display_name_with_a_path_separator_or_control_character(name):
    spec = tiny_spec(
        "lora",
        dataset={"source": "upload", "name": name, "uri": "s3://bucket/key.jsonl", "sha256": "a" * 64},
    )
    with pytest.raises(RunSpecError) as raised:
        parse_run_spec(json.dumps(spec))
    assert raised.value.problems[0].startswith("dataset.name: ")


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


def test_contract_jsonschema_reports_a_oneof_failure_with_sub_errors_per_branch():
    """run_spec._discriminated relies on this: "With keywords like anyOf, the ValidationError.context
    attribute can be used to see the sub-errors which caused the failure [...] this path will be relative
    to the ValidationError.schema_path of the parent error" (python-jsonschema 4.26.0, "Handling
    Validation Errors", https://python-jsonschema.readthedocs.io/en/latest/errors/). The first element
    of each sub-error's relative schema path is the index of its oneOf branch."""
    import jsonschema

    schema = {
        "oneOf": [
            {"type": "object", "properties": {"source": {"const": "a"}, "name": {"enum": ["x"]}}},
            {"type": "object", "properties": {"source": {"const": "b"}}, "required": ["uri"]},
        ]
    }
    [error] = jsonschema.Draft202012Validator(schema).iter_errors({"source": "a", "name": "../.."})
    assert error.validator == "oneOf"
    by_branch = sorted((int(e.relative_schema_path[0]), e.validator, list(e.relative_path)) for e in error.context)
    assert by_branch == [(0, "enum", ["name"]), (1, "const", ["source"]), (1, "required", [])]
