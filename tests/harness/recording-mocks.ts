/**
 * Pulumi unit-test mocks that record every resource a component creates, for tests that assert
 * on resource inputs. A `random:*` resource gets a stand-in `result` of `generated-token-for-<name>`.
 */
import * as pulumi from "@pulumi/pulumi";

export interface CreatedResource {
  readonly type: string;
  readonly name: string;
  // biome-ignore lint/suspicious/noExplicitAny: resource inputs are arbitrary JSON the tests index into
  readonly inputs: Record<string, any>;
}

/** Install the mocks (process-wide) and return the list they fill as resources are created. */
export async function recordPulumiResources(): Promise<CreatedResource[]> {
  const created: CreatedResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        created.push({ type: args.type, name: args.name, inputs: args.inputs });
        const state = args.type.startsWith("random:")
          ? { ...args.inputs, result: `generated-token-for-${args.name}` }
          : args.inputs;
        return { id: `${args.name}-id`, state };
      },
      call: (args) => args.inputs,
    },
    "labkit",
    "test",
    false,
  );
  return created;
}
