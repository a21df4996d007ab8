/**
 * Contract: the EFS and EBS CSI drivers accept every claim and StorageClass labkit makes.
 *
 * Rules (upstream source, read at the versions named):
 * - aws-efs-csi-driver pkg/driver/node.go `volumeCapAccessModes` = {SINGLE_NODE_WRITER,
 *   MULTI_NODE_MULTI_WRITER} (v1.7.0 … v3.4.1): ReadOnlyMany (MULTI_NODE_READER_ONLY) fails
 *   CreateVolume with "Volume capabilities not supported" and the claim stays Pending (issues
 *   #502, #972, #1409). Read-only comes from the mount: NodePublishVolume adds `ro` when the
 *   volume is published read-only (node.go).
 * - aws-efs-csi-driver docs/parameters.md: the efs-ap StorageClass parameters, `subPathPattern`
 *   and `ensureUniqueDirectory` since v1.7.0 (CHANGELOG-1.x.md, PR #640).
 * - aws-ebs-csi-driver pkg/driver/controller.go `isValidCapability`: SINGLE_NODE_WRITER only for
 *   filesystem volumes (multi-attach is block-only); docs/parameters.md: `type` ∈ {io1, io2, gp2,
 *   gp3, sc1, st1, standard}, `encrypted` "true"/"false", `csi.storage.k8s.io/fstype` ∈ {xfs, ext3, ext4}
 *   (v1.64.0).
 * Kubernetes access modes map to CSI ones as ReadWriteOnce → SINGLE_NODE_WRITER, ReadOnlyMany →
 * MULTI_NODE_READER_ONLY, ReadWriteMany → MULTI_NODE_MULTI_WRITER, ReadWriteOncePod →
 * SINGLE_NODE_SINGLE_WRITER (kubernetes pkg/volume/csi/csi_client.go `asCSIAccessModeV1`).
 */
import { describe, expect, it } from "vitest";
import {
  GP3_STORAGE_CLASS,
  gp3StorageClassSpec,
  MODEL_CACHE_STORAGE_CLASS,
  modelCacheStorageClassSpec,
} from "../../infra/platform/storage";
import { exampleRunnerJob, exampleWithRegistry, podSpecsOf, renderedObjects } from "./rendered-example";

const K8S_TO_CSI = {
  ReadWriteOnce: "SINGLE_NODE_WRITER",
  ReadOnlyMany: "MULTI_NODE_READER_ONLY",
  ReadWriteMany: "MULTI_NODE_MULTI_WRITER",
  ReadWriteOncePod: "SINGLE_NODE_SINGLE_WRITER",
} as const;
const EFS_ACCESS_MODES = new Set(["SINGLE_NODE_WRITER", "MULTI_NODE_MULTI_WRITER"]);
const EBS_FILESYSTEM_ACCESS_MODES = new Set(["SINGLE_NODE_WRITER"]);
const EFS_STORAGE_CLASS_PARAMETERS = new Set([
  "provisioningMode",
  "fileSystemId",
  "directoryPerms",
  "gidRangeStart",
  "gidRangeEnd",
  "basePath",
  "subPathPattern",
  "ensureUniqueDirectory",
  "reuseAccessPoint",
  "uid",
  "gid",
  "az",
  "csi.storage.k8s.io/provisioner-secret-name",
  "csi.storage.k8s.io/provisioner-secret-namespace",
]);

const objects = renderedObjects();
const claims = objects.filter((o) => o.kind === "PersistentVolumeClaim");
const csiModes = (claim: (typeof claims)[number]) =>
  (claim.spec.accessModes as (keyof typeof K8S_TO_CSI)[]).map((m) => K8S_TO_CSI[m]);

describe("EFS CSI driver (model cache)", () => {
  const efsClaims = claims.filter((c) => c.spec.storageClassName === MODEL_CACHE_STORAGE_CLASS);

  it("gets only access modes the driver accepts on every model-cache claim (ReadOnlyMany would stay Pending)", () => {
    expect(efsClaims.length).toBe(exampleWithRegistry().learners.length + 1);
    for (const claim of efsClaims) {
      for (const mode of csiModes(claim))
        expect(EFS_ACCESS_MODES.has(mode), `${claim.metadata.namespace}: ${mode}`).toBe(true);
    }
  });

  it("is mounted read-only by every lab and runner, so the learners cannot change the shared cache", () => {
    const labPods = podSpecsOf(objects).filter(({ object }) => object.kind === "StatefulSet");
    const job = exampleRunnerJob();
    for (const spec of [...labPods.map((p) => p.spec), job.spec.template.spec]) {
      const volume = spec.volumes.find(
        (v: { persistentVolumeClaim?: { claimName: string } }) => v.persistentVolumeClaim?.claimName === "model-cache",
      );
      expect(volume.persistentVolumeClaim.readOnly).toBe(true);
      const mounts = spec.containers.flatMap((c: { volumeMounts?: unknown[] }) => c.volumeMounts ?? []);
      for (const mount of mounts.filter((m: { name: string }) => m.name === volume.name))
        expect(mount).toMatchObject({ readOnly: true });
    }
  });

  it("gets a StorageClass of documented efs-ap parameters, every claim on one fixed directory", () => {
    const spec = modelCacheStorageClassSpec("fs-123");
    expect(spec.provisioner).toBe("efs.csi.aws.com");
    for (const key of Object.keys(spec.parameters)) expect(EFS_STORAGE_CLASS_PARAMETERS.has(key), key).toBe(true);
    expect(spec.parameters).toMatchObject({ provisioningMode: "efs-ap", ensureUniqueDirectory: "false" });
    expect(spec.parameters.subPathPattern).not.toContain("${");
  });
});

describe("EBS CSI driver (lab homes, the controller's database)", () => {
  it("gets ReadWriteOnce (SINGLE_NODE_WRITER) only on every gp3 claim and volume claim template", () => {
    const templates = objects.flatMap((o) => o.spec?.volumeClaimTemplates ?? []);
    const gp3 = [...claims.filter((c) => c.spec.storageClassName !== MODEL_CACHE_STORAGE_CLASS), ...templates];
    expect(gp3.length).toBeGreaterThan(exampleWithRegistry().learners.length);
    for (const claim of gp3) {
      for (const mode of csiModes(claim)) expect(EBS_FILESYSTEM_ACCESS_MODES.has(mode)).toBe(true);
    }
  });

  it("gets StorageClass parameters within the documented values", () => {
    const spec = gp3StorageClassSpec();
    expect(spec.metadata.name).toBe(GP3_STORAGE_CLASS);
    expect(spec.provisioner).toBe("ebs.csi.aws.com");
    expect(["io1", "io2", "gp2", "gp3", "sc1", "st1", "standard"]).toContain(spec.parameters.type);
    expect(["true", "false"]).toContain(spec.parameters.encrypted);
    expect(["xfs", "ext3", "ext4"]).toContain(spec.parameters["csi.storage.k8s.io/fstype"]);
  });
});
