/** Number codecs for the formats fp4kit reads and writes. All encoders round to nearest, ties to even. */

export { E2M1_MAX, E2M1_TO_FLOAT, e2m1MagnitudeCode, e2m1ToFloat, floatToE2M1 } from "./e2m1.ts";
export { E4M3_MAX, E4M3_NAN, E4M3_TO_FLOAT, e4m3ToFloat, floatToE4M3 } from "./e4m3.ts";
export { e5m2ToFloat } from "./e5m2.ts";
export { E8M0_NAN, e8m0ToFloat, floatToE8M0 } from "./e8m0.ts";
export { bf16ToFloat, f16ToFloat, floatToBf16, floatToF16 } from "./half.ts";
export { roundHalfToEven } from "./round.ts";
