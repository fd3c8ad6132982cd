"use client";

import type { RunDetail } from "../../../lib/trpc/types";
import { useTeam } from "../../shell/team-context";
import { ButtonLink } from "../../ui/button";

/** A New run link prefilled to continue `run`'s chain on the same agent. */
function nextRunHref(run: RunDetail, fields: Record<string, string>): string {
  const query = new URLSearchParams({
    ...fields,
    parent: run.id,
    ...(run.agentId ? { agent: run.agentId } : {}),
  });
  return `/runs/new?${query}`;
}

/**
 * The next steps of the inspect → convert → calibrate → verify chain from a succeeded run: convert
 * an inspected checkpoint, calibrate the converted model's source for W4A4, verify an output
 * against the FP8 checkpoint it came from.
 */
export function NextSteps({ run }: { run: RunDetail }) {
  const team = useTeam();
  const links: { label: string; href: string }[] = [];
  if (run.kind === "INSPECT") {
    links.push({
      label: "Convert this checkpoint",
      href: nextRunHref(run, { kind: "CONVERT", source: run.sourcePath }),
    });
  }
  if ((run.kind === "CONVERT" || run.kind === "CALIBRATE") && run.destPath) {
    links.push({
      label: "Verify this output",
      href: nextRunHref(run, { kind: "VERIFY", source: run.destPath, reference: run.sourcePath }),
    });
  }
  if (run.kind === "CONVERT") {
    links.push({
      label: "Calibrate for W4A4",
      href: nextRunHref(run, { kind: "CALIBRATE", source: run.sourcePath }),
    });
  }
  return links.map((link) => (
    <ButtonLink key={link.label} href={team.href(link.href)}>
      {link.label}
    </ButtonLink>
  ));
}
