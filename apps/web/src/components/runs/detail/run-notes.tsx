"use client";

import { RunDetailsPatchSchema } from "@fp4kit/protocol";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { z } from "zod";
import { useTRPC } from "../../../lib/trpc/react";
import { errorMessage, type RunDetail } from "../../../lib/trpc/types";
import { useTeam } from "../../shell/team-context";
import { Button } from "../../ui/button";
import { Card, CardHeader } from "../../ui/card";
import { Field, Input, Textarea } from "../../ui/field";
import { TagChip } from "../runs-table";

/** "a, b c" → ["a", "b", "c"]: tags are typed separated by commas or spaces. */
function splitTags(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

/** The run's name, tags and notes, edited in place by members and owners. */
export function RunNotes({ run }: { run: RunDetail }) {
  const trpc = useTRPC();
  const team = useTeam();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState("");
  const [tags, setTags] = useState("");
  const [notes, setNotes] = useState("");
  const [fieldErrors, setFieldErrors] = useState<Record<string, string | undefined>>({});
  const update = useMutation(
    trpc.runs.update.mutationOptions({
      onSuccess: async () => {
        setEditing(false);
        await queryClient.invalidateQueries(trpc.runs.pathFilter());
      },
    }),
  );

  const startEditing = () => {
    setName(run.name ?? "");
    setTags(run.tags.join(", "));
    setNotes(run.notes);
    setFieldErrors({});
    setEditing(true);
  };
  const save = () => {
    const patch = RunDetailsPatchSchema.safeParse({ name, notes, tags: splitTags(tags) });
    if (!patch.success) {
      const errors = z.flattenError(patch.error).fieldErrors;
      setFieldErrors({ name: errors.name?.[0], tags: errors.tags?.[0], notes: errors.notes?.[0] });
      return;
    }
    update.mutate({ teamId: team.id, runId: run.id, patch: patch.data });
  };

  return (
    <Card>
      <CardHeader
        title="Name, tags and notes"
        actions={
          team.canOperate &&
          !editing && (
            <Button size="sm" onClick={startEditing}>
              Edit
            </Button>
          )
        }
      />
      {editing ? (
        <form
          className="space-y-3 px-5 py-4"
          onSubmit={(e) => {
            e.preventDefault();
            save();
          }}
        >
          <Field
            label="Name"
            htmlFor="run-name"
            hint={`Empty: shown as ${run.model}`}
            error={fieldErrors.name}
          >
            <Input id="run-name" value={name} maxLength={120} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field
            label="Tags"
            htmlFor="run-tags"
            hint="Separated by commas or spaces: letters, digits, '.', '_' and '-'"
            error={fieldErrors.tags}
          >
            <Input id="run-tags" value={tags} onChange={(e) => setTags(e.target.value)} />
          </Field>
          <Field label="Notes" htmlFor="run-notes" error={fieldErrors.notes}>
            <Textarea
              id="run-notes"
              rows={4}
              className="w-full font-sans text-sm"
              value={notes}
              onChange={(e) => setNotes(e.target.value)}
            />
          </Field>
          {update.error && <p className="text-xs text-red-600">{errorMessage(update.error)}</p>}
          <div className="flex justify-end gap-2">
            <Button variant="ghost" onClick={() => setEditing(false)}>
              Discard
            </Button>
            <Button type="submit" variant="primary" disabled={update.isPending}>
              {update.isPending ? "Saving…" : "Save"}
            </Button>
          </div>
        </form>
      ) : (
        <div className="space-y-2 px-5 py-4 text-sm" data-testid="run-notes">
          <div className="flex flex-wrap items-center gap-1.5">
            {run.tags.length > 0 ? (
              run.tags.map((tag) => <TagChip key={tag} tag={tag} />)
            ) : (
              <span className="text-xs text-zinc-400">No tags</span>
            )}
          </div>
          {run.notes ? (
            <p className="whitespace-pre-wrap text-zinc-700">{run.notes}</p>
          ) : (
            <p className="text-xs text-zinc-400">No notes</p>
          )}
        </div>
      )}
    </Card>
  );
}
