/**
 * Runs the real Pulumi program offline, under Pulumi's mocks, and records every resource it
 * registers with the engine: type, name, parent, dependencies and options. `labkit plan` lists
 * them; the tests assert on them (including the dependency edges `pulumi destroy` follows).
 *
 * Pulumi's mocks are global to the process, so calls are serialized.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Cohort } from "../schema/cohort";
import { checkExistingClusterSettings } from "./existing-cluster";
import { deployLabkit, type LabkitSettings } from "./labkit-program";
import { offlineMocks } from "./offline-mocks";

/** One resource the program would create (or read). */
export interface PlannedResource {
  /** Pulumi type token, e.g. `aws:eks/nodeGroup:NodeGroup`. */
  readonly type: string;
  /** Logical name. */
  readonly name: string;
  /** URN the engine knows it by. */
  readonly urn: string;
  /** Parent's URN (the stack for top-level resources). */
  readonly parent?: string;
  /** `resource` (a cloud or Kubernetes object), `component` (a group; @pulumi/eks and awsx ones expand into more at deploy), `provider`, or `read` (an existing object looked up). */
  readonly kind: "resource" | "component" | "provider" | "read";
  /** URNs this resource depends on (inputs and `dependsOn`); `pulumi destroy` deletes this one before them. */
  readonly dependencies: readonly string[];
  /** Kept in the cloud when the stack is destroyed. */
  readonly retainOnDelete: boolean;
  /** The inputs the program passed. */
  readonly inputs: Record<string, unknown>;
}

interface RecordedRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom?(): boolean;
  getDependenciesList?(): string[];
  getRetainondelete?(): boolean;
  getRemote?(): boolean;
}

interface Monitor {
  registerResource(
    req: RecordedRequest,
    callback: (err: unknown, res: { getUrn(): string } | undefined) => void,
  ): Promise<void>;
  readResource(
    req: RecordedRequest,
    callback: (err: unknown, res: { getUrn(): string } | undefined) => void,
  ): Promise<void>;
}

let queue: Promise<unknown> = Promise.resolve();

/** Run the program for a cohort under mocks and return every resource it registered, in order. */
export function listResources(cohort: Cohort, settings: LabkitSettings = {}): Promise<PlannedResource[]> {
  const run = queue.then(() => runOffline(cohort, settings));
  queue = run.catch(() => undefined);
  return run;
}

async function runOffline(cohort: Cohort, settings: LabkitSettings): Promise<PlannedResource[]> {
  // Settings problems are thrown here, not from inside the stack (where they would surface as unhandled rejections).
  checkExistingClusterSettings(cohort, settings.clusterName);
  const mocks = offlineMocks();
  const inputsByName = new Map<string, Record<string, unknown>>();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        inputsByName.set(`${args.type}::${args.name}`, args.inputs);
        return mocks.newResource(args);
      },
      call: (args) => mocks.call(args),
    },
    "labkit",
    cohort.name,
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const recorded: PlannedResource[] = [];
  const record = (req: RecordedRequest, urn: string, read: boolean) => {
    const type = req.getType();
    const custom = req.getCustom?.() ?? true;
    recorded.push({
      type,
      name: req.getName(),
      urn,
      parent: req.getParent() || undefined,
      kind: read ? "read" : type.startsWith("pulumi:providers:") ? "provider" : custom ? "resource" : "component",
      dependencies: req.getDependenciesList?.() ?? [],
      retainOnDelete: req.getRetainondelete?.() ?? false,
      inputs: inputsByName.get(`${type}::${req.getName()}`) ?? {},
    });
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    register(req, (err, res) => {
      if (!err && res) record(req, res.getUrn(), false);
      callback(err, res);
    });
  const read = monitor.readResource.bind(monitor);
  monitor.readResource = (req, callback) =>
    read(req, (err, res) => {
      if (!err && res) record(req, res.getUrn(), true);
      callback(err, res);
    });

  await pulumi.runtime.runInPulumiStack(async () => {
    deployLabkit(cohort, settings);
    return {};
  });
  await pulumi.runtime.disconnect();
  return recorded.filter((r) => r.type !== "pulumi:pulumi:Stack");
}
