/**
 * The controller's two inputs that come from the cohort at deploy time: the cohort.yaml it
 * loads (with the roster inline, since the roster CSV is not in the cluster) and the token-hash
 * file (`tokens.json`). Pure.
 */
import { createHash } from "node:crypto";
import { toPortableYaml } from "../../lib/portable-yaml";
import type { Cohort } from "../../schema/cohort";

/** cohort.yaml for the controller: the validated cohort, defaults filled and the roster inline. */
export function cohortYamlForController(cohort: Cohort): string {
  const { rosterSource: _source, ...file } = cohort;
  return toPortableYaml(file);
}

/** The tokens Secret's JSON: every learner's and instructor's token as sha256 hex; refuses a person without a token. */
export function tokensFileJson(
  cohort: Pick<Cohort, "learners" | "instructors">,
  learnerTokens: Readonly<Record<string, string>>,
  instructorTokens: Readonly<Record<string, string>>,
): string {
  const entry = (kind: string, tokens: Readonly<Record<string, string>>) => (p: { id: string; name: string }) => {
    const token = tokens[p.id];
    if (!token) throw new Error(`no token for ${kind} \`${p.id}\`: every ${kind} on the roster needs one`);
    return { id: p.id, name: p.name, tokenSha256: createHash("sha256").update(token, "utf8").digest("hex") };
  };
  return JSON.stringify({
    learners: cohort.learners.map(entry("learner", learnerTokens)),
    instructors: cohort.instructors.map(entry("instructor", instructorTokens)),
  });
}
