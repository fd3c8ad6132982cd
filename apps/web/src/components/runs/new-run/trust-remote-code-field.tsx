"use client";

import type { OptionFieldsProps } from "./options-model";

/** Off by default: a ticked box lets the checkpoint folder's Python files run on the agent's host. */
export function TrustRemoteCodeField({ form, errors, set }: OptionFieldsProps) {
  return (
    <div className="md:col-span-2">
      <label htmlFor="trustRemoteCode" className="flex items-center gap-2 text-sm font-medium text-zinc-800">
        <input
          id="trustRemoteCode"
          type="checkbox"
          checked={form.trustRemoteCode}
          onChange={(e) => set("trustRemoteCode", e.target.checked)}
          className="size-4 rounded border-zinc-300 text-indigo-600"
        />
        Trust remote code
      </label>
      {errors["options.trustRemoteCode"] ? (
        <p className="mt-1.5 text-xs text-red-600" role="alert">
          {errors["options.trustRemoteCode"]}
        </p>
      ) : (
        <p
          className={
            form.trustRemoteCode
              ? "mt-1.5 text-xs font-medium text-amber-700"
              : "mt-1.5 text-xs text-zinc-500"
          }
          data-testid="trust-remote-code-warning"
        >
          Runs the Python files inside the checkpoint folder on the agent's host, with the agent's
          permissions. Tick it only for a checkpoint from a source you trust; DeepSeek V3, V3.2 and V4 load
          without it.
        </p>
      )}
    </div>
  );
}
