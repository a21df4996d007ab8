/**
 * A client-node informer that never stays down. client-node's ListWatch re-watches when a
 * stream ends and re-lists after 410 Gone, but after any other error (the API server restarting,
 * a 500, a refused connection) it reports the error and stops. This wrapper then waits (1 s,
 * doubling to 30 s) and starts a fresh informer, which lists everything again, so the cache and
 * the controller's view converge on the cluster's state.
 */
import {
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  makeInformer,
  type ObjectCache,
} from "@kubernetes/client-node";

/** What the informer tells its owner. */
export interface InformerEvents<T> {
  /** An object was added, changed or deleted (after a re-list, deletions of vanished objects too). */
  onChange(kind: "add" | "update" | "delete", object: T): void;
  /** The watch failed and will restart; for logs and metrics. */
  onError?(error: unknown): void;
}

/** Keeps one informer running over a path, restarting it with a fresh list after errors. */
export class ResilientInformer<T extends KubernetesObject> {
  private informer?: Informer<T> & ObjectCache<T>;
  private stopped = true;
  private restartDelayMs: number;
  private timer?: NodeJS.Timeout;
  private readonly cache = new Map<string, T>();
  /** How many times the informer was restarted after an error. */
  restarts = 0;
  /** True once a list has succeeded. */
  synced = false;

  constructor(
    private readonly kubeConfig: KubeConfig,
    /** API path, e.g. `/apis/batch/v1/jobs`. */
    private readonly path: string,
    private readonly list: () => Promise<KubernetesListObject<T>>,
    private readonly labelSelector: string | undefined,
    private readonly events: InformerEvents<T>,
    /** First restart delay, ms; doubles up to `maxDelayMs`. Default 1000. */
    private readonly minDelayMs = 1000,
    /** Longest restart delay, ms. Default 30000. */
    private readonly maxDelayMs = 30_000,
  ) {
    this.restartDelayMs = minDelayMs;
  }

  /** Start: lists, then watches. Resolves after the first list (or its failure, which schedules a retry). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.startInformer();
  }

  /** Stop watching; the cache keeps its last contents. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.informer?.stop();
  }

  /** Cached objects (all namespaces); kept across restarts. */
  items(): T[] {
    return [...this.cache.values()];
  }

  /** One cached object. */
  get(name: string, namespace?: string): T | undefined {
    return this.cache.get(`${namespace ?? ""}/${name}`);
  }

  private remember(kind: "add" | "update" | "delete", object: T): void {
    const key = `${object.metadata?.namespace ?? ""}/${object.metadata?.name}`;
    if (kind === "delete") this.cache.delete(key);
    else this.cache.set(key, object);
    this.events.onChange(kind, object);
  }

  private async startInformer(): Promise<void> {
    const informer = makeInformer<T>(this.kubeConfig, this.path, this.list, this.labelSelector);
    let failed = false;
    informer.on("add", (o) => this.remember("add", o));
    informer.on("update", (o) => {
      this.restartDelayMs = this.minDelayMs;
      this.remember("update", o);
    });
    informer.on("delete", (o) => this.remember("delete", o));
    informer.on("error", (error) => {
      failed = true;
      this.events.onError?.(error);
      this.scheduleRestart();
    });
    this.informer = informer;
    await informer.start();
    if (!failed) {
      // A fresh list: whatever the old cache holds that the list lacks was deleted meanwhile.
      const listed = new Set(informer.list().map((o) => `${o.metadata?.namespace ?? ""}/${o.metadata?.name}`));
      for (const [key, old] of [...this.cache]) if (!listed.has(key)) this.remember("delete", old);
      this.synced = true;
    }
  }

  private scheduleRestart(): void {
    if (this.stopped || this.timer) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(this.restartDelayMs * 2, this.maxDelayMs);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.restarts++;
      void this.informer?.stop();
      void this.startInformer();
    }, delay);
    this.timer.unref();
  }
}
