/** Plan section: who is in the cohort. */
import { plural } from "../../format/table";
import { planSection } from "../plan-section";

export const learnersSection = planSection({
  id: "learners",
  title: "Learners",
  build: (cohort) => ({
    count: cohort.learners.length,
    rosterSource: cohort.rosterSource,
    learners: cohort.learners.map((l) => ({ id: l.id, name: l.name })),
    instructors: cohort.instructors.map((i) => ({ id: i.id, name: i.name })),
  }),
  render: (data) => {
    const shown = data.learners.slice(0, 12).map((l) => `${l.id} (${l.name})`);
    const more = data.count > shown.length ? `, … and ${data.count - shown.length} more` : "";
    return [
      `${plural(data.count, "learner")} (roster: ${data.rosterSource}), ${plural(data.instructors.length, "instructor")}`,
      `  ${shown.join(", ")}${more}`,
      ...(data.instructors.length > 0 ? [`  instructors: ${data.instructors.map((i) => i.id).join(", ")}`] : []),
    ];
  },
});
