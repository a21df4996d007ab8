/**
 * labkit's exit codes and the two error kinds commands throw. Bad input (a cohort file, a flag,
 * a RunSpec) exits 2; a failure of the world (network, cluster, disk) exits 1.
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

/** The user gave something wrong; the message says what and how to fix it. Exits 2. */
export class BadInputError extends Error {
  readonly exitCode = EXIT_BAD_INPUT;
  constructor(message: string) {
    super(message);
    this.name = "BadInputError";
  }
}

/** Something outside the user's input failed; the message says what and what to try. Exits 1. */
export class CommandFailedError extends Error {
  readonly exitCode = EXIT_FAILURE;
  constructor(message: string) {
    super(message);
    this.name = "CommandFailedError";
  }
}
