/**
 * The methods each route path answers, so a request with the wrong method gets
 * `405 Method Not Allowed` with an `Allow` header (RFC 9110 §15.5.6) instead of a 404 that
 * suggests the path does not exist.
 */

/** Route patterns (`/v1/runs/:id`) and their methods. */
export class KnownRoutes {
  private readonly routes: Array<{ pattern: RegExp; methods: Set<string> }> = [];
  private readonly byUrl = new Map<string, Set<string>>();

  /** Record a route as Fastify registers it (`url` may hold `:param` and `*`). */
  add(url: string, method: string | readonly string[]): void {
    let methods = this.byUrl.get(url);
    if (!methods) {
      methods = new Set();
      this.byUrl.set(url, methods);
      const source = url
        .split("/")
        .map((segment) =>
          segment.startsWith(":") ? "[^/]+" : segment === "*" ? ".*" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
        )
        .join("/");
      this.routes.push({ pattern: new RegExp(`^${source}$`), methods });
    }
    for (const m of typeof method === "string" ? [method] : method) methods.add(m.toUpperCase());
  }

  /** The methods some route answers at `path` (already rewritten and without the query), sorted. */
  methodsOf(path: string): string[] {
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return [];
    }
    const found = new Set<string>();
    for (const route of this.routes) {
      if (route.pattern.test(decoded)) for (const m of route.methods) found.add(m);
    }
    return [...found].sort();
  }
}
