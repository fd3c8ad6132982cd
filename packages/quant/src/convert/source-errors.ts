/** Kernel errors know element indices, not names: this adds the tensor and its shard file. */
import { NonFiniteValueError } from "../nvfp4/errors.ts";
import { Mxfp4NanScaleError } from "../nvfp4/mxfp4.ts";
import type { TensorPlan } from "../rules/types.ts";
import { ConvertError } from "./errors.ts";

export function withTensorContext(error: unknown, tensor: TensorPlan, file: string): unknown {
  if (error instanceof NonFiniteValueError) {
    const what = error.kind === "nan" ? "NaN" : "an infinite value";
    return new ConvertError(
      "SOURCE_TENSOR",
      `${file}: tensor "${tensor.name}" dequantizes to ${what} at [${error.row}, ${error.col}] (FP8 byte 0x7f/0xff, or a NaN/Inf/overflowing block scale); expected finite values: fix the source tensor (kept as it is, it would be refused too)`,
      { tensor: tensor.name, file },
    );
  }
  if (error instanceof Mxfp4NanScaleError) {
    return new ConvertError(
      "SOURCE_TENSOR",
      `${file}: tensor "${tensor.name}" has a NaN E8M0 block scale (byte 0xff) at [${error.row}, ${error.col}]; expected E8M0 exponents 0x00-0xfe: fix the source tensor (kept as it is, it would be refused too)`,
      { tensor: tensor.name, file },
    );
  }
  return error;
}
