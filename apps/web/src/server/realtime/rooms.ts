/** Socket.io rooms; the adapter makes emits to them reach sockets on every web instance. */

/** `/agent`: the sockets of one agent (cancel, revoke, pinned runs). */
export const agentRoom = (agentId: string) => `agent:${agentId}`;
/** `/agent`: every agent of a team (unpinned runs to claim). */
export const teamAgentsRoom = (teamId: string) => `team-agents:${teamId}`;
/** `/browser`: members watching a team's runs table and agents page. */
export const teamRoom = (teamId: string) => `team:${teamId}`;
