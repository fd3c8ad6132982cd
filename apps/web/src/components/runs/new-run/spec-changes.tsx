"use client";

import type { NewRunInput } from "@fp4kit/protocol";
import Link from "next/link";
import { type ComparableSpec, diffRunSpecs } from "../../../lib/run-spec-diff";
import type { AgentItem } from "../../../lib/trpc/types";
import { useTeam } from "../../shell/team-context";
import { Card, CardHeader } from "../../ui/card";
import { formatOptionValue } from "../detail/run-spec";

const FIELD_LABELS: Record<string, string> = {
  kind: "Kind",
  agentId: "Agent",
  sourcePath: "Source",
  destPath: "Destination",
};

/**
 * What the run about to be queued changes from the run it started from, field by field, so that
 * "run again with changes" shows exactly what differs before anything is queued.
 */
export function SpecChanges({
  base,
  spec,
  agents,
}: {
  base: ComparableSpec & { id: string; name: string | null; model: string };
  /** The form's spec, or null while the form has errors. */
  spec: NewRunInput | null;
  agents: AgentItem[];
}) {
  const team = useTeam();
  const changes = spec ? diffRunSpecs(base, spec) : null;
  const show = (field: string, value: unknown) => {
    if (field === "agentId")
      return value ? (agents.find((a) => a.id === value)?.name ?? String(value)) : "any agent";
    return formatOptionValue(field.replace(/^options\./, ""), value);
  };
  return (
    <Card>
      <CardHeader
        title={
          <>
            Changes from{" "}
            <Link className="text-indigo-600 hover:text-indigo-500" href={team.href(`/runs/${base.id}`)}>
              {base.name ?? base.model}
            </Link>{" "}
            <span className="font-mono text-xs font-normal text-zinc-500">{base.id.slice(-8)}</span>
          </>
        }
      />
      <div className="px-5 py-4 text-sm" data-testid="spec-changes">
        {changes === null ? (
          <p className="text-zinc-500">Fix the fields marked above to see what changes.</p>
        ) : changes.length === 0 ? (
          <p className="text-zinc-600">Nothing changed: this queues the same spec again.</p>
        ) : (
          <table className="w-full text-[13px]">
            <thead>
              <tr className="text-left text-xs text-zinc-500">
                <th className="py-1 pr-4 font-medium">Field</th>
                <th className="py-1 pr-4 font-medium">Was</th>
                <th className="py-1 font-medium">Now</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((change) => (
                <tr key={change.field} className="align-top" data-field={change.field}>
                  <td className="py-1 pr-4 text-zinc-700">
                    {FIELD_LABELS[change.field] ?? change.field.replace(/^options\./, "")}
                  </td>
                  <td className="py-1 pr-4 font-mono text-xs break-all text-red-700 line-through">
                    {show(change.field, change.before)}
                  </td>
                  <td className="py-1 font-mono text-xs break-all text-emerald-700">
                    {show(change.field, change.after)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </Card>
  );
}
