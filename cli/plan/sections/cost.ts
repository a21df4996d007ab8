/** Plan section: what the cohort costs per hour, in all, and per learner. */
import { PRICE_TABLE_SOURCE, SPOT_PRICE_FRACTION } from "../../../catalog/aws-instances";
import { estimateCohortCost } from "../../../core/cost/cohort-cost";
import { renderTable, usd } from "../../format/table";
import { planSection } from "../plan-section";

export const costSection = planSection({
  id: "cost",
  title: "Cost",
  build: (cohort) => ({ ...estimateCohortCost(cohort), priceSource: PRICE_TABLE_SOURCE }),
  render: (data) => [
    ...renderTable(
      ["item", "qty", "$/h each", "hours", "cost"],
      data.lines.map((l) => [l.item, l.quantity, l.unitUsdPerHour.toFixed(4), l.hours.toFixed(1), usd(l.usd)]),
    ),
    `Hourly while GPU pools run: ${usd(data.peakUsdPerHour)}/h. Cluster up ${data.hours.clusterHours.toFixed(1)} h over ${data.hours.days} day(s), GPU pools up ${data.hours.gpuHours.toFixed(1)} h.`,
    `Whole cohort: ${usd(data.totalUsd)}; per learner: ${usd(data.perLearnerUsd)}.`,
    `Prices: ${data.priceSource}.${data.assumesSpot ? ` Spot assumed at ${Math.round(SPOT_PRICE_FRACTION * 100)}% of on-demand.` : ""} Data transfer, S3 requests and load-balancer capacity units are not included.`,
  ],
});
