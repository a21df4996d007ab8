/**
 * A small Kubernetes API server for tests: real HTTP, real JSON, the REST paths and the watch
 * protocol @kubernetes/client-node speaks. No Kubernetes server can run here, so this is the one
 * fake; it keeps only what the real API server does (storage, resourceVersion, list/watch, label
 * selectors, 404/409/422 Status bodies, owner-reference validation and garbage collection,
 * Secrets' `stringData` and `immutable`, discovery) and none of the controllers (no Job
 * controller, no kubelet): a test plays those by writing objects.
 *
 * The Secret and owner rules follow kubernetes/website (docs/concepts/configuration/secret.md:
 * `stringData` is merged into `data` on write; an immutable Secret's data cannot change;
 * docs/concepts/architecture/garbage-collection.md: a namespaced owner counts only in its
 * dependent's namespace, and a dependent whose owners are all absent is deleted), pinned in
 * tests/contracts/runner-token-secret.test.ts.
 *
 * ```ts
 * const api = await FakeKubeApi.start();
 * const kc = api.kubeConfig();                       // for @kubernetes/client-node
 * api.seed({ apiVersion: "v1", kind: "Node", metadata: { name: "gpu-1" } });
 * api.breakWatches();                                 // every open watch ends, clients re-watch
 * api.failNextWatches(2, 500);                        // the next two watch requests fail
 * await api.close();
 * ```
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

/** A stored Kubernetes object: any JSON with `metadata`. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    generateName?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** One API resource the fake serves. */
export interface ResourceType {
  /** API group; "" for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural resource name used in paths, e.g. `jobs`. */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Deletion propagation when the client names none (the real server orphans Jobs' pods by default). */
  readonly defaultPropagation?: "Orphan" | "Background";
}

/** The resources served: the core kinds labkit touches plus batch, apps and RBAC. */
export const FAKE_RESOURCES: readonly ResourceType[] = [
  { group: "", version: "v1", plural: "namespaces", kind: "Namespace", namespaced: false },
  { group: "", version: "v1", plural: "nodes", kind: "Node", namespaced: false },
  { group: "", version: "v1", plural: "pods", kind: "Pod", namespaced: true },
  { group: "", version: "v1", plural: "secrets", kind: "Secret", namespaced: true },
  { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", namespaced: true },
  { group: "", version: "v1", plural: "services", kind: "Service", namespaced: true },
  { group: "", version: "v1", plural: "serviceaccounts", kind: "ServiceAccount", namespaced: true },
  { group: "", version: "v1", plural: "persistentvolumeclaims", kind: "PersistentVolumeClaim", namespaced: true },
  { group: "", version: "v1", plural: "events", kind: "Event", namespaced: true },
  { group: "batch", version: "v1", plural: "jobs", kind: "Job", namespaced: true, defaultPropagation: "Orphan" },
  { group: "apps", version: "v1", plural: "deployments", kind: "Deployment", namespaced: true },
  { group: "rbac.authorization.k8s.io", version: "v1", plural: "roles", kind: "Role", namespaced: true },
  { group: "rbac.authorization.k8s.io", version: "v1", plural: "rolebindings", kind: "RoleBinding", namespaced: true },
];

/** One request the fake answered, for assertions such as "the Job was created once". */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

interface WatchEvent {
  readonly rv: number;
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly resource: ResourceType;
  readonly object: KubeObject;
}

interface OpenWatch {
  /** Whether an event belongs on this stream (resource, namespace, selectors). */
  readonly matches: (event: WatchEvent) => boolean;
  readonly res: ServerResponse;
}

type LabelSelector = (labels: Record<string, string> | undefined) => boolean;

/** Parse a label selector (`a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`), or throw. */
export function parseLabelSelector(text: string | null | undefined): LabelSelector {
  if (!text) return () => true;
  const terms: LabelSelector[] = [];
  // Split on commas outside parentheses.
  const parts = text.match(/([^,(]+(\([^)]*\))?)+/g) ?? [];
  for (const raw of parts) {
    const part = raw.trim();
    let m = part.match(/^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/);
    if (m) {
      const [, key, op, list] = m;
      const values = new Set(list.split(",").map((v) => v.trim()));
      terms.push(op === "in" ? (l) => values.has(l?.[key] ?? "\0") : (l) => !values.has(l?.[key] ?? "\0"));
      continue;
    }
    m = part.match(/^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/);
    if (m) {
      const [, key, op, value] = m;
      terms.push(op === "!=" ? (l) => l?.[key] !== value : (l) => l?.[key] === value);
      continue;
    }
    m = part.match(/^(!?)([\w./-]+)$/);
    if (m) {
      const [, not, key] = m;
      terms.push(not ? (l) => l?.[key] === undefined : (l) => l?.[key] !== undefined);
      continue;
    }
    throw new Error(`unable to parse requirement: ${part}`);
  }
  return (labels) => terms.every((t) => t(labels));
}

/** The fake API server. Start it with `FakeKubeApi.start()`. */
export class FakeKubeApi {
  /** Every request answered, in order. */
  readonly requests: RecordedRequest[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private readonly history: WatchEvent[] = [];
  private readonly watches = new Set<OpenWatch>();
  private resourceVersion = 1;
  /** Watch events older than this resourceVersion are forgotten (a watch from before it gets 410 Gone). */
  private compactedRv = 0;
  private failingWatches: { count: number; status: number } = { count: 0, status: 500 };

  private constructor(
    private readonly server: Server,
    /** Base URL, e.g. `http://127.0.0.1:41234`. */
    readonly url: string,
  ) {}

  /** Start on 127.0.0.1 and a free port. */
  static async start(): Promise<FakeKubeApi> {
    let api: FakeKubeApi | undefined;
    const server = createServer((req, res) => {
      api?.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) api?.sendStatus(res, req, 500, "InternalError", String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    api = new FakeKubeApi(server, `http://127.0.0.1:${port}`);
    return api;
  }

  /** A KubeConfig pointing at this server (no TLS, no auth), for `kc.makeApiClient(...)`. */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.kubeconfigYaml());
    return kc;
  }

  /** The same as kubeconfig YAML text, for tools that read a file. */
  kubeconfigYaml(): string {
    return [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: fake",
      "  cluster:",
      `    server: ${this.url}`,
      // client-node refuses plain http unless TLS verification is explicitly off.
      "    insecure-skip-tls-verify: true",
      "users:",
      "- name: fake",
      "  user:",
      "    token: fake-token",
      "contexts:",
      "- name: fake",
      "  context: { cluster: fake, user: fake }",
      "current-context: fake",
      "",
    ].join("\n");
  }

  /** Stop serving; open watches end. */
  async close(): Promise<void> {
    this.breakWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Store an object as if a client created it (fills uid, resourceVersion, creationTimestamp). */
  seed<T extends KubeObject>(object: T): T {
    const resource = this.resourceOfObject(object);
    return this.createObject(resource, object.metadata.namespace, object) as T;
  }

  /** Replace an object's stored state (e.g. a test playing the kubelet sets a Pod's status); returns the stored copy. */
  put<T extends KubeObject>(object: T): T {
    const resource = this.resourceOfObject(object);
    const key = this.key(resource, object.metadata.namespace, object.metadata.name ?? "");
    const existing = this.objects.get(key);
    if (!existing)
      throw new Error(`${resource.kind} ${object.metadata.namespace ?? ""}/${object.metadata.name} not found`);
    return this.replaceObject(resource, existing, object) as T;
  }

  /** The stored object, or undefined. */
  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const resource = this.resourceOfKind(kind);
    const found = this.objects.get(this.key(resource, namespace, name));
    return found ? structuredClone(found) : undefined;
  }

  /** Every stored object of a kind, optionally in one namespace and matching a label selector. */
  list(kind: string, namespace?: string, labelSelector?: string): KubeObject[] {
    const resource = this.resourceOfKind(kind);
    const selector = parseLabelSelector(labelSelector);
    return [...this.objects.values()]
      .filter((o) => this.resourceOfObject(o) === resource)
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .filter((o) => selector(o.metadata.labels))
      .map((o) => structuredClone(o));
  }

  /** Delete an object as a client would (with garbage collection of its dependents); false when absent. */
  remove(kind: string, namespace: string | undefined, name: string): boolean {
    const resource = this.resourceOfKind(kind);
    const existing = this.objects.get(this.key(resource, namespace, name));
    if (!existing) return false;
    this.deleteObject(resource, existing, "Background");
    return true;
  }

  /** Requests matching a method and a path pattern. */
  requestsMatching(method: string, path: RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && path.test(r.path));
  }

  /** End every open watch stream, as when the API server restarts or a load balancer drops idle connections. */
  breakWatches(): void {
    for (const w of this.watches) w.res.end();
    this.watches.clear();
  }

  /** Answer the next `count` watch requests with an HTTP error (default 500), as an overloaded server does. */
  failNextWatches(count: number, status = 500): void {
    this.failingWatches = { count, status };
  }

  /** Forget the watch history up to now, so a watch resuming from an older resourceVersion gets 410 Gone. */
  compactHistory(): void {
    this.compactedRv = this.resourceVersion;
    this.history.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const method = req.method ?? "GET";
    res.on("finish", () => this.requests.push({ method, path: url.pathname, status: res.statusCode }));
    const body = method === "GET" || method === "DELETE" ? await readBody(req, true) : await readBody(req, false);
    if (method === "GET" && this.serveDiscovery(url.pathname, res)) return;

    const route = this.route(url.pathname);
    if (!route) {
      this.sendStatus(res, req, 404, "NotFound", `the server could not find the requested resource (${url.pathname})`);
      return;
    }
    const { resource, namespace, name, subresource } = route;
    let selector: LabelSelector;
    try {
      selector = parseLabelSelector(url.searchParams.get("labelSelector"));
    } catch (error) {
      this.sendStatus(res, req, 400, "BadRequest", (error as Error).message);
      return;
    }
    const fieldSelector = parseFieldSelector(url.searchParams.get("fieldSelector"));

    if (method === "GET" && name === undefined) {
      if (url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1") {
        this.startWatch(req, res, resource, namespace, (o) => selector(o.metadata.labels) && fieldSelector(o), url);
        return;
      }
      const items = [...this.objects.values()]
        .filter((o) => this.resourceOfObject(o) === resource)
        .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
        .filter((o) => selector(o.metadata.labels) && fieldSelector(o));
      sendJson(res, 200, {
        apiVersion: apiVersionOf(resource),
        kind: `${resource.kind}List`,
        metadata: { resourceVersion: String(this.resourceVersion) },
        items: items.map((o) => ({ ...o, apiVersion: apiVersionOf(resource), kind: resource.kind })),
      });
      return;
    }

    if (method === "POST" && name === undefined) {
      const object = parseObject(body);
      if (!object) {
        this.sendStatus(res, req, 400, "BadRequest", "the request body is not a JSON object with metadata");
        return;
      }
      if (
        resource.namespaced &&
        namespace &&
        !this.objects.has(this.key(this.resourceOfKind("Namespace"), undefined, namespace))
      ) {
        this.sendStatus(res, req, 404, "NotFound", `namespaces "${namespace}" not found`, {
          name: namespace,
          kind: "namespaces",
        });
        return;
      }
      if (!object.metadata.name && !object.metadata.generateName) {
        this.sendStatus(
          res,
          req,
          422,
          "Invalid",
          `${resource.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
        );
        return;
      }
      const invalid = invalidOwnerReferences(object);
      if (invalid) {
        this.sendStatus(
          res,
          req,
          422,
          "Invalid",
          `${resource.kind} "${object.metadata.name ?? ""}" is invalid: ${invalid}`,
          {
            name: object.metadata.name,
            kind: resource.plural,
          },
        );
        return;
      }
      if (object.metadata.name && this.objects.has(this.key(resource, namespace, object.metadata.name))) {
        this.sendStatus(
          res,
          req,
          409,
          "AlreadyExists",
          `${resource.plural}${groupSuffix(resource)} "${object.metadata.name}" already exists`,
          {
            name: object.metadata.name,
            kind: resource.plural,
          },
        );
        return;
      }
      const created = this.createObject(resource, namespace, object);
      sendJson(res, 201, created);
      return;
    }

    if (name === undefined) {
      this.sendStatus(res, req, 405, "MethodNotAllowed", `${method} is not supported on a collection here`);
      return;
    }
    const key = this.key(resource, namespace, name);
    const existing = this.objects.get(key);
    if (!existing) {
      this.sendStatus(res, req, 404, "NotFound", `${resource.plural}${groupSuffix(resource)} "${name}" not found`, {
        name,
        kind: resource.plural,
      });
      return;
    }

    if (method === "GET") {
      sendJson(res, 200, existing);
      return;
    }
    if (method === "PUT") {
      const object = parseObject(body);
      if (!object) {
        this.sendStatus(res, req, 400, "BadRequest", "the request body is not a JSON object with metadata");
        return;
      }
      if (object.metadata.resourceVersion && object.metadata.resourceVersion !== existing.metadata.resourceVersion) {
        this.sendStatus(
          res,
          req,
          409,
          "Conflict",
          `Operation cannot be fulfilled on ${resource.plural}${groupSuffix(resource)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          { name, kind: resource.plural },
        );
        return;
      }
      const merged =
        subresource === "status"
          ? { ...existing, status: object.status }
          : { ...object, status: existing.status ?? object.status };
      const refused =
        invalidOwnerReferences(merged as KubeObject) ?? immutableSecretChange(existing, merged as KubeObject);
      if (refused) {
        this.sendStatus(res, req, 422, "Invalid", `${resource.kind} "${name}" is invalid: ${refused}`, {
          name,
          kind: resource.plural,
        });
        return;
      }
      sendJson(res, 200, this.replaceObject(resource, existing, merged as KubeObject));
      return;
    }
    if (method === "PATCH") {
      const contentType = req.headers["content-type"] ?? "";
      let patch: unknown;
      try {
        patch = JSON.parse(body || "null");
      } catch {
        this.sendStatus(res, req, 400, "BadRequest", "the patch is not JSON");
        return;
      }
      if (contentType.includes("json-patch")) {
        this.sendStatus(res, req, 415, "UnsupportedMediaType", "this test server accepts merge patches only");
        return;
      }
      const patched = mergePatch(existing, patch) as KubeObject;
      const refused = invalidOwnerReferences(patched) ?? immutableSecretChange(existing, patched);
      if (refused) {
        this.sendStatus(res, req, 422, "Invalid", `${resource.kind} "${name}" is invalid: ${refused}`, {
          name,
          kind: resource.plural,
        });
        return;
      }
      sendJson(res, 200, this.replaceObject(resource, existing, patched));
      return;
    }
    if (method === "DELETE") {
      let options: { propagationPolicy?: string } = {};
      try {
        options = body ? JSON.parse(body) : {};
      } catch {
        // A DELETE body is optional; the query string can carry the policy instead.
      }
      const policy =
        url.searchParams.get("propagationPolicy") ??
        options.propagationPolicy ??
        resource.defaultPropagation ??
        "Background";
      this.deleteObject(resource, existing, policy);
      sendJson(res, 200, {
        apiVersion: "v1",
        kind: "Status",
        metadata: {},
        status: "Success",
        details: { name, kind: resource.plural, uid: existing.metadata.uid },
      });
      return;
    }
    this.sendStatus(res, req, 405, "MethodNotAllowed", `${method} is not supported`);
  }

  private serveDiscovery(path: string, res: ServerResponse): boolean {
    const groups = [...new Set(FAKE_RESOURCES.filter((r) => r.group !== "").map((r) => `${r.group}/${r.version}`))];
    const resourceList = (groupVersion: string) => ({
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion,
      resources: FAKE_RESOURCES.filter((r) => apiVersionOf(r) === groupVersion).map((r) => ({
        name: r.plural,
        singularName: r.kind.toLowerCase(),
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
      })),
    });
    if (path === "/version") {
      sendJson(res, 200, { major: "1", minor: "33", gitVersion: "v1.33.0-fake", platform: "linux/amd64" });
      return true;
    }
    if (path === "/api") {
      sendJson(res, 200, { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] });
      return true;
    }
    if (path === "/apis") {
      sendJson(res, 200, {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: groups.map((gv) => {
          const [group, version] = gv.split("/");
          const v = { groupVersion: gv, version };
          return { name: group, versions: [v], preferredVersion: v };
        }),
      });
      return true;
    }
    if (path === "/api/v1") {
      sendJson(res, 200, resourceList("v1"));
      return true;
    }
    const m = path.match(/^\/apis\/([^/]+)\/([^/]+)\/?$/);
    if (m && groups.includes(`${m[1]}/${m[2]}`)) {
      sendJson(res, 200, resourceList(`${m[1]}/${m[2]}`));
      return true;
    }
    return false;
  }

  private route(
    path: string,
  ): { resource: ResourceType; namespace?: string; name?: string; subresource?: string } | undefined {
    const m = path.match(/^\/api\/(v1)\/(.*)$/) ?? path.match(/^\/apis\/([^/]+\/[^/]+)\/(.*)$/);
    if (!m) return undefined;
    const groupVersion = m[1];
    let rest = m[2].replace(/\/$/, "").split("/");
    let namespace: string | undefined;
    if (rest[0] === "namespaces" && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const resource = FAKE_RESOURCES.find((r) => apiVersionOf(r) === groupVersion && r.plural === rest[0]);
    if (!resource) return undefined;
    if (namespace !== undefined && !resource.namespaced) return undefined;
    return { resource, namespace, name: rest[1], subresource: rest[2] };
  }

  private startWatch(
    req: IncomingMessage,
    res: ServerResponse,
    resource: ResourceType,
    namespace: string | undefined,
    matches: (o: KubeObject) => boolean,
    url: URL,
  ): void {
    if (this.failingWatches.count > 0) {
      this.failingWatches.count--;
      this.sendStatus(res, req, this.failingWatches.status, "InternalError", "injected watch failure");
      return;
    }
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    // Clients wait for the headers before they read events: send them now, not with the first event.
    res.flushHeaders();
    const fromText = url.searchParams.get("resourceVersion");
    const from = fromText ? Number(fromText) : this.resourceVersion;
    if (Number.isFinite(from) && from < this.compactedRv) {
      res.write(
        `${JSON.stringify({
          type: "ERROR",
          object: {
            kind: "Status",
            apiVersion: "v1",
            status: "Failure",
            reason: "Expired",
            code: 410,
            message: `too old resource version: ${from} (${this.compactedRv})`,
          },
        })}\n`,
      );
      res.end();
      return;
    }
    const inScope = (e: WatchEvent) =>
      e.resource === resource &&
      (namespace === undefined || e.object.metadata.namespace === namespace) &&
      matches(e.object);
    for (const event of this.history) {
      if (event.rv > from && inScope(event))
        res.write(`${JSON.stringify({ type: event.type, object: event.object })}\n`);
    }
    const watch: OpenWatch = { matches: inScope, res };
    this.watches.add(watch);
    const timeoutSeconds = Number(url.searchParams.get("timeoutSeconds") ?? "0");
    const timer = timeoutSeconds > 0 ? setTimeout(() => res.end(), timeoutSeconds * 1000) : undefined;
    req.on("close", () => {
      if (timer) clearTimeout(timer);
      this.watches.delete(watch);
    });
  }

  private emit(type: WatchEvent["type"], resource: ResourceType, object: KubeObject): void {
    const event: WatchEvent = {
      rv: Number(object.metadata.resourceVersion),
      type,
      resource,
      object: structuredClone(object),
    };
    this.history.push(event);
    if (this.history.length > 5000) this.history.shift();
    for (const w of this.watches) {
      if (w.matches(event)) w.res.write(`${JSON.stringify({ type, object: event.object })}\n`);
    }
  }

  private createObject(resource: ResourceType, namespace: string | undefined, input: KubeObject): KubeObject {
    const metadata = { ...input.metadata };
    if (!metadata.name) metadata.name = `${metadata.generateName ?? ""}${randomUUID().slice(0, 5)}`;
    const object: KubeObject = {
      ...structuredClone(input),
      apiVersion: apiVersionOf(resource),
      kind: resource.kind,
      metadata: {
        ...structuredClone(metadata),
        ...(resource.namespaced ? { namespace: namespace ?? metadata.namespace ?? "default" } : {}),
        uid: randomUUID(),
        resourceVersion: String(++this.resourceVersion),
        creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      },
    };
    if (!resource.namespaced) delete object.metadata.namespace;
    if (resource.kind === "Secret") mergeStringData(object);
    this.objects.set(this.key(resource, object.metadata.namespace, object.metadata.name ?? ""), object);
    this.emit("ADDED", resource, object);
    // The garbage collector, soon after: a dependent none of whose owners exists is deleted.
    if (object.metadata.ownerReferences?.length) setImmediate(() => this.collectIfOrphaned(resource, object));
    return structuredClone(object);
  }

  /** Delete `object` (if still stored, same uid) when none of its owners exists where it may be. */
  private collectIfOrphaned(resource: ResourceType, object: KubeObject): void {
    const key = this.key(resource, object.metadata.namespace, object.metadata.name ?? "");
    const stored = this.objects.get(key);
    if (!stored || stored.metadata.uid !== object.metadata.uid) return;
    const owners = stored.metadata.ownerReferences ?? [];
    if (owners.length === 0 || owners.some((ref) => this.ownerExists(stored, ref))) return;
    this.deleteObject(resource, stored, "Background");
  }

  /** Whether an owner reference resolves: same uid, and (for a namespaced owner) the dependent's namespace. */
  private ownerExists(dependent: KubeObject, ref: { kind: string; uid: string }): boolean {
    return [...this.objects.values()].some((o) => o.metadata.uid === ref.uid && this.isOwnerOf(o, dependent));
  }

  /** Cross-namespace ownership is not allowed: a namespaced owner owns only dependents in its namespace. */
  private isOwnerOf(owner: KubeObject, dependent: KubeObject): boolean {
    const ownerResource = this.resourceOfObject(owner);
    return !ownerResource.namespaced || owner.metadata.namespace === dependent.metadata.namespace;
  }

  private replaceObject(resource: ResourceType, existing: KubeObject, next: KubeObject): KubeObject {
    const object: KubeObject = {
      ...structuredClone(next),
      apiVersion: apiVersionOf(resource),
      kind: resource.kind,
      metadata: {
        ...structuredClone(next.metadata),
        name: existing.metadata.name,
        namespace: existing.metadata.namespace,
        uid: existing.metadata.uid,
        creationTimestamp: existing.metadata.creationTimestamp,
        resourceVersion: String(++this.resourceVersion),
      },
    };
    if (!resource.namespaced) delete object.metadata.namespace;
    if (resource.kind === "Secret") mergeStringData(object);
    this.objects.set(this.key(resource, existing.metadata.namespace, existing.metadata.name ?? ""), object);
    this.emit("MODIFIED", resource, object);
    return structuredClone(object);
  }

  private deleteObject(resource: ResourceType, existing: KubeObject, policy: string): void {
    this.objects.delete(this.key(resource, existing.metadata.namespace, existing.metadata.name ?? ""));
    const gone = { ...existing, metadata: { ...existing.metadata, resourceVersion: String(++this.resourceVersion) } };
    this.emit("DELETED", resource, gone);
    if (policy === "Orphan") return;
    // The garbage collector removes dependents whose owner is gone.
    for (const dependent of [...this.objects.values()]) {
      if (
        dependent.metadata.ownerReferences?.some((o) => o.uid === existing.metadata.uid) &&
        this.isOwnerOf(existing, dependent)
      ) {
        this.deleteObject(this.resourceOfObject(dependent), dependent, "Background");
      }
    }
    if (resource.kind === "Namespace") {
      for (const member of [...this.objects.values()]) {
        if (member.metadata.namespace === existing.metadata.name) {
          this.deleteObject(this.resourceOfObject(member), member, "Background");
        }
      }
    }
  }

  private key(resource: ResourceType, namespace: string | undefined, name: string): string {
    return `${apiVersionOf(resource)}/${resource.plural}/${resource.namespaced ? (namespace ?? "default") : ""}/${name}`;
  }

  private resourceOfKind(kind: string): ResourceType {
    const resource = FAKE_RESOURCES.find((r) => r.kind === kind);
    if (!resource) throw new Error(`the fake API server does not serve ${kind}; add it to FAKE_RESOURCES`);
    return resource;
  }

  private resourceOfObject(object: KubeObject): ResourceType {
    const resource = FAKE_RESOURCES.find(
      (r) => r.kind === object.kind && (object.apiVersion === undefined || apiVersionOf(r) === object.apiVersion),
    );
    if (!resource) throw new Error(`the fake API server does not serve ${object.apiVersion}/${object.kind}`);
    return resource;
  }

  private sendStatus(
    res: ServerResponse,
    _req: IncomingMessage,
    code: number,
    reason: string,
    message: string,
    details?: Record<string, unknown>,
  ): void {
    sendJson(res, code, {
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message,
      reason,
      details,
      code,
    });
  }
}

function apiVersionOf(resource: ResourceType): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}

function groupSuffix(resource: ResourceType): string {
  return resource.group ? `.${resource.group}` : "";
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage, optional: boolean): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return optional && text.length === 0 ? "" : text;
}

function parseObject(body: string): KubeObject | undefined {
  try {
    const value = JSON.parse(body) as KubeObject;
    if (value && typeof value === "object" && value.metadata && typeof value.metadata === "object") return value;
  } catch {
    // fall through: not JSON
  }
  return undefined;
}

function parseFieldSelector(text: string | null): (o: KubeObject) => boolean {
  if (!text) return () => true;
  const terms = text.split(",").map((t) => {
    const [field, value] = t.split("=");
    return (o: KubeObject) => {
      const actual = field.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);
      return actual === value;
    };
  });
  return (o) => terms.every((t) => t(o));
}

/** The API server's check of `metadata.ownerReferences`: every field named, at most one controller. */
function invalidOwnerReferences(object: KubeObject): string | undefined {
  const refs = object.metadata.ownerReferences ?? [];
  for (const field of ["apiVersion", "kind", "name", "uid"] as const) {
    const bad = refs.find((ref) => typeof ref[field] !== "string" || ref[field] === "");
    if (bad) return `metadata.ownerReferences.${field}: Invalid value: "": ${field} must not be empty`;
  }
  if (refs.filter((ref) => ref.controller === true).length > 1) {
    return "metadata.ownerReferences: Invalid value: []: Only one reference can have Controller set to true";
  }
  return undefined;
}

/** A Secret's `stringData`, merged into its base64 `data` on write (it wins over `data`); never stored. */
function mergeStringData(secret: KubeObject): void {
  const stringData = secret.stringData as Record<string, string> | undefined;
  if (!stringData) return;
  const data = { ...((secret.data as Record<string, string> | undefined) ?? {}) };
  for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(value, "utf8").toString("base64");
  secret.data = data;
  delete secret.stringData;
}

/** Why an update of an immutable Secret is refused (its data or immutability changes), or undefined. */
function immutableSecretChange(existing: KubeObject, next: KubeObject): string | undefined {
  if (existing.kind !== "Secret" || existing.immutable !== true) return undefined;
  const candidate = structuredClone(next);
  mergeStringData(candidate);
  if (candidate.immutable !== true) return "immutable: Forbidden: field is immutable when `immutable` is set";
  const sorted = (data: unknown) => JSON.stringify(Object.entries((data as Record<string, string>) ?? {}).sort());
  if (sorted(candidate.data) !== sorted(existing.data)) {
    return "data: Forbidden: field is immutable when `immutable` is set";
  }
  return undefined;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> =
    target && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}
