/** Where CLI output goes: the process streams in real use, buffers in tests. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Progress bars only make sense on a terminal. */
  stderrIsTTY: boolean;
  /** Directory that relative output paths are resolved against. */
  cwd: string;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTTY: process.stderr.isTTY === true,
    cwd: process.cwd(),
  };
}
