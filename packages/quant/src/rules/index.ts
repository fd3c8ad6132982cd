export * from "./block-size.ts";
export * from "./companions.ts";
export * from "./detect.ts";
export * from "./plan.ts";
export * from "./presets/index.ts";
export * from "./types.ts";
