import { type AgentCapabilities, AgentCapabilitiesSchema } from "@fp4kit/protocol";

/** The agent's last reported capabilities, or null if it never connected or sent something else. */
export function parseCapabilities(json: unknown): AgentCapabilities | null {
  const parsed = AgentCapabilitiesSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
