export * from "./cli/main.ts";
export * from "./codecs/index.ts";
export * from "./inspect/index.ts";
export * from "./nvfp4/index.ts";
export * from "./rules/index.ts";
export * from "./safetensors/index.ts";
export * from "./synthetic/index.ts";
export * from "./util/bytes.ts";
