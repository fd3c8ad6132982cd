/** `@fp4kit/quant/cli`: the `fp4kit` command line, and `fp4kit convert`'s argument parsing. */
export { parseConvertArgs } from "./convert-command.ts";
export { buildProgram, runCli } from "./main.ts";
