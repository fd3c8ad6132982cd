"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ROLE_LABELS, type TeamRole, TeamRoleSchema } from "../../lib/roles";
import { useTRPC } from "../../lib/trpc/react";
import { errorMessage } from "../../lib/trpc/types";
import { useTeam } from "../shell/team-context";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { Alert, Select } from "../ui/field";
import { RelativeTime } from "../ui/relative-time";

export function MembersCard() {
  const trpc = useTRPC();
  const team = useTeam();
  const queryClient = useQueryClient();
  const members = useQuery(trpc.teams.members.queryOptions({ teamId: team.id }));
  const refresh = () => queryClient.invalidateQueries(trpc.teams.members.pathFilter());
  const changeRole = useMutation(trpc.teams.changeMemberRole.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.teams.removeMember.mutationOptions({ onSettled: refresh }));
  const error = changeRole.error ?? remove.error;

  return (
    <Card>
      <CardHeader
        title="Members"
        description="Owners manage agents and invitations; members queue, cancel and retry runs; viewers only look."
      />
      {error && (
        <div className="px-5 pt-3">
          <Alert>{errorMessage(error)}</Alert>
        </div>
      )}
      <ul className="divide-y divide-zinc-100">
        {members.data?.map((member) => (
          <li key={member.id} className="flex items-center gap-4 px-5 py-3">
            <div className="grid size-8 shrink-0 place-items-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-700">
              {member.name.slice(0, 1).toUpperCase()}
            </div>
            <div className="min-w-0 flex-1">
              <div className="truncate text-sm font-medium text-zinc-900">{member.name}</div>
              <div className="truncate text-xs text-zinc-500">
                {member.email} · joined <RelativeTime date={member.joinedAt} />
              </div>
            </div>
            {team.isOwner ? (
              <>
                <Select
                  aria-label={`Role of ${member.name}`}
                  className="w-32"
                  value={member.role}
                  onChange={(e) =>
                    changeRole.mutate({
                      teamId: team.id,
                      userId: member.id,
                      role: e.target.value as TeamRole,
                    })
                  }
                >
                  {TeamRoleSchema.options.map((role) => (
                    <option key={role} value={role}>
                      {ROLE_LABELS[role]}
                    </option>
                  ))}
                </Select>
                <Button
                  size="sm"
                  variant="ghost"
                  onClick={() => remove.mutate({ teamId: team.id, userId: member.id })}
                >
                  Remove
                </Button>
              </>
            ) : (
              <span className="text-xs font-medium text-zinc-600">{ROLE_LABELS[member.role]}</span>
            )}
          </li>
        ))}
      </ul>
    </Card>
  );
}
