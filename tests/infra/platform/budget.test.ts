import { beforeAll, describe, expect, it } from "vitest";
import { CohortBudget } from "../../../infra/platform/budget";
import { type CreatedResource, recordPulumiResources } from "../../harness/recording-mocks";

let created: CreatedResource[] = [];

beforeAll(async () => {
  created = await recordPulumiResources();
});

describe("CohortBudget", () => {
  it("creates a monthly USD cost budget filtered by the cohort's cost-allocation tag, mailing at 80% and 100% of actual spend and 100% of forecast", async () => {
    const budget = new CohortBudget("ft-dec26", {
      cohortName: "ft-dec26",
      budget: { limitUsd: 1500, alertEmails: ["platform@example.org", "lead@example.org"] },
      costAllocationTag: { key: "labkit:cohort", value: "ft-dec26" },
      tags: { "labkit:cohort": "ft-dec26" },
    });
    await new Promise((resolve) => budget.budgetName.apply(resolve));

    const budgets = created.filter((c) => c.type === "aws:budgets/budget:Budget");
    expect(budgets).toHaveLength(1);
    const inputs = budgets[0].inputs;
    expect(inputs).toMatchObject({
      name: "labkit-ft-dec26",
      budgetType: "COST",
      limitAmount: "1500.00",
      limitUnit: "USD",
      timeUnit: "MONTHLY",
      costFilters: [{ name: "TagKeyValue", values: ["user:labkit:cohort$ft-dec26"] }],
      tags: { "labkit:cohort": "ft-dec26" },
    });
    const emails = ["platform@example.org", "lead@example.org"];
    expect(inputs.notifications).toEqual([
      {
        notificationType: "ACTUAL",
        comparisonOperator: "GREATER_THAN",
        threshold: 80,
        thresholdType: "PERCENTAGE",
        subscriberEmailAddresses: emails,
      },
      {
        notificationType: "ACTUAL",
        comparisonOperator: "GREATER_THAN",
        threshold: 100,
        thresholdType: "PERCENTAGE",
        subscriberEmailAddresses: emails,
      },
      {
        notificationType: "FORECASTED",
        comparisonOperator: "GREATER_THAN",
        threshold: 100,
        thresholdType: "PERCENTAGE",
        subscriberEmailAddresses: emails,
      },
    ]);
  });
});
