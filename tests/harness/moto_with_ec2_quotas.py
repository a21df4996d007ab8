"""
moto's server with EC2 vCPU quotas in its Service Quotas data, for `labkit preflight` tests.

moto 5.2 knows the quotas of one service only (`vpc`, in moto/servicequotas/resources/
default_quotas/vpc.py) and answers NoSuchResourceException for any other service code. This
launcher adds EC2 entries, in the same shape as moto's VPC ones, before it runs moto's own server
main, so the JSON protocol, the errors and the response shapes stay moto's.

The values come from MOTO_EC2_QUOTAS (a JSON object such as `{"L-DB2E81BA": 8}`) or from the
JSON file named by MOTO_EC2_QUOTAS_FILE; a quota code left out answers NoSuchResourceException.
Arguments are moto_server's: `python moto_with_ec2_quotas.py -H 127.0.0.1 -p 5000`.
"""

import json
import os
import sys
from typing import Any

from moto.server import main
from moto.servicequotas import models
from moto.servicequotas.exceptions import NoSuchResource

# The names the Service Quotas console shows for the EC2 vCPU quotas labkit reads
# (catalog/ec2-vcpu-quotas.ts).
EC2_QUOTA_NAMES = {
    "L-1216C47A": "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
    "L-DB2E81BA": "Running On-Demand G and VT instances",
    "L-417A185B": "Running On-Demand P instances",
    "L-34B43A08": "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests",
    "L-3819A6DF": "All G and VT Spot Instance Requests",
    "L-7212CCBC": "All P Spot Instance Requests",
}


def read_quota_values() -> dict[str, float]:
    """The quota values to serve, by quota code, from the environment."""
    if os.environ.get("MOTO_EC2_QUOTAS_FILE"):
        with open(os.environ["MOTO_EC2_QUOTAS_FILE"], encoding="utf-8") as file:
            values = json.load(file)
    else:
        values = json.loads(os.environ.get("MOTO_EC2_QUOTAS", "{}"))
    unknown = sorted(set(values) - set(EC2_QUOTA_NAMES))
    if unknown:
        sys.exit(f"unknown EC2 quota codes {unknown}; known: {sorted(EC2_QUOTA_NAMES)}")
    return {code: float(value) for code, value in values.items()}


def ec2_quota(code: str, value: float, region: str) -> dict[str, Any]:
    """One quota in the shape of moto's VPC_DEFAULT_QUOTAS entries."""
    return {
        "Adjustable": True,
        "GlobalQuota": False,
        "QuotaArn": f"arn:aws:servicequotas:{region}::ec2/{code}",
        "QuotaCode": code,
        "QuotaName": EC2_QUOTA_NAMES[code],
        "ServiceCode": "ec2",
        "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
        "Unit": "None",
        "Value": value,
    }


def install_ec2_quotas(values: dict[str, float]) -> None:
    """Make moto's backend look quotas up per service code, with `ec2` added beside `vpc`."""

    def quotas_of(backend: models.ServiceQuotasBackend, service_code: str) -> list[dict[str, Any]]:
        if service_code == "vpc":
            return models.VPC_DEFAULT_QUOTAS
        if service_code == "ec2":
            return [ec2_quota(code, value, backend.region_name) for code, value in values.items()]
        raise NoSuchResource

    def list_aws_default_service_quotas(self, service_code):
        return quotas_of(self, service_code)

    def get_service_quota(self, service_code, quota_code):
        for quota in quotas_of(self, service_code):
            if quota["QuotaCode"] == quota_code:
                return quota
        raise NoSuchResource

    models.ServiceQuotasBackend.list_aws_default_service_quotas = list_aws_default_service_quotas
    models.ServiceQuotasBackend.get_service_quota = get_service_quota


if __name__ == "__main__":
    install_ec2_quotas(read_quota_values())
    main(sys.argv[1:])
