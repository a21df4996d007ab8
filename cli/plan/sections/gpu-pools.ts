/** Plan section: the GPU pools and the VRAM they bring. */
import { gpuPoolCapacity } from "../../../core/cost/gpu-pools";
import { gib, renderTable } from "../../format/table";
import { planSection } from "../plan-section";

export const gpuPoolsSection = planSection({
  id: "gpuPools",
  title: "GPU pools",
  build: (cohort) => {
    const pools = cohort.gpuPools.map((pool) => ({
      ...gpuPoolCapacity(pool),
      sharing: pool.sharing,
      capacity: pool.capacity,
      migProfile: pool.migProfile,
    }));
    const totalVramMiB = pools.reduce((sum, p) => sum + p.totalVramMiB, 0);
    return { pools, totalGpus: pools.reduce((s, p) => s + p.totalGpus, 0), totalVramMiB };
  },
  render: (data, cohort) => [
    ...renderTable(
      ["pool", "instance", "GPU", "nodes", "GPUs", "VRAM/GPU", "total VRAM", "sharing", "capacity"],
      data.pools.map((p) => [
        p.pool,
        p.instanceType,
        p.product,
        p.nodes,
        p.totalGpus,
        gib(p.gpuMemoryMiB),
        gib(p.totalVramMiB),
        p.sharing === "mig" ? `mig ${p.migProfile}` : p.sharing,
        p.capacity === "spot" ? "spot" : "on-demand",
      ]),
    ),
    `Total: ${data.totalGpus} GPUs, ${gib(data.totalVramMiB)} VRAM for ${cohort.learners.length} learners with a ${cohort.quotas.vramGiB} GiB quota each (${gib(cohort.learners.length * cohort.quotas.vramGiB * 1024)} if all run at once).`,
  ],
});
