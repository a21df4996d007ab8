/**
 * Contract: the gateway does not cut labkit's long requests.
 *
 * Rules:
 * - Envoy Gateway v1.5 sets a route timeout only when the HTTPRoute (or a BackendTrafficPolicy)
 *   has one (envoyproxy/gateway internal/xds/translator/route.go); otherwise Envoy's default of
 *   15 s applies to the whole response (site/content/en/v1.5/tasks/traffic/http-timeouts.md).
 * - Gateway API HTTPRoute `rules[].timeouts.request`: "0s" SHOULD disable the timeout; durations
 *   follow GEP-2257, `^([0-9]{1,5}(h|m|s|ms)){1,4}$` (apis/v1/shared_types.go; standard since v1.2.0).
 * - Envoy Gateway v1.5 `processRouteTimeout` lets `backendRequest` override `request` when no retry
 *   is set (internal/gatewayapi/route.go), so labkit leaves it unset.
 * - Envoy's HTTP connection manager closes a stream idle for `stream_idle_timeout`, 5 minutes by
 *   default (ClientTrafficPolicy `timeout.http.streamIdleTimeout`, api/v1alpha1/timeout_types.go).
 */
import { describe, expect, it } from "vitest";
import { jupyterLabArgs } from "../../charts/jupyter-command";
import { SSE_HEARTBEAT_MS } from "../../lab-controller/server/sse-stream";
import { renderedObjects } from "./rendered-example";

const GEP_2257 = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const ENVOY_STREAM_IDLE_TIMEOUT_S = 300;

describe("every HTTPRoute labkit makes", () => {
  const routes = renderedObjects().filter((o) => o.kind === "HTTPRoute");

  it("disables the request timeout with a valid `0s`, and sets no backendRequest", () => {
    expect(routes.length).toBeGreaterThan(24);
    for (const route of routes) {
      for (const rule of route.spec.rules) {
        expect(rule.timeouts?.request, route.metadata.name).toBe("0s");
        expect(rule.timeouts.request).toMatch(GEP_2257);
        expect(rule.timeouts.backendRequest).toBeUndefined();
      }
    }
  });

  it("serves streams that send a byte well inside Envoy's 5-minute stream idle timeout", () => {
    expect(SSE_HEARTBEAT_MS / 1000).toBeLessThan(ENVOY_STREAM_IDLE_TIMEOUT_S / 4);
    const ping = jupyterLabArgs({ learnerId: "ada" })
      .join(" ")
      .match(/websocket_ping_interval=(\d+)/);
    expect(Number(ping?.[1])).toBeLessThan(ENVOY_STREAM_IDLE_TIMEOUT_S / 4);
  });
});
