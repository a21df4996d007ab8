/**
 * The cohort's cross-field rules: what the shape alone cannot say (unique ids, GPU facts from
 * the catalog, models the exercises use, a schedule that ends after it starts).
 */
import type { z } from "zod";
import { findInstanceType, gpuOf, knownCpuInstanceTypes, knownGpuInstanceTypes } from "../catalog/aws-instances";
import { versionFindings } from "../catalog/eks-versions";
import { type CohortFile, DNS_LABEL, LEARNER_ID_MAX_LENGTH, labsDomainOf } from "./cohort-shape";

/** Cross-field rules; each issue carries the path a person should look at. */
export function checkCohort(cohort: CohortFile, ctx: z.RefinementCtx): void {
  const people: Array<{ list: "learners" | "instructors"; index: number; id: string }> = [];
  if (Array.isArray(cohort.learners)) {
    cohort.learners.forEach((p, index) => {
      people.push({ list: "learners", index, id: p.id });
    });
  }
  cohort.instructors.forEach((p, index) => {
    people.push({ list: "instructors", index, id: p.id });
  });
  const firstSeen = new Map<string, { list: string; index: number }>();
  for (const person of people) {
    const path = [person.list, person.index, "id"];
    if (!DNS_LABEL.test(person.id) || person.id.length > LEARNER_ID_MAX_LENGTH) {
      ctx.addIssue({
        code: "custom",
        path,
        message: `id \`${person.id}\` is not a valid DNS label (RFC 1123): use lower-case letters, digits and '-', start and end with a letter or digit, at most ${LEARNER_ID_MAX_LENGTH} characters (it becomes a namespace), e.g. \`${suggestDnsLabel(person.id)}\``,
      });
    }
    const seen = firstSeen.get(person.id);
    if (seen) {
      ctx.addIssue({
        code: "custom",
        path,
        message: `duplicate id \`${person.id}\`: already used by ${seen.list}[${seen.index}]; every learner and instructor needs a unique id`,
      });
    } else {
      firstSeen.set(person.id, { list: person.list, index: person.index });
    }
  }

  let largestGpuMiB = 0;
  cohort.gpuPools.forEach((pool, index) => {
    const type = findInstanceType(pool.instanceType);
    const gpu = gpuOf(pool.instanceType);
    if (!type || !gpu) {
      const hint = type ? `${pool.instanceType} has no GPU` : `labkit has no facts about \`${pool.instanceType}\``;
      ctx.addIssue({
        code: "custom",
        path: ["gpuPools", index, "instanceType"],
        message: `${hint}: use one of ${knownGpuInstanceTypes().join(", ")}`,
      });
      return;
    }
    let slotMiB = gpu.memoryMiB;
    if (pool.sharing === "mig") {
      if (gpu.migProfiles.length === 0) {
        ctx.addIssue({
          code: "custom",
          path: ["gpuPools", index, "sharing"],
          message: `${pool.instanceType} (${gpu.product}) does not support MIG: use sharing \`hami\` or \`exclusive\`, or a p4d/p4de/p5 instance`,
        });
        return;
      }
      const profile = gpu.migProfiles.find((p) => p.name === pool.migProfile);
      if (!profile) {
        ctx.addIssue({
          code: "custom",
          path: ["gpuPools", index, "migProfile"],
          message: `sharing \`mig\` needs a migProfile of ${gpu.product}: one of ${gpu.migProfiles.map((p) => p.name).join(", ")}`,
        });
        return;
      }
      slotMiB = profile.memoryMiB;
    } else if (pool.migProfile !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["gpuPools", index, "migProfile"],
        message: `migProfile only applies to sharing \`mig\`; this pool uses \`${pool.sharing}\``,
      });
    }
    largestGpuMiB = Math.max(largestGpuMiB, slotMiB);
  });
  const poolNames = new Set<string>();
  cohort.gpuPools.forEach((pool, index) => {
    if (poolNames.has(pool.name)) {
      ctx.addIssue({
        code: "custom",
        path: ["gpuPools", index, "name"],
        message: `duplicate GPU pool name \`${pool.name}\`: give each pool its own name`,
      });
    }
    poolNames.add(pool.name);
  });

  const quotaMiB = cohort.quotas.vramGiB * 1024;
  if (largestGpuMiB > 0 && quotaMiB > largestGpuMiB) {
    ctx.addIssue({
      code: "custom",
      path: ["quotas", "vramGiB"],
      message: `the per-learner VRAM quota (${cohort.quotas.vramGiB} GiB) is larger than every GPU (or MIG slice) in the pools (largest: ${(largestGpuMiB / 1024).toFixed(1)} GiB): one run can never use it all; lower quotas.vramGiB to at most ${Math.floor(largestGpuMiB / 1024)}, or add a larger GPU pool`,
    });
  }

  const systemType = cohort.cloud.cluster.create?.systemPool.instanceType;
  if (systemType !== undefined) {
    const t = findInstanceType(systemType);
    if (!t || t.gpuCount > 0) {
      ctx.addIssue({
        code: "custom",
        path: ["cloud", "cluster", "create", "systemPool", "instanceType"],
        message: `\`${systemType}\` is not a CPU instance type labkit knows: use one of ${knownCpuInstanceTypes().join(", ")}`,
      });
    }
  }

  const modelIds = new Set(cohort.models.map((m) => m.id));
  const modelSeen = new Set<string>();
  cohort.models.forEach((model, index) => {
    if (modelSeen.has(model.id)) {
      ctx.addIssue({
        code: "custom",
        path: ["models", index, "id"],
        message: `model \`${model.id}\` is listed twice in the catalog`,
      });
    }
    modelSeen.add(model.id);
  });
  const exerciseIds = new Set<string>();
  cohort.exercises.forEach((exercise, index) => {
    if (exerciseIds.has(exercise.id)) {
      ctx.addIssue({
        code: "custom",
        path: ["exercises", index, "id"],
        message: `duplicate exercise id \`${exercise.id}\``,
      });
    }
    exerciseIds.add(exercise.id);
    const model = exercise.defaults.baseModel;
    if (!modelIds.has(model)) {
      ctx.addIssue({
        code: "custom",
        path: ["exercises", index, "defaults", "baseModel"],
        message: `exercise \`${exercise.id}\` uses model \`${model}\`, which is not in the model catalog: add it under \`models\` (\`- id: ${model}\`) or pick one of ${[...modelIds].join(", ")}`,
      });
    }
  });

  const create = cohort.cloud.cluster.create;
  if (create) {
    for (const finding of versionFindings(create.kubernetesVersion, cohort.schedule.start, cohort.schedule.end)) {
      if (finding.severity === "error") {
        ctx.addIssue({
          code: "custom",
          path: ["cloud", "cluster", "create", "kubernetesVersion"],
          message: finding.message,
        });
      }
    }
  }

  checkOrigins(cohort, ctx);

  const start = Date.parse(`${cohort.schedule.start}Z`);
  const end = Date.parse(`${cohort.schedule.end}Z`);
  if (!(end > start)) {
    ctx.addIssue({
      code: "custom",
      path: ["schedule", "end"],
      message: `the cohort ends (${cohort.schedule.end}) before it starts (${cohort.schedule.start})`,
    });
  }
  const window = cohort.schedule.dailyWindow;
  if (window && window.to <= window.from) {
    ctx.addIssue({
      code: "custom",
      path: ["schedule", "dailyWindow", "to"],
      message: `the daily window ends (${window.to}) before it starts (${window.from})`,
    });
  }
}

/** The longest host name DNS allows (RFC 1035 §2.3.4, without the final dot). */
const HOST_NAME_MAX_LENGTH = 253;

/**
 * The dashboard and every lab need an origin of their own (infra/platform/domain.ts); without a
 * domain they would share one over plain HTTP, which the cohort must accept in so many words.
 */
function checkOrigins(cohort: CohortFile, ctx: z.RefinementCtx): void {
  const domain = cohort.domain;
  if (!domain) {
    if (!cohort.insecure) {
      ctx.addIssue({
        code: "custom",
        path: ["domain"],
        message:
          "no `domain`: without one every learner's lab is served on the dashboard's origin over plain HTTP, so a learner's notebook page can call the API as the instructor who opens it, and tokens and cookies cross the network in clear text. Add `domain: { name: labs.example.org, hostedZoneId: Z… }` (labkit then gives each lab its own host with TLS), or, for a trial without DNS, opt in with `insecure: true` at the top level",
      });
    }
    return;
  }
  const labsDomain = labsDomainOf(domain);
  if (domain.name.endsWith(`.${labsDomain}`)) {
    ctx.addIssue({
      code: "custom",
      path: ["domain", "labsDomain"],
      message: `\`${labsDomain}\` is a parent of the dashboard's host \`${domain.name}\`, so \`${domain.name}\` would be one of the learners' hosts \`*.${labsDomain}\` and a learner's lab could share the dashboard's origin: pick a labsDomain that is not above ${domain.name}, e.g. \`labs.${domain.name}\` (the default)`,
    });
  }
  const longest = LEARNER_ID_MAX_LENGTH + 1 + labsDomain.length;
  if (longest > HOST_NAME_MAX_LENGTH) {
    ctx.addIssue({
      code: "custom",
      path: ["domain", domain.labsDomain === undefined ? "name" : "labsDomain"],
      message: `the labs' domain \`${labsDomain}\` is ${labsDomain.length} characters: \`<learner>.${labsDomain}\` could pass the ${HOST_NAME_MAX_LENGTH}-character limit of a host name with a ${LEARNER_ID_MAX_LENGTH}-character learner id; use a labsDomain of at most ${HOST_NAME_MAX_LENGTH - LEARNER_ID_MAX_LENGTH - 1} characters`,
    });
  }
}

/** A lower-case DNS-label version of an id, offered in error messages. */
export function suggestDnsLabel(id: string): string {
  const label = id
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .replace(/-{2,}/g, "-")
    .slice(0, LEARNER_ID_MAX_LENGTH)
    .replace(/-+$/, "");
  return label || "learner-1";
}
