"use client";

import type { NewRunInput } from "@fp4kit/protocol";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, useState } from "react";
import { useTRPC } from "../../../lib/trpc/react";
import { errorMessage, type RunDetail } from "../../../lib/trpc/types";
import { useTeamAgents } from "../../agents/use-team-agents";
import { useTeam } from "../../shell/team-context";
import { Button, ButtonLink } from "../../ui/button";
import { Card, CardBody, CardHeader } from "../../ui/card";
import { Alert } from "../../ui/field";
import { PageHeader } from "../../ui/page-header";
import { AgentCard } from "./agent-card";
import { CheckpointCard } from "./checkpoint-card";
import { ContinuesRun } from "./continues-run";
import { formFromRun } from "./form-from-run";
import type { FieldErrors, NewRunFormState } from "./form-state";
import { KindPicker } from "./kind-picker";
import { currentSpec, initialForm, submitNewRun } from "./new-run-model";
import { OptionsFields } from "./options-fields";
import { OverwriteDialog } from "./overwrite-dialog";
import { SpecChanges } from "./spec-changes";

/**
 * The New run page: a blank form, or with `?from=<run id>` ("Run again with changes") the form
 * filled with that run's spec and the changes from it listed before queueing.
 */
export function NewRunPage() {
  const trpc = useTRPC();
  const team = useTeam();
  const from = useSearchParams().get("from");
  const base = useQuery({
    ...trpc.runs.get.queryOptions({ teamId: team.id, runId: from ?? "" }),
    enabled: from !== null,
  });
  if (from === null) return <NewRunForm />;
  if (base.error) return <Alert>{errorMessage(base.error)}</Alert>;
  if (!base.data) return <div className="text-sm text-zinc-500">Loading run…</div>;
  return <NewRunForm key={base.data.id} base={base.data} />;
}

/** The form's state and its wiring to the server; what the fields mean and check is new-run-model.ts. */
function NewRunForm({ base }: { base?: RunDetail }) {
  const trpc = useTRPC();
  const team = useTeam();
  const router = useRouter();
  const queryClient = useQueryClient();
  const searchParams = useSearchParams();
  const [form, setForm] = useState(() => (base ? formFromRun(base) : initialForm(searchParams)));
  // The run this one continues ("Convert this checkpoint", "Verify this output"...); run again: the same.
  const parentRunId = base ? base.parentRunId : searchParams.get("parent");
  const [errors, setErrors] = useState<FieldErrors>({});
  /** The spec waiting for the user to confirm that its destination is overwritten. */
  const [overwriting, setOverwriting] = useState<NewRunInput | null>(null);
  const agents = useTeamAgents({ includeRevoked: false });
  const create = useMutation(
    trpc.runs.create.mutationOptions({
      onSuccess: async (run) => {
        await queryClient.invalidateQueries(trpc.runs.list.pathFilter());
        router.push(team.href(`/runs/${run.id}`));
      },
    }),
  );

  const set = <K extends keyof NewRunFormState>(key: K, value: NewRunFormState[K]) => {
    setForm((f) => ({ ...f, [key]: value }));
    setErrors(({ [key]: _, ...rest }) => rest);
  };
  const agent = agents.data?.find((a) => a.id === form.agentId);
  const roots = agent?.capabilities?.roots.map((r) => r.path) ?? [];

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const submission = submitNewRun(form, agent && { name: agent.name, roots });
    setErrors(submission.action === "fix" ? submission.errors : {});
    if (submission.action === "confirm-overwrite") setOverwriting(submission.spec);
    if (submission.action === "queue") queue(submission.spec);
  }

  function queue(spec: NewRunInput) {
    setOverwriting(null);
    create.mutate({ teamId: team.id, spec, parentRunId });
  }

  if (!team.canOperate) {
    return (
      <Alert tone="amber">
        Viewers can look at runs but not queue them. Ask a team owner for the member role.
      </Alert>
    );
  }

  return (
    <form onSubmit={onSubmit} noValidate className="max-w-5xl space-y-5">
      <PageHeader
        title={base ? "Run again with changes" : "New run"}
        description={
          base
            ? "The form holds the earlier run's spec: change what you need, check the changes, queue."
            : "Queue a job on one of the team's agents. Queued runs wait for a free agent."
        }
      />
      {parentRunId && <ContinuesRun runId={parentRunId} />}
      <AgentCard
        agents={agents.data}
        loading={agents.isPending}
        value={form.agentId}
        onChange={(id) => set("agentId", id)}
      />
      <Card>
        <CardHeader title="Kind" />
        <CardBody>
          <KindPicker value={form.kind} onChange={(kind) => set("kind", kind)} />
        </CardBody>
      </Card>
      <CheckpointCard form={form} errors={errors} set={set} agents={agents.data ?? []} roots={roots} />
      {form.kind !== "INSPECT" && (
        <Card>
          <CardHeader title="Options" />
          <CardBody className="grid gap-4 md:grid-cols-2">
            <OptionsFields form={form} errors={errors} set={set} />
          </CardBody>
        </Card>
      )}
      {base && <SpecChanges base={base} spec={currentSpec(form)} agents={agents.data ?? []} />}
      <OverwriteDialog
        destPath={overwriting?.destPath ?? null}
        onKeep={() => setOverwriting(null)}
        onOverwrite={() => overwriting && queue(overwriting)}
      />
      {errors.agentId && <Alert>{errors.agentId}</Alert>}
      {create.error && <Alert>{errorMessage(create.error)}</Alert>}
      <div className="flex items-center justify-end gap-2">
        <ButtonLink href={team.href("/runs")} variant="ghost">
          Cancel
        </ButtonLink>
        <Button type="submit" variant="primary" disabled={create.isPending}>
          {create.isPending ? "Queueing…" : "Queue run"}
        </Button>
      </div>
    </form>
  );
}
