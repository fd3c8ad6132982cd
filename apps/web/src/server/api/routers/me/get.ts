import { listTeamsOfUser } from "../../../domain/teams/list-teams";
import { authedProcedure } from "../../trpc";

/** The signed-in user and the teams they belong to (team switcher, landing redirect). */
export const get = authedProcedure.query(async ({ ctx }) => ({
  user: ctx.user,
  teams: await listTeamsOfUser(ctx.db, ctx.user.id),
}));
