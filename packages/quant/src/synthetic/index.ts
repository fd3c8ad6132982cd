export * from "./dims.ts";
export * from "./generate.ts";
export type { V4Variant } from "./layout-v4.ts";
export * from "./prng.ts";
export type { Fill, TensorSpec } from "./specs.ts";
