/** Socket.io rooms; the adapter makes emits to them reach sockets on every web instance. */

/** `/agent`: the sockets of one agent (cancel, revoke, pinned runs). */
export const agentRoom = (agentId: string) => `agent:${agentId}`;
/** `/agent`: every agent of a team (unpinned runs to claim). */
export const teamAgentsRoom = (teamId: string) => `team-agents:${teamId}`;
/** `/browser`: members watching a team's runs table and agents page. */
export const teamRoom = (teamId: string) => `team:${teamId}`;
/** `/browser`: every socket of one user (access revoked from a team). */
export const userRoom = (userId: string) => `user:${userId}`;
/** `/browser`: the sockets opened with one sign-in session (closed when it ends). */
export const sessionRoom = (sessionId: string) => `session:${sessionId}`;
/** The team of a `teamRoom` name, or null for other rooms. */
export const teamOfRoom = (room: string) => (room.startsWith("team:") ? room.slice("team:".length) : null);
