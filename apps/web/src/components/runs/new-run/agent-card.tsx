"use client";

import Link from "next/link";
import type { AgentItem } from "../../../lib/trpc/types";
import { useTeam } from "../../shell/team-context";
import { Card, CardBody, CardHeader } from "../../ui/card";
import { AgentPicker } from "./agent-picker";

/** The form's Agent card: the agent the run executes on, or where to add one when the team has none. */
export function AgentCard({
  agents,
  loading,
  value,
  onChange,
}: {
  /** The team's agents; undefined until they load (or when they could not). */
  agents: AgentItem[] | undefined;
  loading: boolean;
  value: string;
  onChange: (agentId: string) => void;
}) {
  const team = useTeam();
  return (
    <Card>
      <CardHeader title="Agent" description="Where the run executes; paths below are on that host." />
      <CardBody>
        {loading ? (
          <div className="text-sm text-zinc-500">Loading agents…</div>
        ) : (
          <AgentPicker agents={agents ?? []} value={value} onChange={onChange} />
        )}
        {agents?.length === 0 && (
          <p className="mt-3 text-xs text-zinc-500">
            {team.isOwner ? (
              <>
                No agents yet: create one on the{" "}
                <Link className="text-indigo-600" href={team.href("/agents")}>
                  Agents
                </Link>{" "}
                page.
              </>
            ) : (
              "No agents yet: a team owner adds them on the Agents page."
            )}
          </p>
        )}
      </CardBody>
    </Card>
  );
}
