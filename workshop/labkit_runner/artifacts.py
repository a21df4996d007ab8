"""Where a run's files go: `s3://bucket/prefix/` in the cluster, `file:///path/` for local runs and tests."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse


class ArtifactError(ValueError):
    """An artifacts URI the runner cannot use."""


def _split(uri: str) -> tuple[str, str, str]:
    parsed = urlparse(uri)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise ArtifactError(f"{uri}: an s3 URI needs a bucket, e.g. s3://bucket/prefix/")
        return "s3", parsed.netloc, parsed.path.lstrip("/")
    if parsed.scheme == "file":
        return "file", "", unquote(parsed.path)
    raise ArtifactError(f"{uri}: expected s3://bucket/prefix/ or file:///path/")


def _s3_client() -> Any:  # boto3 ships no type information
    import boto3

    # boto3 reads the region, credentials (EKS Pod Identity) and AWS_ENDPOINT_URL from the environment.
    return boto3.client("s3")


class ArtifactStore:
    """Writes named files below one prefix URI and returns each file's URI."""

    def __init__(self, prefix_uri: str):
        if not prefix_uri.endswith("/"):
            prefix_uri += "/"
        self.prefix_uri = prefix_uri
        self.scheme, self.bucket, self.prefix = _split(prefix_uri)

    def put_file(self, local_path: Path, name: str, content_type: str = "application/octet-stream") -> str:
        """Copy a local file to `<prefix>/<name>`; return its URI."""
        if self.scheme == "file":
            target = Path(self.prefix) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(local_path, target)
        else:
            _s3_client().upload_file(
                str(local_path), self.bucket, self.prefix + name, ExtraArgs={"ContentType": content_type}
            )
        return self.prefix_uri + name

    def put_bytes(self, data: bytes, name: str, content_type: str = "application/json") -> str:
        """Write bytes to `<prefix>/<name>`; return its URI."""
        if self.scheme == "file":
            target = Path(self.prefix) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        else:
            _s3_client().put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data, ContentType=content_type)
        return self.prefix_uri + name


def fetch(uri: str, destination: Path) -> Path:
    """Download one object (s3:// or file://) to `destination`; return it."""
    scheme, bucket, key = _split(uri)
    destination.parent.mkdir(parents=True, exist_ok=True)
    if scheme == "file":
        shutil.copyfile(key, destination)
    else:
        _s3_client().download_file(bucket, key, str(destination))
    return destination
