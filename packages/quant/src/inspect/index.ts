export * from "./markdown.ts";
export * from "./patterns.ts";
export * from "./report.ts";
