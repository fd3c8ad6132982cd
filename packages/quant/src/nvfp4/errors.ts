/**
 * Typed errors of the NVFP4 kernels. Every implementation (TypeScript, C++ addon, CUDA) reports the
 * same conditions with the same fields, so a caller can handle them without knowing which ran.
 */

export type Nvfp4ErrorCode = "NON_FINITE_VALUE" | "INVALID_GLOBAL_SCALE" | "INVALID_TENSOR_SHAPE";

export class Nvfp4Error extends Error {
  readonly code: Nvfp4ErrorCode;
  constructor(code: Nvfp4ErrorCode, message: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * A dequantized source value is NaN or ±Inf (a NaN FP8 byte 0x7f/0xff, a NaN/Inf scale, or a
 * product that overflows float32). `index` is the lowest offending element in row-major order, so
 * the report is identical whatever the implementation or thread count.
 */
export class NonFiniteValueError extends Nvfp4Error {
  readonly kind: "nan" | "inf";
  readonly index: number;
  readonly row: number;
  readonly col: number;
  /** Row length of the tensor, kept so the error can be re-issued with a name. */
  readonly cols: number;
  readonly tensorName: string | undefined;

  constructor(kind: "nan" | "inf", index: number, cols: number, tensorName?: string) {
    const row = cols > 0 ? Math.floor(index / cols) : 0;
    const col = cols > 0 ? index % cols : 0;
    const where = tensorName === undefined ? "" : ` in tensor ${tensorName}`;
    super(
      "NON_FINITE_VALUE",
      `dequantized FP8 value is ${kind === "nan" ? "NaN" : "infinite"}${where} at [${row}, ${col}]`,
    );
    this.kind = kind;
    this.index = index;
    this.row = row;
    this.col = col;
    this.cols = cols;
    this.tensorName = tensorName;
  }

  /** The same error with the tensor name in the message (the kernels do not know names). */
  withTensorName(name: string): NonFiniteValueError {
    return new NonFiniteValueError(this.kind, this.index, this.cols, name);
  }
}

export class InvalidGlobalScaleError extends Nvfp4Error {
  readonly globalScale: number;
  constructor(globalScale: number, reason: string) {
    super("INVALID_GLOBAL_SCALE", `invalid NVFP4 global scale ${globalScale}: ${reason}`);
    this.globalScale = globalScale;
  }
}

export class InvalidTensorShapeError extends Nvfp4Error {
  constructor(message: string) {
    super("INVALID_TENSOR_SHAPE", message);
  }
}
