/** A mistake in how the CLI was called: reported as one line, without a stack trace. */
export class CliUsageError extends Error {
  override name = "CliUsageError";
}
