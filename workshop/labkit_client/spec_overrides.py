"""`--set key.path=value` options: parsed into a nested RunSpec override, and written back from a spec change.

For example:

    parse_set_options(["training.microBatchSize=8", 'lora.targetModules=["q_proj","v_proj"]'])
    # {"training": {"microBatchSize": 8}, "lora": {"targetModules": ["q_proj", "v_proj"]}}
    set_options_for(resolved_spec, suggested_spec)   # ["training.gradientCheckpointing=true"]
"""

from __future__ import annotations

import json
import re
from typing import Any

_KEY_PART = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
_BARE_ITEM = re.compile(r"[^\s\"'\[\]{},]+")
#: Spec sections left out of a suggestion's options: `--exercise` picks the exercise, and an uploaded
#: dataset's resolved fields (uri, sha256) differ from the estimate's without being a change.
_NOT_SUGGESTED = ("exercise", "dataset")


class SetOptionError(ValueError):
    """A malformed `--set` option; the message names the option and shows a correct one."""


def parse_value(text: str) -> Any:
    """A `--set` value: `true`/`false`, a number, a JSON list (bash-unquoted `[q_proj,v_proj]` too),
    a JSON string in quotes, else the text itself."""
    if text in ("true", "false"):
        return text == "true"
    if _NUMBER.fullmatch(text):
        return int(text) if re.fullmatch(r"[-+]?\d+", text) else float(text)
    if text.startswith("["):
        return _parse_list(text)
    if text.startswith('"'):
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise SetOptionError(
                f"{text} is not a JSON string ({error.msg}); leave the quotes off or close them"
            ) from error
        if not isinstance(value, str):
            raise SetOptionError(f"{text} is not a JSON string")
        return value
    return text


def _parse_list(text: str) -> list[Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        # An unquoted ["q_proj","v_proj"] reaches us from bash as [q_proj,v_proj]: read bare items.
        inner = text[1:-1] if text.endswith("]") else None
        items = [item.strip() for item in inner.split(",")] if inner is not None else []
        if inner is None or not all(_BARE_ITEM.fullmatch(item) for item in items):
            raise SetOptionError(
                f'{text} is not a JSON list ({error.msg}); write it like ["q_proj","v_proj"] inside single quotes'
            ) from error
        return [parse_value(item) for item in items]
    if not isinstance(value, list):
        raise SetOptionError(f"{text} is not a JSON list")
    return value


def parse_set_option(option: str) -> tuple[list[str], object]:
    """One `key.path=value` option as (["key", "path"], value); raises SetOptionError when malformed."""
    key, equals, text = option.partition("=")
    parts = key.strip().split(".")
    if not equals or not all(_KEY_PART.fullmatch(part) for part in parts):
        raise SetOptionError(
            f"--set {option}: expected key.path=value, e.g. --set training.microBatchSize=8 or --set lora.r=16"
        )
    if not text:
        raise SetOptionError(f"--set {option}: no value after '='; give one, e.g. --set {key.strip()}=8")
    if parts[0] == "exercise":
        raise SetOptionError(f"--set {option}: choose the exercise with --exercise, not --set")
    try:
        return parts, parse_value(text)
    except SetOptionError as error:
        raise SetOptionError(f"--set {option}: {error}") from error


def parse_set_options(options: list[str]) -> dict[str, Any]:
    """The nested RunSpec override that `--set` options describe, later options winning (default: {} for none)."""
    overrides: dict[str, Any] = {}
    for option in options:
        parts, value = parse_set_option(option)
        section = overrides
        for depth, part in enumerate(parts[:-1]):
            section = section.setdefault(part, {})
            if not isinstance(section, dict):
                raise SetOptionError(
                    f"--set {option}: {'.'.join(parts[: depth + 1])} is already set to a value, "
                    f"so it has no field {parts[depth + 1]}"
                )
        if isinstance(section.get(parts[-1]), dict):
            raise SetOptionError(
                f"--set {option}: {'.'.join(parts)} already has fields set; "
                f"set one of them, e.g. {'.'.join(parts)}.<field>=..."
            )
        section[parts[-1]] = value
    return overrides


def format_value(value: object) -> str:
    """A value written so that parse_value reads it back unchanged (lists as compact JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return value if value and parse_value_or_none(value) == value else json.dumps(value)
    return json.dumps(value, separators=(",", ":"))


def parse_value_or_none(text: str) -> Any:
    """parse_value, or None where the text is malformed."""
    try:
        return parse_value(text)
    except SetOptionError:
        return None


def _leaves(spec: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], object]:
    leaves: dict[tuple[str, ...], object] = {}
    for key, value in spec.items():
        if isinstance(value, dict):
            leaves.update(_leaves(value, (*prefix, key)))
        elif value is not None:
            leaves[(*prefix, key)] = value
    return leaves


def set_options_for(resolved_spec: dict[str, Any], changed_spec: dict[str, Any]) -> list[str]:
    """The `key.path=value` options that turn resolved_spec into changed_spec (fields it only removes,
    the exercise and the dataset are left out)."""
    before = _leaves(resolved_spec)
    return [
        f"{'.'.join(path)}={format_value(value)}"
        for path, value in _leaves(changed_spec).items()
        if path[0] not in _NOT_SUGGESTED
        and (path not in before or before[path] != value or type(before[path]) is not type(value))
    ]
