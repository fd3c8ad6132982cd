"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ROLE_LABELS, type TeamRole, TeamRoleSchema } from "../../lib/roles";
import { useTRPC } from "../../lib/trpc/react";
import { errorMessage } from "../../lib/trpc/types";
import { useTeam } from "../shell/team-context";
import { Button } from "../ui/button";
import { Card, CardBody, CardHeader } from "../ui/card";
import { Alert, Select } from "../ui/field";
import { RelativeTime } from "../ui/relative-time";

/** Owners create invitation links (valid 7 days, single use) and revoke pending ones. */
export function InvitationsCard() {
  const trpc = useTRPC();
  const team = useTeam();
  const queryClient = useQueryClient();
  const [role, setRole] = useState<TeamRole>("MEMBER");
  const invitations = useQuery(trpc.invitations.list.queryOptions({ teamId: team.id }));
  const refresh = () => queryClient.invalidateQueries(trpc.invitations.list.pathFilter());
  const create = useMutation(trpc.invitations.create.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.invitations.revoke.mutationOptions({ onSettled: refresh }));
  const link = create.data ? `${window.location.origin}${create.data.path}` : null;

  return (
    <Card>
      <CardHeader
        title="Invitations"
        description="Links are single-use and expire after 7 days; only their hash is stored."
      />
      <CardBody className="space-y-3">
        <div className="flex items-end gap-2">
          <div>
            <label htmlFor="invite-role" className="mb-1.5 block text-xs font-medium text-zinc-600">
              Role
            </label>
            <Select
              id="invite-role"
              className="w-36"
              value={role}
              onChange={(e) => setRole(e.target.value as TeamRole)}
            >
              {TeamRoleSchema.options.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABELS[r]}
                </option>
              ))}
            </Select>
          </div>
          <Button
            variant="primary"
            onClick={() => create.mutate({ teamId: team.id, role })}
            disabled={create.isPending}
          >
            Create invitation link
          </Button>
        </div>
        {create.error && <Alert>{errorMessage(create.error)}</Alert>}
        {link && (
          <Alert tone="blue">
            <div className="mb-1 font-medium">Send this link to the person you invite (shown once):</div>
            <div className="flex items-center gap-2">
              <code
                className="flex-1 truncate rounded bg-white/70 px-2 py-1 font-mono text-xs"
                data-testid="invitation-link"
              >
                {link}
              </code>
              <Button size="sm" onClick={() => navigator.clipboard?.writeText(link)}>
                Copy
              </Button>
            </div>
          </Alert>
        )}
      </CardBody>
      {invitations.data && invitations.data.length > 0 && (
        <ul className="divide-y divide-zinc-100 border-t border-zinc-100">
          {invitations.data.map((inv) => (
            <li key={inv.id} className="flex items-center gap-3 px-5 py-2.5 text-sm">
              <span className="font-medium text-zinc-900">{ROLE_LABELS[inv.role]}</span>
              <span className="flex-1 text-xs text-zinc-500">
                by {inv.createdBy.name} <RelativeTime date={inv.createdAt} /> · expires{" "}
                <RelativeTime date={inv.expiresAt} />
              </span>
              <Button
                size="sm"
                variant="ghost"
                onClick={() => revoke.mutate({ teamId: team.id, invitationId: inv.id })}
              >
                Revoke
              </Button>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}
