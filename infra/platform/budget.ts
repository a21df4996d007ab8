/**
 * The cohort's AWS Budget: a monthly cost budget over the resources tagged with the cohort's
 * cost-allocation tag, mailing `budget.alertEmails` when actual spend passes 80% and 100% of
 * `budget.limitUsd`, and when the month's forecast passes 100%. The tag must be activated as a
 * cost-allocation tag in the account's Billing console, or the budget sees no spend.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Cohort } from "../../schema/cohort";

/** Percentages of the limit at which actual spend mails the alert addresses. */
export const ACTUAL_SPEND_ALERT_PERCENTS = [80, 100] as const;
/** Percentage of the limit at which the forecast for the month mails them. */
export const FORECAST_ALERT_PERCENT = 100;

export interface BudgetArgs {
  /** Cohort name; the budget is named `labkit-<cohort>`. */
  readonly cohortName: string;
  /** The cohort's `budget`: limit in USD per month and who gets the alerts. */
  readonly budget: NonNullable<Cohort["budget"]>;
  /** The cost-allocation tag that marks the cohort's resources, e.g. `{ key: "labkit:cohort", value: "ft-dec26" }`. */
  readonly costAllocationTag: { readonly key: string; readonly value: string };
  /** Tags on the budget itself. */
  readonly tags: Record<string, string>;
}

/** The arguments of the AWS Budget (pure, unit-tested). */
export function budgetArgs(args: BudgetArgs): aws.budgets.BudgetArgs {
  const notify = (notificationType: "ACTUAL" | "FORECASTED", threshold: number) => ({
    notificationType,
    comparisonOperator: "GREATER_THAN",
    threshold,
    thresholdType: "PERCENTAGE",
    subscriberEmailAddresses: [...args.budget.alertEmails],
  });
  return {
    name: `labkit-${args.cohortName}`,
    budgetType: "COST",
    limitAmount: args.budget.limitUsd.toFixed(2),
    limitUnit: "USD",
    timeUnit: "MONTHLY",
    // Cost Explorer's tag filter format is `user:<key>$<value>`.
    costFilters: [
      { name: "TagKeyValue", values: [`user:${args.costAllocationTag.key}$${args.costAllocationTag.value}`] },
    ],
    notifications: [
      ...ACTUAL_SPEND_ALERT_PERCENTS.map((percent) => notify("ACTUAL", percent)),
      notify("FORECASTED", FORECAST_ALERT_PERCENT),
    ],
    tags: args.tags,
  };
}

/** The cohort's budget with its alerts. */
export class CohortBudget extends pulumi.ComponentResource {
  /** Name of the AWS Budget. */
  public readonly budgetName: pulumi.Output<string>;

  constructor(name: string, args: BudgetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labkit:platform:Budget", name, {}, opts);
    const budget = new aws.budgets.Budget(`${name}-budget`, budgetArgs(args), { parent: this });
    this.budgetName = budget.name;
    this.registerOutputs({ budgetName: this.budgetName });
  }
}
