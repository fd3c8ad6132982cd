"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import type { ReactNode } from "react";
import { useTRPC } from "../../../lib/trpc/react";
import type { RouterOutputs } from "../../../lib/trpc/types";
import { useTeam } from "../../shell/team-context";
import { Badge, type Tone } from "../../ui/badge";
import { Card, CardHeader } from "../../ui/card";
import { RelativeTime } from "../../ui/relative-time";

type Status = NonNullable<RouterOutputs["runs"]["queue"]>;
type Candidate = Status["candidates"][number];

const STATE_TONES: Record<Candidate["state"], Tone> = {
  idle: "green",
  busy: "amber",
  offline: "gray",
  revoked: "red",
};

function reasonText(status: Status, agentsHref: string): ReactNode {
  const offline = status.candidates.filter((c) => c.state === "offline");
  switch (status.reason) {
    case "cancel-requested":
      return "Cancel requested: it will not start.";
    case "agent-revoked":
      return "Its agent was revoked, so it can never start. Cancel it and queue it again on another agent.";
    case "no-agent":
      return (
        <>
          The team has no agent. <Link href={agentsHref}>Create one</Link>: the run starts when it connects.
        </>
      );
    case "all-offline":
      return `${offline.length === 1 ? "The only agent that can take it is" : `All ${offline.length} agents that can take it are`} offline. It starts when one connects.`;
    case "runs-ahead":
      return `${status.ahead} older queued ${status.ahead === 1 ? "run comes" : "runs come"} first: agents take the oldest run they may take.`;
    case "all-busy":
      return "It is next, and the agents that would take it are busy: it starts when one of them finishes.";
    case "about-to-start":
      return "It is next and an idle agent can take it: it should start within seconds.";
  }
}

function CandidateRow({ candidate }: { candidate: Candidate }) {
  const team = useTeam();
  return (
    <li className="flex flex-wrap items-center gap-x-2 gap-y-1" data-candidate={candidate.name}>
      <span className="font-medium text-zinc-900">{candidate.name}</span>
      <Badge tone={STATE_TONES[candidate.state]}>{candidate.state}</Badge>
      {candidate.state !== "revoked" && (
        <span className="text-zinc-500">
          {candidate.ahead === 0
            ? "takes it next"
            : `${candidate.ahead} queued ${candidate.ahead === 1 ? "run" : "runs"} before it`}
        </span>
      )}
      {candidate.state === "busy" && (
        <span className="text-zinc-500">
          running{" "}
          {candidate.running.map((r, i) => (
            <span key={r.id}>
              {i > 0 && ", "}
              <Link href={team.href(`/runs/${r.id}`)} className="text-indigo-600 hover:underline">
                {r.label}
              </Link>
            </span>
          ))}
        </span>
      )}
      {candidate.state === "offline" && (
        <span className="text-zinc-500">
          {candidate.lastSeenAt ? (
            <>
              last seen <RelativeTime date={candidate.lastSeenAt} />
            </>
          ) : (
            "never connected"
          )}
        </span>
      )}
      {candidate.blockers.length > 0 && (
        <span className="text-red-700">cannot run it: {candidate.blockers.join("; ")}</span>
      )}
    </li>
  );
}

/** While a run is queued: its place in the queue, the agents that may take it, and why it waits. */
export function QueueStatus({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const team = useTeam();
  // Run and agent status changes refetch it at once (useTeamLiveUpdates); the interval catches
  // what sends no event, such as an agent created or revoked meanwhile.
  const queue = useQuery({
    ...trpc.runs.queue.queryOptions({ teamId: team.id, runId }),
    refetchInterval: 15_000,
  });
  const status = queue.data;
  if (!status) return null;
  return (
    <Card>
      <CardHeader
        title={
          <span data-testid="queue-position" data-position={status.position}>
            Queued · position {status.position}
          </span>
        }
        description={
          status.pinned
            ? "Pinned to one agent."
            : "Any agent of the team may take it: the first free one does."
        }
      />
      <div className="space-y-3 px-5 py-4 text-sm" data-testid="queue-status" data-reason={status.reason}>
        <p className="text-zinc-700">{reasonText(status, team.href("/agents"))}</p>
        {status.candidates.length > 0 && (
          <div>
            <h3 className="text-xs font-medium tracking-wide text-zinc-500 uppercase">
              Agents that can take it
            </h3>
            <ul className="mt-1.5 space-y-1">
              {status.candidates.map((candidate) => (
                <CandidateRow key={candidate.id} candidate={candidate} />
              ))}
            </ul>
          </div>
        )}
      </div>
    </Card>
  );
}
