import { describe, expect, it } from "vitest";
import {
  ACTIVE_RUN_STATUSES,
  FinishStatusSchema,
  RUN_TRANSITIONS,
  RunStatusSchema,
  TERMINAL_RUN_STATUSES,
} from "../src/index.ts";

describe("run state transitions", () => {
  it("pins every transition's from- and to-statuses", () => {
    expect(RUN_TRANSITIONS).toEqual({
      claim: { from: ["QUEUED"], to: ["RUNNING"] },
      reject: { from: ["QUEUED"], to: ["FAILED"] },
      cancelQueued: { from: ["QUEUED"], to: ["CANCELLED"] },
      finish: { from: ["RUNNING", "LOST"], to: ["SUCCEEDED", "FAILED", "CANCELLED"] },
      expire: { from: ["RUNNING"], to: ["LOST", "CANCELLED"] },
    });
  });

  it("splits the statuses into active and terminal ones", () => {
    expect([...ACTIVE_RUN_STATUSES, ...TERMINAL_RUN_STATUSES].sort()).toEqual(
      [...RunStatusSchema.options].sort(),
    );
    expect(TERMINAL_RUN_STATUSES).toEqual(["SUCCEEDED", "FAILED", "CANCELLED", "LOST"]);
  });

  it("never leaves a finished run except to take its agent's late outcome after it was lost", () => {
    for (const [name, { from }] of Object.entries(RUN_TRANSITIONS)) {
      const ended = from.filter((status) => status !== "LOST" && TERMINAL_RUN_STATUSES.includes(status));
      expect(ended, name).toEqual([]);
    }
  });

  it("takes the agent's finish outcomes from the finish transition", () => {
    expect(FinishStatusSchema.options).toEqual([...RUN_TRANSITIONS.finish.to]);
  });
});
