export * from "./checkpoint.ts";
export * from "./dtypes.ts";
export * from "./errors.ts";
export * from "./header.ts";
export * from "./json-files.ts";
export * from "./reader.ts";
export * from "./writer.ts";
