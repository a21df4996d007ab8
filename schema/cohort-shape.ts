/**
 * The shape of `cohort.yaml`: the zod objects for every section, from the schedule to the GPU
 * pools, with the descriptions the JSON Schema and docs/cohort-reference.md are generated from.
 * Rules that relate one field to another live in `cohort-rules.ts`; import both through
 * `cohort.ts`.
 */
import { z } from "zod";
import { DEFAULT_KUBERNETES_VERSION } from "../catalog/eks-versions";
import { ExerciseDatasetSchema, ModelIdSchema, RunSpecInputSchema } from "./run-spec";

/** RFC 1123 DNS label: lower-case letters, digits and '-', starting and ending alphanumeric, ≤63 chars. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Longest learner id: the id is used in namespace names such as `lab-<id>` (63 − 4). */
export const LEARNER_ID_MAX_LENGTH = 59;

const localDateTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/,
    "expected a local date and time such as `2026-12-07T09:00` (the time zone goes in `timeZone`)",
  );

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected a 24-hour time such as `08:30`");

const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: "expected an IANA time zone such as `Europe/Berlin` or `America/New_York`" },
);

export const ScheduleSchema = z
  .object({
    start: localDateTime.describe(
      "First moment learners use the cluster, local time in `timeZone`, e.g. `2026-12-07T09:00`.",
    ),
    end: localDateTime.describe("Last moment, local time in `timeZone`; after it the GPU pools may scale to zero."),
    timeZone: timeZone.describe("IANA time zone of `start`, `end` and `dailyWindow`, e.g. `Europe/Berlin`."),
    dailyWindow: z
      .object({
        from: clockTime.describe("Opening time, e.g. `08:30`."),
        to: clockTime.describe("Closing time, e.g. `17:30`."),
      })
      .strict()
      .optional()
      .describe(
        'Hours of each day when the GPU pools run (local time), e.g. `{ from: "08:30", to: "17:30" }`; outside it they scale to zero. Default: none (GPU pools run from start to end).',
      ),
  })
  .strict();

const awsRegion = z
  .string()
  .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "expected an AWS region such as `us-east-1` or `eu-central-1`");

const roleArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/,
    "expected an IAM role ARN such as `arn:aws:iam::123456789012:role/Instructors`",
  );

export const NewClusterSchema = z
  .object({
    kubernetesVersion: z
      .string()
      .regex(/^1\.\d{2}$/, `expected a Kubernetes minor version such as \`${DEFAULT_KUBERNETES_VERSION}\``)
      .default(DEFAULT_KUBERNETES_VERSION)
      .describe(
        `EKS Kubernetes version, e.g. \`${DEFAULT_KUBERNETES_VERSION}\`; it must be in EKS support for the whole cohort (catalog/eks-versions.ts), and in extended support the control plane costs 6×. Default \`${DEFAULT_KUBERNETES_VERSION}\`.`,
      ),
    natGateways: z
      .enum(["single", "perAz"])
      .default("single")
      .describe(
        "`single`: one NAT gateway (cheaper); `perAz`: one per availability zone (survives an AZ outage). Default `single`.",
      ),
    availabilityZones: z
      .number()
      .int()
      .min(2)
      .max(6)
      .default(2)
      .describe("Number of availability zones for the node subnets (at least 2). Default 2."),
    privateEndpoint: z
      .boolean()
      .default(false)
      .describe("Serve the Kubernetes API only inside the VPC. Default false."),
    deletionProtection: z
      .boolean()
      .default(false)
      .describe("Refuse `pulumi destroy` of the cluster until this is turned off. Default false."),
    systemPool: z
      .object({
        instanceType: z
          .string()
          .default("m7i.2xlarge")
          .describe("CPU instance type. Default `m7i.2xlarge` (8 vCPU, 32 GiB)."),
        count: z
          .number()
          .int()
          .min(1)
          .max(200)
          .optional()
          .describe("Node count; default: enough for every learner's lab requests plus the system pods."),
      })
      .strict()
      .default({ instanceType: "m7i.2xlarge" })
      .describe("CPU node pool for the controller, the gateway and the labs."),
    access: z
      .object({
        instructorRoles: z
          .array(roleArn)
          .default([])
          .describe("Roles of instructors: read access to the whole cluster."),
        platformRoles: z.array(roleArn).default([]).describe("Roles of the platform team: cluster admin."),
      })
      .strict()
      .default({ instructorRoles: [], platformRoles: [] })
      .describe("IAM roles given cluster access through EKS access entries."),
  })
  .strict();

export const ExistingClusterSchema = z
  .object({
    kubeconfigContext: z
      .string()
      .min(1)
      .optional()
      .describe("A context in your kubeconfig that points at the cluster."),
    stackReference: z
      .string()
      .regex(/^[\w.-]+\/[\w.-]+\/[\w.-]+$/, "expected a stack name such as `acme/labkit-platform/prod`")
      .optional()
      .describe("A Pulumi stack (`org/project/stack`) of a long-lived platform stack whose outputs name the cluster."),
  })
  .strict()
  .superRefine((existing, ctx) => {
    const given = [existing.kubeconfigContext, existing.stackReference].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: "custom",
        message: "name exactly one of `kubeconfigContext` or `stackReference` for an existing cluster",
      });
    }
  });

export const CloudSchema = z
  .object({
    provider: z.literal("aws").default("aws").describe("Cloud provider; only `aws` today. Default `aws`."),
    region: awsRegion.describe("AWS region, e.g. `us-east-1`."),
    cluster: z
      .object({
        create: NewClusterSchema.optional().describe("Create a VPC and an EKS cluster for the cohort (the default)."),
        existing: ExistingClusterSchema.optional().describe(
          "Deploy only the Kubernetes half into an existing cluster (to reuse a warm cluster).",
        ),
      })
      .strict()
      .default({})
      .superRefine((cluster, ctx) => {
        if (cluster.create && cluster.existing) {
          ctx.addIssue({
            code: "custom",
            message: "choose one of `create` or `existing`, not both",
          });
        }
      })
      .transform((cluster) =>
        cluster.existing ? { existing: cluster.existing } : { create: cluster.create ?? NewClusterSchema.parse({}) },
      )
      .describe("Create a new cluster (the default) or deploy into an existing one."),
  })
  .strict();

export const SHARING_MODES = ["exclusive", "hami", "mig"] as const;
/** How runs share a GPU: a whole GPU each, HAMi memory slices, or NVIDIA MIG profiles. */
export type SharingMode = (typeof SHARING_MODES)[number];

export const GpuPoolSchema = z
  .object({
    name: z
      .string()
      .regex(DNS_LABEL, "expected a DNS label (lower-case letters, digits and '-')")
      .describe("Pool name, a DNS label, e.g. `l40s`."),
    instanceType: z.string().describe("EC2 GPU instance type, e.g. `g6e.xlarge`."),
    count: z
      .number()
      .int()
      .min(1)
      .max(100)
      .describe("Number of nodes while the cohort runs (the pool has a fixed size)."),
    capacity: z
      .enum(["onDemand", "spot"])
      .default("onDemand")
      .describe(
        "`onDemand` or `spot` (cheaper; a node may be taken back, runs on it are requeued once). Default `onDemand`.",
      ),
    sharing: z.enum(SHARING_MODES).default("hami").describe("How runs share a GPU. Default `hami`."),
    migProfile: z.string().optional().describe("MIG profile each GPU is cut into, for `sharing: mig`, e.g. `3g.40gb`."),
    priceUsdPerHour: z.number().positive().optional().describe("Override the price table, USD per node-hour."),
  })
  .strict();
export type GpuPool = z.infer<typeof GpuPoolSchema>;

export const ImagesSchema = z
  .object({
    registry: z
      .string()
      .regex(
        /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/,
        "expected a registry path such as `123456789012.dkr.ecr.us-east-1.amazonaws.com/labkit`",
      )
      .optional()
      .describe(
        "Registry path the three labkit images are pushed to (`<registry>/lab`, `/runner`, `/controller`), e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com/labkit`. Default: the ECR repositories `pulumi up` creates for the cohort (`<account>.dkr.ecr.<region>.amazonaws.com/<cohort name>`); push the images there before class (docs/images.md).",
      ),
    tag: z
      .string()
      .regex(/^[\w][\w.-]{0,127}$/, "expected an image tag such as `0.1.0`")
      .default("0.1.0")
      .describe("Image tag shared by the three images. Default `0.1.0`."),
  })
  .strict();

export const LabsSchema = z
  .object({
    image: z.string().min(1).optional().describe("Lab container image. Default: `<images.registry>/lab:<images.tag>`."),
    cpu: z.number().positive().max(64).default(2).describe("CPU cores requested per lab. Default 2."),
    memoryGiB: z.number().positive().max(512).default(8).describe("Memory per lab, GiB. Default 8."),
    storageGiB: z
      .number()
      .int()
      .min(1)
      .max(2000)
      .default(20)
      .describe("Persistent home volume per lab, GiB. Default 20."),
    gpuGiB: z
      .number()
      .min(0)
      .max(200)
      .default(0)
      .describe("GPU memory for the lab itself (for inference in notebooks), GiB; 0 means no GPU. Default 0."),
    idleTimeoutMinutes: z
      .number()
      .int()
      .min(0)
      .max(10080)
      .default(60)
      .describe("Stop a lab's kernels after this many idle minutes (0: never). Default 60."),
  })
  .strict();

export const QuotasSchema = z
  .object({
    vramGiB: z
      .number()
      .positive()
      .max(1024)
      .default(16)
      .describe("Most GPU memory one learner's runs may hold at once, GiB. Default 16."),
    concurrentRuns: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(1)
      .describe("Most runs one learner may have running at once. Default 1."),
    gpuMinutes: z
      .number()
      .positive()
      .max(1_000_000)
      .default(120)
      .describe(
        "GPU-minutes each learner may use over the cohort (a run counts its wall time \u00d7 GPU share). Default 120.",
      ),
  })
  .strict();

export const ModelEntrySchema = z
  .object({
    id: ModelIdSchema.describe(
      "Hugging Face model id, e.g. `Qwen/Qwen2.5-1.5B-Instruct`; downloaded once into the shared cache.",
    ),
    gated: z
      .boolean()
      .default(false)
      .describe("A gated model (Llama, Gemma) needs the cohort's Hugging Face token. Default false."),
    revision: z.string().min(1).default("main").describe("Pin a revision (commit or tag). Default `main`."),
  })
  .strict();

export const ExerciseSchema = z
  .object({
    id: z
      .string()
      .regex(DNS_LABEL, "expected a DNS label (lower-case letters, digits and '-')")
      .describe("Exercise id, a DNS label, e.g. `qlora-challenge`."),
    title: z.string().min(1).describe("Title shown to learners."),
    notebook: z.string().optional().describe("Notebook that introduces it, e.g. `03-qlora-challenge.ipynb`."),
    defaults: RunSpecInputSchema.extend({
      baseModel: ModelIdSchema.describe("Base model of this exercise's runs; must be in `models`."),
      dataset: ExerciseDatasetSchema.optional(),
    })
      .superRefine((d, ctx) => {
        if (!d.dataset?.source || !d.dataset?.name) {
          ctx.addIssue({
            code: "custom",
            path: ["dataset"],
            message: "an exercise's defaults must name a dataset (`source: builtin` and `name`)",
          });
        }
      })
      .describe(
        "Run defaults for this exercise; learners may override any field. Must name `baseModel` and `dataset`.",
      ),
    expectedMinutes: z
      .number()
      .positive()
      .max(10000)
      .default(15)
      .describe(
        "Typical training time of one run on this exercise's pool, minutes (for the plan's round simulation). Default 15.",
      ),
  })
  .strict();
export type Exercise = z.infer<typeof ExerciseSchema>;

export const PersonSchema = z
  .object({
    id: z.string().describe("Id, a DNS label (it becomes part of namespaces and URLs), e.g. `ada`."),
    name: z.string().min(1).describe("Full name, shown on the dashboard and in `labkit roster`."),
    email: z.string().email("expected an e-mail address").optional().describe("E-mail address (optional)."),
  })
  .strict();
export type Person = z.infer<typeof PersonSchema>;

export const RosterFileSchema = z
  .object({
    roster: z.string().min(1).describe("Path of a CSV file with the header `id,name,email`, relative to cohort.yaml."),
  })
  .strict();

export const ArtifactsSchema = z
  .object({
    onDestroy: z
      .enum(["keep", "purge"])
      .default("keep")
      .describe("`keep`: the bucket survives `pulumi destroy`; `purge`: it is emptied and deleted. Default `keep`."),
    retentionDays: z
      .number()
      .int()
      .min(0)
      .max(3650)
      .default(90)
      .describe("Delete artifacts this many days after they are written (0: never). Default 90."),
  })
  .strict();

export const BudgetSchema = z
  .object({
    limitUsd: z
      .number()
      .positive()
      .describe("Monthly spend limit for the cohort's resources, USD; alerts fire at 80% and 100%."),
    alertEmails: z.array(z.string().email("expected an e-mail address")).min(1).describe("Who gets the alerts."),
  })
  .strict();

/** A DNS host name: labels of letters, digits and '-', a top-level label of letters, at most 253 characters. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export const DomainSchema = z
  .object({
    name: z
      .string()
      .regex(HOST_NAME, "expected a host name such as `labs.example.org`")
      .describe("Host name of the dashboard and the API, e.g. `labs.example.org`; TLS is on when a domain is set."),
    labsDomain: z
      .string()
      .regex(HOST_NAME, "expected a host name such as `learners.example.org`")
      .optional()
      .describe(
        "Each learner's JupyterLab gets its own host `<learner>.<labsDomain>`, so a lab's pages cannot act on the dashboard or on another lab (browsers isolate origins). It must not be a parent of `name`. The certificate must cover `*.<labsDomain>`. Default `labs.<name>`.",
      ),
    certificateArn: z
      .string()
      .startsWith("arn:aws", "expected an ACM certificate ARN")
      .optional()
      .describe(
        "ACM certificate ARN; it must cover both `name` and `*.<labsDomain>` (labkit serves one certificate). Default: one is requested for both and validated through Route 53.",
      ),
    hostedZoneId: z
      .string()
      .regex(/^Z[A-Z0-9]{1,31}$/, "expected a Route 53 hosted zone id such as `Z0123456789ABCDEFGHIJ`")
      .optional()
      .describe(
        "Route 53 hosted zone id for DNS records and certificate validation. Without it, give `certificateArn` (an issued certificate) and add the DNS record yourself.",
      ),
  })
  .strict()
  .superRefine((domain, ctx) => {
    // ACM's DNS validation waits until its CNAME appears; with no zone to write it to and no
    // certificate given, `pulumi up` would wait forever (infra/platform/domain.ts).
    if (domain.hostedZoneId === undefined && domain.certificateArn === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `a domain needs \`hostedZoneId\` (labkit validates the certificate and adds the record through Route 53; find it with \`aws route53 list-hosted-zones-by-name --dns-name ${domain.name}\`) or \`certificateArn\` (an ACM certificate already issued for ${domain.name} and *.${labsDomainOf(domain)})`,
      });
    }
  });

export type Domain = z.infer<typeof DomainSchema>;

/** The parent domain of the learners' lab hosts: `domain.labsDomain`, default `labs.<domain.name>`. */
export function labsDomainOf(domain: Pick<Domain, "name" | "labsDomain">): string {
  return domain.labsDomain ?? `labs.${domain.name}`;
}

/** The fields of cohort.yaml as written (learners may be a roster file reference). */
export const CohortFileSchema = z
  .object({
    name: z
      .string()
      .regex(DNS_LABEL, "expected a DNS label (lower-case letters, digits and '-', at most 63)")
      .max(40, "keep the cohort name to 40 characters: it prefixes cloud resource names")
      .describe("Cohort name, a DNS label; it prefixes every cloud resource, e.g. `ft-dec26`."),
    title: z.string().optional().describe("Title shown on the dashboard. Default: the name."),
    schedule: ScheduleSchema.describe("When the cohort runs: start, end, time zone and the daily GPU window."),
    cloud: CloudSchema.describe("Where it runs: the AWS region, and a new cluster or an existing one."),
    domain: DomainSchema.optional().describe(
      "Serve the dashboard, the API and every learner's lab on their own host names with TLS. Without it, `insecure: true` is required.",
    ),
    insecure: z
      .boolean()
      .default(false)
      .describe(
        "Run without a domain: plain HTTP on the load balancer's name, and every lab on the dashboard's origin, so a learner's page can act as the instructor who opens it, and tokens and cookies cross the network in clear text. For a trial without DNS only. Default false.",
      ),
    gpuPools: z
      .array(GpuPoolSchema)
      .min(1, "add at least one GPU pool")
      .describe("GPU node pools the runs are placed on (one managed node group each)."),
    images: ImagesSchema.default(ImagesSchema.parse({})).describe(
      "Where labkit's lab, runner and controller images come from.",
    ),
    labs: LabsSchema.default(LabsSchema.parse({})).describe(
      "Each learner's JupyterLab: image, CPU, memory, storage, idle timeout.",
    ),
    quotas: QuotasSchema.default(QuotasSchema.parse({})).describe(
      "Per-learner limits the lab-controller enforces: VRAM, concurrent runs, GPU-minutes.",
    ),
    models: z
      .array(ModelEntrySchema)
      .min(1, "list at least one model in the catalog")
      .describe("The model catalog: Hugging Face models downloaded once into the shared cache before class."),
    exercises: z
      .array(ExerciseSchema)
      .min(1, "list at least one exercise")
      .describe("The exercise catalog: each exercise's id and the RunSpec defaults of its runs."),
    learners: z
      .union([z.array(PersonSchema).min(1, "list at least one learner"), RosterFileSchema])
      .describe("The learners: a list of `{ id, name, email }`, or `{ roster: file.csv }`."),
    instructors: z
      .array(PersonSchema)
      .default([])
      .describe("Instructors: they see every learner on the dashboard. Default none."),
    artifacts: ArtifactsSchema.default(ArtifactsSchema.parse({})).describe(
      "The artifact bucket: kept or purged on destroy, retention.",
    ),
    budget: BudgetSchema.optional().describe("AWS Budgets alarm for the cohort's spend. Default: none."),
  })
  .strict();

export type CohortFile = z.infer<typeof CohortFileSchema>;
export type Schedule = z.infer<typeof ScheduleSchema>;
export type Quotas = z.infer<typeof QuotasSchema>;
export type Labs = z.infer<typeof LabsSchema>;
export type Images = z.infer<typeof ImagesSchema>;
