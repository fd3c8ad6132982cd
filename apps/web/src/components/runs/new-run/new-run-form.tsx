"use client";

import { type NewRunInput, type RunKind, RunKindSchema } from "@fp4kit/protocol";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, useState } from "react";
import { isUnderSomeRoot } from "../../../lib/paths";
import { useTRPC } from "../../../lib/trpc/react";
import { errorMessage, type RunDetail } from "../../../lib/trpc/types";
import { useTeamAgents } from "../../agents/use-team-agents";
import { useTeam } from "../../shell/team-context";
import { Button, ButtonLink } from "../../ui/button";
import { Card, CardBody, CardHeader } from "../../ui/card";
import { Dialog } from "../../ui/dialog";
import { Alert, Field, Input } from "../../ui/field";
import { PageHeader } from "../../ui/page-header";
import { AgentPicker } from "./agent-picker";
import { CheckpointPicker } from "./checkpoint-picker";
import { formFromRun } from "./form-from-run";
import {
  type FieldErrors,
  INITIAL_FORM,
  KINDS_WITH_DESTINATION,
  type NewRunFormState,
  parseNewRunForm,
} from "./form-state";
import { KindPicker } from "./kind-picker";
import { OptionsFields } from "./options-fields";
import { SpecChanges } from "./spec-changes";

/** Initial values from the URL, e.g. "Convert this checkpoint" on an inspect run links here with them. */
function initialForm(params: { get(name: string): string | null }): NewRunFormState {
  const kind = RunKindSchema.safeParse(params.get("kind"));
  return {
    ...INITIAL_FORM,
    kind: kind.success ? kind.data : INITIAL_FORM.kind,
    agentId: params.get("agent") ?? "",
    sourcePath: params.get("source") ?? "",
    destPath: params.get("dest") ?? "",
    referencePath: params.get("reference") ?? "",
  };
}

/**
 * "/data/DeepSeek-V3-FP8" → "/data/DeepSeek-V3-NVFP4" (or "-NVFP4" appended); an input-scales
 * calibration writes a file beside the source: "/data/DeepSeek-V3-FP8.calibration.json".
 */
function suggestDestination(source: string, kind: RunKind, inputScales: boolean): string {
  const trimmed = source.trim().replace(/\/+$/, "");
  if (!trimmed) return "";
  if (kind === "CALIBRATE" && inputScales) return `${trimmed}.calibration.json`;
  const suffix = kind === "CALIBRATE" ? "NVFP4-calibrated" : "NVFP4";
  return /fp8/i.test(trimmed.split("/").at(-1) ?? "")
    ? trimmed.replace(/fp8(?!.*fp8)/i, suffix)
    : `${trimmed}-${suffix}`;
}

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

/** Which run the new one continues in its chain (it shows in both runs' lineage). */
function ContinuesRun({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const team = useTeam();
  const parent = useQuery(trpc.runs.get.queryOptions({ teamId: team.id, runId }));
  return (
    <Alert tone="blue">
      Continues{" "}
      <Link className="font-medium underline" href={team.href(`/runs/${runId}`)}>
        {parent.data
          ? `${parent.data.kind.toLowerCase()} run ${parent.data.name ?? parent.data.model}`
          : runId}
      </Link>
      : the new run joins its lineage.
    </Alert>
  );
}

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
  const needsDestination = KINDS_WITH_DESTINATION.includes(form.kind);
  const writesCalibrationFile = form.kind === "CALIBRATE" && form.calibrationMethod === "input-scales";
  const suggestedDestination = suggestDestination(form.sourcePath, form.kind, writesCalibrationFile);

  /** The agent re-checks paths against its roots; checking here turns a failed run into a form error. */
  function rootErrors(): FieldErrors {
    if (roots.length === 0) return {};
    const found: FieldErrors = {};
    const outside = `Not under ${agent?.name}'s roots: ${roots.join(", ")}`;
    if (form.sourcePath && !isUnderSomeRoot(form.sourcePath.trim(), roots)) found.sourcePath = outside;
    if (needsDestination && form.destPath && !isUnderSomeRoot(form.destPath.trim(), roots))
      found.destPath = outside;
    return found;
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const parsed = parseNewRunForm(form);
    const found = { ...("errors" in parsed ? parsed.errors : {}), ...rootErrors() };
    setErrors(found);
    if (!("spec" in parsed) || Object.keys(found).length > 0) return;
    if (parsed.spec.kind === "CONVERT" && parsed.spec.options.overwrite) setOverwriting(parsed.spec);
    else queue(parsed.spec);
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
      <Card>
        <CardHeader title="Agent" description="Where the run executes; paths below are on that host." />
        <CardBody>
          {agents.isPending ? (
            <div className="text-sm text-zinc-500">Loading agents…</div>
          ) : (
            <AgentPicker
              agents={agents.data ?? []}
              value={form.agentId}
              onChange={(id) => set("agentId", id)}
            />
          )}
          {agents.data?.length === 0 && (
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
      <Card>
        <CardHeader title="Kind" />
        <CardBody>
          <KindPicker value={form.kind} onChange={(kind) => set("kind", kind)} />
        </CardBody>
      </Card>
      <Card>
        <CardHeader
          title="Checkpoint"
          description={
            roots.length > 0 ? (
              <span>
                Paths must be under the agent's roots:{" "}
                {roots.map((root) => (
                  <button
                    key={root}
                    type="button"
                    onClick={() => set("sourcePath", `${root.replace(/\/+$/, "")}/`)}
                    className="mr-1.5 rounded bg-zinc-100 px-1.5 py-0.5 font-mono text-[11px] text-zinc-700 hover:bg-zinc-200"
                  >
                    {root}
                  </button>
                ))}
              </span>
            ) : (
              "Absolute paths on the agent's host."
            )
          }
        />
        <CardBody className="grid gap-4 md:grid-cols-2">
          <CheckpointPicker
            agents={agents.data ?? []}
            agentId={form.agentId}
            kind={form.kind}
            value={form.sourcePath}
            onPick={({ agentId, path }) => {
              set("agentId", agentId);
              set("sourcePath", path);
            }}
          />
          <Field
            label={form.kind === "VERIFY" ? "NVFP4 checkpoint" : "Source checkpoint (FP8)"}
            htmlFor="sourcePath"
            error={errors.sourcePath}
            hint="The folder with model.safetensors.index.json."
          >
            <Input
              id="sourcePath"
              value={form.sourcePath}
              onChange={(e) => set("sourcePath", e.target.value)}
              placeholder="/data/DeepSeek-V3-FP8"
              className="font-mono"
              invalid={!!errors.sourcePath}
            />
          </Field>
          {needsDestination && (
            <Field
              label={writesCalibrationFile ? "Calibration file to write" : "Destination"}
              htmlFor="destPath"
              error={errors.destPath}
              hint={
                suggestedDestination && form.destPath !== suggestedDestination ? (
                  <button
                    type="button"
                    className="text-indigo-600 hover:text-indigo-500"
                    onClick={() => set("destPath", suggestedDestination)}
                  >
                    Use {suggestedDestination}
                  </button>
                ) : writesCalibrationFile ? (
                  "A JSON file, for a W4A4 conversion's calibration file."
                ) : (
                  "A new folder; a retry resumes into it."
                )
              }
            >
              <Input
                id="destPath"
                value={form.destPath}
                onChange={(e) => set("destPath", e.target.value)}
                placeholder={
                  writesCalibrationFile ? "/data/DeepSeek-V3-FP8.calibration.json" : "/data/DeepSeek-V3-NVFP4"
                }
                className="font-mono"
                invalid={!!errors.destPath}
              />
            </Field>
          )}
          {form.kind === "CONVERT" && (
            <label
              htmlFor="overwrite"
              className="flex items-start gap-2 text-sm text-zinc-800 md:col-start-2"
            >
              <input
                id="overwrite"
                type="checkbox"
                checked={form.overwrite}
                onChange={(e) => set("overwrite", e.target.checked)}
                className="mt-0.5 size-4 rounded border-zinc-300 text-indigo-600"
              />
              <span>
                <span className="font-medium">Overwrite</span>
                <span className="block text-xs text-zinc-500">
                  Convert even if the destination holds another conversion or other files. Without it such a
                  destination is refused; an earlier attempt at this same conversion resumes.
                </span>
              </span>
            </label>
          )}
        </CardBody>
      </Card>
      {form.kind !== "INSPECT" && (
        <Card>
          <CardHeader title="Options" />
          <CardBody className="grid gap-4 md:grid-cols-2">
            <OptionsFields form={form} errors={errors} set={set} />
          </CardBody>
        </Card>
      )}
      {base && (
        <SpecChanges
          base={base}
          spec={(() => {
            const parsed = parseNewRunForm(form);
            return "spec" in parsed ? parsed.spec : null;
          })()}
          agents={agents.data ?? []}
        />
      )}
      <Dialog
        open={overwriting !== null}
        onClose={() => setOverwriting(null)}
        title={`Overwrite ${overwriting?.destPath ?? ""}?`}
        footer={
          <>
            <Button variant="ghost" onClick={() => setOverwriting(null)}>
              Keep it
            </Button>
            <Button variant="danger" onClick={() => overwriting && queue(overwriting)}>
              Overwrite and queue
            </Button>
          </>
        }
      >
        <p>
          If <span className="font-mono text-xs">{overwriting?.destPath}</span> holds another conversion or
          files fp4kit did not write, the conversion replaces fp4kit's files there: every{" "}
          <span className="font-mono text-xs">.safetensors</span> shard, the safetensors index,{" "}
          <span className="font-mono text-xs">fp4kit-manifest.json</span> and the{" "}
          <span className="font-mono text-xs">.fp4kit</span> folder are deleted before it writes. Other files
          stay; so does an earlier attempt at this same conversion, which resumes.
        </p>
      </Dialog>
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
