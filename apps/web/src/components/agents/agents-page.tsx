"use client";

import { useState } from "react";
import { errorMessage } from "../../lib/trpc/types";
import { useTeam } from "../shell/team-context";
import { Button } from "../ui/button";
import { Card } from "../ui/card";
import { EmptyState } from "../ui/empty-state";
import { Alert } from "../ui/field";
import { PageHeader } from "../ui/page-header";
import { AgentCard } from "./agent-card";
import { CreateAgentDialog } from "./create-agent-dialog";
import { useTeamAgents } from "./use-team-agents";

export function AgentsPage() {
  const team = useTeam();
  const [creating, setCreating] = useState(false);
  const [showRevoked, setShowRevoked] = useState(false);
  const agents = useTeamAgents({ includeRevoked: showRevoked });
  const online = agents.data?.filter((a) => a.online).length ?? 0;

  return (
    <>
      <PageHeader
        title="Agents"
        description={
          agents.data
            ? `${online} of ${agents.data.filter((a) => !a.revokedAt).length} online · daemons on GPU hosts that claim and run this team's jobs`
            : undefined
        }
        actions={
          <>
            <label className="flex items-center gap-2 text-xs font-medium text-zinc-600">
              <input
                type="checkbox"
                checked={showRevoked}
                onChange={(e) => setShowRevoked(e.target.checked)}
                className="size-4 accent-indigo-600"
              />
              Show revoked
            </label>
            {team.isOwner && (
              <Button variant="primary" onClick={() => setCreating(true)}>
                New agent
              </Button>
            )}
          </>
        }
      />
      {agents.error && <Alert>{errorMessage(agents.error)}</Alert>}
      {agents.data?.length === 0 ? (
        <Card>
          <EmptyState
            title="No agents yet"
            action={
              team.isOwner && (
                <Button variant="primary" onClick={() => setCreating(true)}>
                  Create an agent token
                </Button>
              )
            }
          >
            An agent runs on a GPU host, connects here with its token and executes the team's runs against its
            data roots.
          </EmptyState>
        </Card>
      ) : (
        <div className="space-y-4">
          {agents.data?.map((agent) => (
            <AgentCard key={agent.id} agent={agent} />
          ))}
        </div>
      )}
      <CreateAgentDialog open={creating} onClose={() => setCreating(false)} />
    </>
  );
}
