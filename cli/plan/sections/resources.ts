/**
 * Plan section: every resource `pulumi up` would create for the cohort, counted by type. It runs
 * the real Pulumi program offline under Pulumi's mocks (infra/list-resources.ts), so the list
 * is the program's, not a description of it.
 */
import { renderTable } from "../../format/table";
import { planSection } from "../plan-section";

export const resourcesSection = planSection({
  id: "resources",
  title: "Resources (the Pulumi program run offline under mocks)",
  build: async (cohort) => {
    // Loaded here, not at the top: the Pulumi SDK takes seconds to import and only this section needs it.
    const { listResources } = await import("../../../infra/list-resources");
    const resources = await listResources(cohort);
    const counts = new Map<string, { type: string; kind: string; count: number }>();
    for (const r of resources) {
      if (r.kind === "provider") continue;
      if (r.kind === "component" && r.type.startsWith("labkit:")) continue;
      const entry = counts.get(r.type) ?? { type: r.type, kind: r.kind, count: 0 };
      entry.count += 1;
      counts.set(r.type, entry);
    }
    const byType = [...counts.values()].sort((a, b) => a.type.localeCompare(b.type));
    return {
      total: byType.reduce((sum, t) => sum + t.count, 0),
      byType,
      retainedOnDestroy: resources.filter((r) => r.retainOnDelete).map((r) => `${r.type} ${r.name}`),
    };
  },
  render: (data) => [
    ...renderTable(
      ["type", "count"],
      data.byType.map((t) => [
        t.kind === "component"
          ? `${t.type} (expands at deploy)`
          : t.kind === "read"
            ? `${t.type} (read, not created)`
            : t.type,
        t.count,
      ]),
    ),
    `${data.total} resources in all.${data.retainedOnDestroy.length > 0 ? ` Kept on \`pulumi destroy\`: ${data.retainedOnDestroy.join(", ")}.` : ""}`,
  ],
});
