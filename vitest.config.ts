import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // Pulumi mocks and the fake API server are process-global: keep files isolated.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
