export * from "./inspect.ts";
export * from "./quality.ts";
export * from "./run-documents.ts";
export * from "./shards.ts";
export * from "./summaries.ts";
export * from "./verify.ts";
export * from "./vocabulary.ts";
