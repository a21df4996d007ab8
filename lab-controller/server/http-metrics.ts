/**
 * Counters for `/metrics` in the Prometheus text format (0.0.4): requests by route and status,
 * request time per route, plus whatever gauges the caller adds at scrape time. No client
 * library: the format is a few lines of text.
 */

/** One gauge or counter sample. */
export interface Sample {
  readonly name: string;
  readonly help: string;
  readonly type: "gauge" | "counter";
  readonly labels?: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** Request counters, filled by an `onResponse` hook. */
export class HttpMetrics {
  private readonly requests = new Map<string, { route: string; method: string; status: number; count: number }>();
  private readonly durations = new Map<string, { route: string; sumSeconds: number; count: number }>();

  /** Count one answered request; `elapsedMs` is the time to answer it. */
  observe(method: string, route: string, status: number, elapsedMs: number): void {
    const key = `${method} ${route} ${status}`;
    const entry = this.requests.get(key) ?? { route, method, status, count: 0 };
    entry.count++;
    this.requests.set(key, entry);
    const d = this.durations.get(route) ?? { route, sumSeconds: 0, count: 0 };
    d.sumSeconds += elapsedMs / 1000;
    d.count++;
    this.durations.set(route, d);
  }

  /** The request samples. */
  samples(): Sample[] {
    const out: Sample[] = [];
    for (const r of this.requests.values()) {
      out.push({
        name: "labkit_http_requests_total",
        help: "HTTP requests answered, by method, route and status.",
        type: "counter",
        labels: { method: r.method, route: r.route, status: r.status },
        value: r.count,
      });
    }
    for (const d of this.durations.values()) {
      out.push({
        name: "labkit_http_request_duration_seconds_sum",
        help: "Total time spent answering requests, seconds, by route.",
        type: "counter",
        labels: { route: d.route },
        value: d.sumSeconds,
      });
      out.push({
        name: "labkit_http_request_duration_seconds_count",
        help: "Requests timed, by route.",
        type: "counter",
        labels: { route: d.route },
        value: d.count,
      });
    }
    return out;
  }
}

/** Render samples in the Prometheus text format; HELP/TYPE once per metric name. */
export function renderPrometheus(samples: readonly Sample[]): string {
  const lines: string[] = [];
  const described = new Set<string>();
  const sorted = [...samples].sort((a, b) => a.name.localeCompare(b.name));
  for (const s of sorted) {
    if (!described.has(s.name)) {
      lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`);
      described.add(s.name);
    }
    const labels = Object.entries(s.labels ?? {})
      .map(([k, v]) => `${k}="${String(v).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`)
      .join(",");
    lines.push(`${s.name}${labels ? `{${labels}}` : ""} ${Number.isFinite(s.value) ? s.value : 0}`);
  }
  return `${lines.join("\n")}\n`;
}
