import { agentsRouter } from "./routers/agents";
import { apiTokensRouter } from "./routers/api-tokens";
import { invitationsRouter } from "./routers/invitations";
import { meRouter } from "./routers/me";
import { runsRouter } from "./routers/runs";
import { teamsRouter } from "./routers/teams";
import { webhooksRouter } from "./routers/webhooks";
import { createCallerFactory, createTRPCRouter } from "./trpc";

export const appRouter = createTRPCRouter({
  me: meRouter,
  teams: teamsRouter,
  invitations: invitationsRouter,
  agents: agentsRouter,
  runs: runsRouter,
  apiTokens: apiTokensRouter,
  webhooks: webhooksRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures in-process (tests; server components). */
export const createCaller = createCallerFactory(appRouter);
