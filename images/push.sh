#!/usr/bin/env bash
# Build labkit's three images (lab, runner, controller) and push them where the cohort pulls them.
#
#   images/push.sh <registry> [tag]
#
# <registry> is the cohort's registry path: `pulumi stack output imageRegistry` after the first
# `pulumi up` (the ECR repositories labkit creates, <account>.dkr.ecr.<region>.amazonaws.com/<cohort>),
# or your own `images.registry`. [tag] defaults to `pulumi stack output imageTag`, else 0.1.0.
# Needs Docker (with buildx for --platform) and, for ECR, the AWS CLI with the deploying credentials.
# Run from anywhere; it builds from the repository root. See docs/images.md.
set -euo pipefail
cd "$(dirname "$0")/.."

registry="${1:-}"
if [ -z "$registry" ]; then
  echo "usage: images/push.sh <registry> [tag]   (registry: \`pulumi stack output imageRegistry\`)" >&2
  exit 2
fi
tag="${2:-$(pulumi stack output imageTag 2>/dev/null || echo 0.1.0)}"
command -v docker >/dev/null || { echo "images/push.sh needs Docker: install Docker Desktop or docker-ce" >&2; exit 1; }

host="${registry%%/*}"
if [[ "$host" =~ ^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$ ]]; then
  region="${BASH_REMATCH[2]}"
  echo "logging in to ECR ${host}"
  aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$host"
fi

# GPU nodes are x86_64 (AL2023_x86_64_NVIDIA); build for that even on an Arm laptop.
for image in controller runner lab; do
  ref="${registry}/${image}:${tag}"
  echo "building ${ref}"
  docker build --platform linux/amd64 -f "images/${image}/Dockerfile" -t "$ref" .
  docker push "$ref"
done
echo "pushed ${registry}/{controller,runner,lab}:${tag}; now run: labkit preflight <cohort.yaml>"
