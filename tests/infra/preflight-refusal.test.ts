import { describe, expect, it } from "vitest";
import { preflightRefusal } from "../../infra/preflight-refusal";

describe("the Pulumi program's refusal to deploy", () => {
  it("names each failed check with its fixes, says nothing was changed, and how to check again", () => {
    const message = preflightRefusal(
      [
        {
          kind: "vcpu-quota",
          subject: "L-DB2E81BA",
          status: "fail",
          message: "Running On-Demand G and VT instances allows 0 vCPUs; the GPU pools need 32",
          fix: [
            "aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-DB2E81BA --desired-value 36",
          ],
        },
      ],
      "workshop/cohort.example.yaml",
    );
    expect(message).toContain("1 preflight check failed");
    expect(message).toContain("FAIL vcpu-quota L-DB2E81BA: Running On-Demand G and VT instances allows 0 vCPUs");
    expect(message).toContain("fix: aws service-quotas request-service-quota-increase");
    expect(message).toContain("labkit preflight workshop/cohort.example.yaml");
    expect(message).toContain("Nothing was created or changed.");
  });
});
