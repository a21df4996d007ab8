"""Dockerfile checks: pinned bases, a non-root USER, no secrets, and one pinned Python stack
shared by the lab and runner images (and matching the test venv)."""

import re
import sys
from importlib import metadata
from pathlib import Path

import pytest

from conftest import REPO

IMAGES = REPO / "images"
DOCKERFILES = {name: IMAGES / name / "Dockerfile" for name in ("lab", "runner", "controller")}
REQUIREMENTS = IMAGES / "requirements.txt"
LAB_REQUIREMENTS = IMAGES / "lab-requirements.txt"
SECRET_PATTERNS = [
    re.compile(r"AKIA[0-9A-Z]{16}"),  # AWS access key id
    re.compile(r"\bhf_[A-Za-z0-9]{30,}"),  # Hugging Face token
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"),  # GitHub token
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"^\s*(ENV|ARG)\s+\S*(TOKEN|SECRET|PASSWORD|ACCESS_KEY)\S*[= ]\S+", re.IGNORECASE | re.MULTILINE),
]


def instructions(path):
    """(instruction, arguments) pairs, with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    result = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def requirement_pins(path: Path = REQUIREMENTS) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)==(\d+(?:\.\d+)+)", line)
            assert match, f"{path.name}: {line!r} must pin one released version exactly (name==X.Y.Z)"
            pins[match.group(1).lower()] = match.group(2)
    return pins


@pytest.mark.parametrize("name", DOCKERFILES)
def test_every_base_image_is_pinned_to_a_version_never_latest(name):
    stages = set()
    for keyword, args in instructions(DOCKERFILES[name]):
        if keyword == "FROM":
            parts = args.split()
            image = parts[0]
            if image in stages:
                continue
            if len(parts) == 3 and parts[1].upper() == "AS":
                stages.add(parts[2])
            assert ":" in image.rsplit("/", 1)[-1] or "@sha256:" in image, f"{name}: {image} has no tag"
            tag = image.rsplit(":", 1)[-1]
            assert tag != "latest" and re.search(r"\d", tag), f"{name}: {image} is not pinned to a version"


@pytest.mark.parametrize("name", DOCKERFILES)
def test_the_final_user_is_not_root(name):
    users = [args for keyword, args in instructions(DOCKERFILES[name]) if keyword == "USER"]
    assert users, f"{name}: no USER instruction, so the image runs as root"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and not user.startswith("$"), (
        f"{name}: final USER {users[-1]!r} must be a fixed non-root user"
    )


@pytest.mark.parametrize(
    "path", [*DOCKERFILES.values(), REPO / ".github" / "workflows" / "images.yml", REPO / ".dockerignore"]
)
def test_no_secret_is_baked_into_the_build(path):
    text = path.read_text()
    for pattern in SECRET_PATTERNS:
        assert not pattern.search(text), f"{path.name}: looks like a secret: {pattern.pattern}"
    for keyword, args in instructions(path) if path.name == "Dockerfile" else []:
        if keyword in ("COPY", "ADD"):
            assert not re.search(r"(^|\s|/)(\.env|\.aws|\.ssh|kubeconfig|\.npmrc_auth|credentials)", args), (
                f"{path}: copies a credentials file: {args}"
            )


def test_the_build_context_leaves_out_secrets_and_local_environments():
    ignored = REPO.joinpath(".dockerignore").read_text().split()
    for entry in (".git", ".venv", "node_modules", ".env", "**/.aws"):
        assert entry in ignored


def test_lab_and_runner_install_the_one_shared_requirements_file_and_nothing_else_pinned():
    for name in ("lab", "runner"):
        steps = instructions(DOCKERFILES[name])
        copies = [args.split()[-2] for keyword, args in steps if keyword == "COPY" and "requirements.txt" in args]
        # The lab adds JupyterLab's own pins; nothing else is pinned anywhere but these files.
        allowed = (
            {"images/requirements.txt", "images/lab-requirements.txt"} if name == "lab" else {"images/requirements.txt"}
        )
        assert "images/requirements.txt" in copies and set(copies) <= allowed, name
        installs = [args for keyword, args in steps if keyword == "RUN" and "pip install" in args]
        assert any("-r /tmp/labkit/requirements.txt" in args for args in installs), name
        for args in installs:
            assert "==" not in args, f"{name}: pin versions in images/requirements.txt, not in the Dockerfile: {args}"
            assert "--no-deps" in args or "-r " in args, f"{name}: an unpinned install: {args}"


def test_the_requirements_pin_released_versions_of_the_whole_hugging_face_stack():
    pins = requirement_pins()
    for package in (
        "torch",
        "transformers",
        "peft",
        "trl",
        "bitsandbytes",
        "datasets",
        "evaluate",
        "accelerate",
        "rouge-score",
        "sacrebleu",
        "jsonschema",
        "requests",
        "tqdm",
        "matplotlib",
        "boto3",
    ):
        assert package in pins, f"images/requirements.txt lacks {package}"
    major, minor = (int(x) for x in pins["transformers"].split(".")[:2])
    assert (major, minor) >= (4, 40)


def test_the_test_venv_runs_exactly_the_pinned_versions():
    mismatched = {}
    for package, version in (requirement_pins() | requirement_pins(LAB_REQUIREMENTS)).items():
        installed = metadata.version(package)
        if installed != version:
            mismatched[package] = (version, installed)
    assert mismatched == {}, f"images/*requirements.txt and .venv differ (pinned, installed): {mismatched}"


def test_the_lab_the_runner_and_the_test_venv_run_one_python_version():
    bases = {name: next(a for k, a in instructions(DOCKERFILES[name]) if k == "FROM") for name in ("lab", "runner")}
    assert bases["lab"] == bases["runner"], f"the lab and the runner must share one Python base: {bases}"
    match = re.fullmatch(r"python:(\d+)\.(\d+)\.\d+-slim-\w+", bases["runner"])
    assert match, f"the runner's base {bases['runner']!r} is not an official python:X.Y.Z-slim image"
    images = (int(match.group(1)), int(match.group(2)))
    assert images == sys.version_info[:2], f"the images run Python {images}, the tests {sys.version_info[:2]}"


def test_the_controller_image_is_multi_stage_node_24_slim_with_production_dependencies_only():
    steps = instructions(DOCKERFILES["controller"])
    bases = [args.split()[0] for keyword, args in steps if keyword == "FROM"]
    assert len(bases) >= 2 and all(re.fullmatch(r"node:24\.\d+\.\d+-slim", b) for b in bases)
    runs = " ".join(args for keyword, args in steps if keyword == "RUN")
    assert "npm ci --omit=dev" in runs
    assert [args for keyword, args in steps if keyword == "CMD"] == [
        '["node", "--import", "tsx", "lab-controller/main.ts"]'
    ]
    final_stage = steps[max(i for i, (k, _) in enumerate(steps) if k == "FROM") :]
    assert not any(k == "RUN" and "apt-get install" in a for k, a in final_stage), (
        "the runtime stage must not carry build tools"
    )


def test_the_runner_image_starts_the_runner_with_its_schemas_and_datasets():
    steps = instructions(DOCKERFILES["runner"])
    assert ("ENTRYPOINT", '["python", "-m", "labkit_runner"]') in steps
    env = " ".join(args for keyword, args in steps if keyword == "ENV")
    assert "LABKIT_SCHEMA_DIR=/opt/labkit/schema" in env and "LABKIT_DATASETS_DIR=/opt/labkit/datasets" in env
    # The runner's built-in default must be where the image puts the datasets.
    from labkit_runner.runner import DEFAULT_DATASETS_DIR

    assert DEFAULT_DATASETS_DIR == "/opt/labkit/datasets"


def test_the_lab_image_ships_the_workshop_where_the_lab_chart_copies_it_from():
    chart = (REPO / "charts" / "lab" / "workshop-content.ts").read_text()
    match = re.search(r'WORKSHOP_SOURCE_DIR = "([^"]+)"', chart)
    assert match, "charts/lab/workshop-content.ts defines no WORKSHOP_SOURCE_DIR"
    source = match.group(1)
    copies = [args for keyword, args in instructions(DOCKERFILES["lab"]) if keyword == "COPY"]
    assert f"workshop/notebooks/ {source}/" in copies
    assert f"workshop/datasets/ {source}/datasets/" in copies
    users = [args for keyword, args in instructions(DOCKERFILES["lab"]) if keyword == "USER"]
    assert users[-1] == "1000:100", "the lab runs as jovyan (uid 1000, gid 100), as the pod's security context says"


def test_the_workflow_builds_and_pushes_the_three_images_on_a_tag_push():
    workflow = (REPO / ".github" / "workflows" / "images.yml").read_text()
    assert re.search(r"on:\s+push:\s+tags:", workflow)
    assert "image: [lab, runner, controller]" in workflow
    assert "file: images/${{ matrix.image }}/Dockerfile" in workflow
    assert "push: true" in workflow and "packages: write" in workflow
