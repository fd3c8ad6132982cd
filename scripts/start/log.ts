/** Output of `npm start`: every line labelled with where it comes from, like docker compose. */
const LABEL_WIDTH = 7;
const COLOURS: Record<string, string> = { fp4kit: "1", db: "34", web: "36", agent: "35", build: "33" };

export function labelled(label: string, line: string): string {
  const padded = label.padEnd(LABEL_WIDTH);
  const prefix = process.stdout.isTTY ? `\x1b[${COLOURS[label] ?? "0"}m${padded}|\x1b[0m` : `${padded}|`;
  return `${prefix} ${line}`;
}

export function say(message: string, label = "fp4kit"): void {
  for (const line of message.split("\n")) process.stdout.write(`${labelled(label, line)}\n`);
}
