/**
 * The one error type for malformed checkpoints. It always names the file, the tensor when there is
 * one, and what was expected, so a user can find the broken byte and tests can assert on fields.
 */
export interface CheckpointFormatErrorDetails {
  /** Path of the offending file (as the caller gave it). */
  file: string;
  /** Tensor name, when the problem belongs to one tensor. */
  tensor?: string;
  /** What a valid checkpoint has at this place. */
  expected: string;
  /** What was found instead, when it helps. */
  found?: string;
}

export class CheckpointFormatError extends Error {
  readonly file: string;
  readonly tensor: string | undefined;
  readonly expected: string;
  readonly found: string | undefined;

  constructor(details: CheckpointFormatErrorDetails) {
    const where = details.tensor === undefined ? details.file : `${details.file}: tensor "${details.tensor}"`;
    const found = details.found === undefined ? "" : `, found ${details.found}`;
    super(`${where}: expected ${details.expected}${found}`);
    this.name = "CheckpointFormatError";
    this.file = details.file;
    this.tensor = details.tensor;
    this.expected = details.expected;
    this.found = details.found;
  }
}
