/** Every manifest of the lab-controller, in apply order (for `labkit render` and tests). */
import { controllerDeployment } from "./controller-deployment";
import type { ControllerOptions } from "./controller-options";
import { controllerRbac } from "./controller-rbac";
import { controllerService, controllerServiceAccount } from "./controller-service";
import { controllerClaim, controllerCohortConfigMap, controllerTokensSecret } from "./controller-storage";

/** The controller's objects; `tokensJson` is the token-hash file (see controller-storage.ts). */
export function controllerManifests(options: ControllerOptions, tokensJson: string) {
  return [
    controllerServiceAccount(options),
    ...controllerRbac(options),
    controllerClaim(options),
    controllerCohortConfigMap(options),
    controllerTokensSecret(options, tokensJson),
    controllerService(options),
    controllerDeployment(options),
  ];
}
