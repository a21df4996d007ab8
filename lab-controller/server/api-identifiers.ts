/**
 * Every identifier the API takes in a path, a query or a body, each with a strict pattern, so a
 * malformed one is answered 400 with `{ error }` before any handler looks it up (and never
 * reaches a store query, a bucket key or a Kubernetes name). Run and learner ids are defined
 * here; dataset ids and display names in schema/run-spec.ts, since a RunSpec names them too.
 */
import { z } from "zod";
import { DNS_LABEL, LEARNER_ID_MAX_LENGTH } from "../../schema/cohort-shape";

/** What `newRunId` makes: a lower-case letter, then 11 lower-case base-32 characters (`a-z`, `2-7`). */
export const RUN_ID_PATTERN = /^[a-z][a-z2-7]{11}$/;

/** A run id, e.g. `k3v7q2m7xw4a`. */
export const RunIdSchema = z
  .string()
  .regex(RUN_ID_PATTERN, "expected a run id: 12 lower-case letters and digits 2-7, such as `k3v7q2m7xw4a`");

/** A learner id as cohort.yaml allows it: a DNS label of at most 59 characters (it becomes `lab-<id>`). */
export const LearnerIdSchema = z
  .string()
  .max(LEARNER_ID_MAX_LENGTH, `expected a learner id of at most ${LEARNER_ID_MAX_LENGTH} characters`)
  .regex(DNS_LABEL, "expected a learner id: a DNS label such as `ada` (lower-case letters, digits and '-')");
