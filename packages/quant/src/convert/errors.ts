/**
 * Errors of a conversion that the user can act on: each names the file and tensor (or option) at
 * fault and what was expected, so the CLI prints one line and the agent forwards it as is.
 */
export type ConvertErrorCode =
  /** An option or option combination is invalid (bad regex, ModelOpt without input scales, ...). */
  | "INVALID_OPTIONS"
  /** The target engine loads no checkpoint of this format, family and options (not forced). */
  | "ENGINE_UNSUPPORTED"
  /** The NVFP4 kernel asked for (--kernel) cannot run on this host (no GPU, no native build). */
  | "KERNEL_UNAVAILABLE"
  /** The calibration file is unreadable, malformed, or lacks a quantized module. */
  | "CALIBRATION"
  /** The destination holds another conversion, or files fp4kit did not write. */
  | "DESTINATION"
  /** The source changed since the destination's complete shards were made from it. */
  | "SOURCE_CHANGED"
  /** A file system refused: read-only, full, a file where a folder should be, ... */
  | "FILESYSTEM"
  /** The source lacks a file a conversion needs (config.json). */
  | "SOURCE_FILES"
  /** A source tensor holds NaN/Inf, or cannot be converted as planned. */
  | "SOURCE_TENSOR"
  /** The run was aborted through its AbortSignal. */
  | "ABORTED";

export class ConvertError extends Error {
  readonly code: ConvertErrorCode;
  /** Tensor the error is about, when there is one. */
  readonly tensor: string | undefined;
  /** File the error is about, when there is one. */
  readonly file: string | undefined;

  constructor(code: ConvertErrorCode, message: string, where: { tensor?: string; file?: string } = {}) {
    super(message);
    this.name = "ConvertError";
    this.code = code;
    this.tensor = where.tensor;
    this.file = where.file;
  }
}
