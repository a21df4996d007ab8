"""Read the resolved RunSpec the lab-controller hands a Job, and check it against the JSON Schema
generated from `schema/run-spec.ts` (one schema, many readers)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema


class RunSpecError(ValueError):
    """A RunSpec that is not valid JSON or breaks the schema; `problems` holds one `path: problem` line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("the run spec is not valid: " + "; ".join(problems))


def schema_dir() -> Path:
    """Folder of the generated JSON Schemas: $LABKIT_SCHEMA_DIR (set in the images),
    else the repository's schema/generated."""
    configured = os.environ.get("LABKIT_SCHEMA_DIR")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[2] / "schema" / "generated"


def load_schema(name: str) -> dict[str, Any]:
    """Load one generated schema by file stem, e.g. `run-spec` or `run-result`."""
    path = schema_dir() / f"{name}.schema.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: set LABKIT_SCHEMA_DIR to the folder holding labkit's generated JSON Schemas"
        )
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def _format_path(parts: Iterable[str | int]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def _discriminated(error: jsonschema.ValidationError) -> list[jsonschema.ValidationError]:
    """The errors that explain `error`: for a `oneOf` of objects told apart by a `const` field (the
    dataset's `source`), those of the branch whose `const` matched, e.g. `dataset.name: '../..' is
    not one of [...]`, instead of "not valid under any of the given schemas"."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    by_branch: dict[int, list[jsonschema.ValidationError]] = {}
    for sub in error.context:
        by_branch.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    matched = [
        branch
        for branch in by_branch.values()
        if not any(sub.validator == "const" and len(sub.relative_path) == 1 for sub in branch)
    ]
    if len(matched) != 1:
        return [error]
    return [leaf for sub in matched[0] for leaf in _discriminated(sub)]


def schema_problems(document: object, schema_name: str) -> list[str]:
    """Return one `path: message` line per way `document` breaks the named schema (empty when valid)."""
    validator = jsonschema.Draft202012Validator(load_schema(schema_name))
    errors = [leaf for error in validator.iter_errors(document) for leaf in _discriminated(error)]
    errors.sort(key=lambda e: (list(e.absolute_path), e.message))
    return [f"{_format_path(error.absolute_path)}: {error.message}" for error in errors]


def parse_run_spec(text: str) -> dict[str, Any]:
    """Parse and validate a resolved RunSpec from JSON text; raise RunSpecError listing every problem."""
    try:
        spec: dict[str, Any] = json.loads(text)
    except json.JSONDecodeError as error:
        raise RunSpecError(
            [f"(root): not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"]
        ) from error
    problems = schema_problems(spec, "run-spec")
    if not problems:
        # The schema cannot express these cross-field rules of RunSpecSchema; check them here too.
        # (An upload's uri and sha256 are required by the schema's `upload` branch.)
        bits = spec["quantization"]["bits"]
        if spec["method"] == "qlora" and bits != 4:
            problems.append(
                "quantization.bits: method qlora trains on a 4-bit base, "
                f"but bits is {bits}: set bits to 4, or use method lora"
            )
        if spec["method"] == "lora" and bits == 4:
            problems.append("quantization.bits: a 4-bit base is QLoRA: set method to qlora, or bits to 16 (or 8)")
    if problems:
        raise RunSpecError(problems)
    return spec
