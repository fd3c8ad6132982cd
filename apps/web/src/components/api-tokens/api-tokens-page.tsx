"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "../../lib/trpc/react";
import { errorMessage } from "../../lib/trpc/types";
import { useTeam } from "../shell/team-context";
import { Button } from "../ui/button";
import { Card, CardHeader } from "../ui/card";
import { Dialog } from "../ui/dialog";
import { Alert, Input } from "../ui/field";
import { PageHeader } from "../ui/page-header";
import { RelativeTime } from "../ui/relative-time";

const HEAD = "px-4 py-2.5 text-left text-xs font-medium text-zinc-500 whitespace-nowrap";
const CELL = "px-4 py-2.5 whitespace-nowrap";

/** Personal API tokens for this team: create (shown once), see when each was last used, revoke. */
export function ApiTokensPage() {
  const trpc = useTRPC();
  const team = useTeam();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const tokens = useQuery(trpc.apiTokens.list.queryOptions({ teamId: team.id }));
  const refresh = () => queryClient.invalidateQueries(trpc.apiTokens.list.pathFilter());
  const create = useMutation(trpc.apiTokens.create.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(
    trpc.apiTokens.revoke.mutationOptions({
      onSuccess: async () => {
        setRevoking(null);
        await refresh();
      },
    }),
  );
  const origin = typeof window === "undefined" ? "" : window.location.origin;

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ teamId: team.id, name }, { onSuccess: () => setName("") });
  }

  return (
    <div className="space-y-5">
      <PageHeader
        title="API tokens"
        description={`Personal tokens for the HTTP API and the fp4kit remote CLI. A token acts as you, in ${team.name}, with your role here.`}
      />
      <Card>
        <CardHeader title="New token" />
        <form onSubmit={submit} className="flex flex-wrap items-center gap-2 px-5 py-4">
          <label htmlFor="api-token-name" className="sr-only">
            Token name
          </label>
          <Input
            id="api-token-name"
            className="w-72"
            placeholder="What it is for, e.g. laptop CLI"
            maxLength={80}
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <Button type="submit" variant="primary" disabled={!name.trim() || create.isPending}>
            Create token
          </Button>
          {create.error && <span className="text-xs text-red-600">{errorMessage(create.error)}</span>}
        </form>
        {create.data && (
          <div className="space-y-3 border-t border-zinc-200 px-5 py-4">
            <Alert tone="amber">
              This token is shown only once; only its hash is kept. Store it now, e.g. in your shell's
              environment.
            </Alert>
            <code
              className="block rounded-md bg-zinc-100 px-3 py-2 font-mono text-xs break-all text-zinc-900"
              data-testid="api-token"
            >
              {create.data.token}
            </code>
            <pre className="rounded-md bg-zinc-950 px-3 py-2 font-mono text-[11px] break-all whitespace-pre-wrap text-zinc-100">
              {`export FP4KIT_SERVER=${origin} FP4KIT_API_TOKEN=${create.data.token}
npx fp4kit remote queue --kind convert --src /data/DeepSeek-V3-FP8 --dst /data/DeepSeek-V3-NVFP4 --follow
curl -H "Authorization: Bearer $FP4KIT_API_TOKEN" ${origin}/api/v1/runs`}
            </pre>
          </div>
        )}
      </Card>
      <Card>
        <CardHeader title="Your tokens" description="Last use is recorded to the minute." />
        {tokens.error && <Alert>{errorMessage(tokens.error)}</Alert>}
        {tokens.data?.length === 0 ? (
          <p className="px-5 py-6 text-sm text-zinc-500">No tokens yet.</p>
        ) : (
          <div className="overflow-x-auto">
            <table className="w-full text-[13px]">
              <thead className="border-b border-zinc-200 bg-zinc-50/80">
                <tr>
                  <th className={HEAD}>Name</th>
                  <th className={HEAD}>Token</th>
                  <th className={HEAD}>Created</th>
                  <th className={HEAD}>Last used</th>
                  <th className={HEAD}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-zinc-100">
                {tokens.data?.map((token) => (
                  <tr key={token.id} data-token-name={token.name}>
                    <td className={`${CELL} font-medium text-zinc-900`}>{token.name}</td>
                    <td className={`${CELL} font-mono text-xs text-zinc-500`}>{token.tokenPrefix}…</td>
                    <td className={`${CELL} text-zinc-600`}>
                      <RelativeTime date={token.createdAt} />
                    </td>
                    <td className={`${CELL} text-zinc-600`} data-testid="last-used">
                      {token.lastUsedAt ? <RelativeTime date={token.lastUsedAt} /> : "never"}
                    </td>
                    <td className={`${CELL} text-right`}>
                      {token.revokedAt ? (
                        <span className="text-xs text-zinc-500">
                          revoked <RelativeTime date={token.revokedAt} />
                        </span>
                      ) : (
                        <Button
                          size="sm"
                          variant="danger"
                          onClick={() => setRevoking({ id: token.id, name: token.name })}
                        >
                          Revoke
                        </Button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Dialog
        open={revoking !== null}
        onClose={() => setRevoking(null)}
        title={`Revoke "${revoking?.name ?? ""}"?`}
        footer={
          <>
            <Button variant="ghost" onClick={() => setRevoking(null)}>
              Keep
            </Button>
            <Button
              variant="danger"
              disabled={revoke.isPending}
              onClick={() => revoking && revoke.mutate({ teamId: team.id, tokenId: revoking.id })}
            >
              Revoke token
            </Button>
          </>
        }
      >
        Requests with it are refused from now on. This cannot be undone.
      </Dialog>
    </div>
  );
}
