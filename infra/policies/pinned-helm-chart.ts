/** Policy: every Helm release names an exact chart version, so two `pulumi up`s install the same thing. */

import * as k8s from "@pulumi/kubernetes";
import { type ResourceValidationPolicy, validateResourceOfType } from "@pulumi/policy";

/** An exact SemVer version, with or without a leading `v` (no ranges such as `^1.2` or `1.x`). */
const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

export const pinnedHelmChartPolicy: ResourceValidationPolicy = {
  name: "labkit-pinned-helm-chart",
  description: "Helm releases pin an exact chart version.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(k8s.helm.v3.Release, (release, _args, reportViolation) => {
    if (!release.version || !EXACT_VERSION.test(release.version)) {
      reportViolation(
        `Helm release of chart ${release.chart} has version ${release.version ?? "(none)"}; pin an exact version in infra/platform/helm-charts.ts`,
      );
    }
  }),
};
