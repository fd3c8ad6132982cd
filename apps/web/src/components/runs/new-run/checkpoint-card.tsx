"use client";

import type { AgentItem } from "../../../lib/trpc/types";
import { Card, CardBody, CardHeader } from "../../ui/card";
import { Field, Input } from "../../ui/field";
import { CheckpointPicker } from "./checkpoint-picker";
import type { FieldErrors, NewRunFormState, SetFormField } from "./form-state";
import { needsDestination, suggestDestination, writesCalibrationFile } from "./new-run-model";

/** The form's Checkpoint card: source, destination (with a suggestion) and, for a conversion, Overwrite. */
export function CheckpointCard({
  form,
  errors,
  set,
  agents,
  roots,
}: {
  form: NewRunFormState;
  errors: FieldErrors;
  set: SetFormField;
  agents: AgentItem[];
  /** The chosen agent's roots; paths must lie under one of them. */
  roots: readonly string[];
}) {
  const calibrationFile = writesCalibrationFile(form);
  const suggestedDestination = suggestDestination(form.sourcePath, form.kind, calibrationFile);
  return (
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
          agents={agents}
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
        {needsDestination(form) && (
          <Field
            label={calibrationFile ? "Calibration file to write" : "Destination"}
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
              ) : calibrationFile ? (
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
                calibrationFile ? "/data/DeepSeek-V3-FP8.calibration.json" : "/data/DeepSeek-V3-NVFP4"
              }
              className="font-mono"
              invalid={!!errors.destPath}
            />
          </Field>
        )}
        {form.kind === "CONVERT" && (
          <label htmlFor="overwrite" className="flex items-start gap-2 text-sm text-zinc-800 md:col-start-2">
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
  );
}
