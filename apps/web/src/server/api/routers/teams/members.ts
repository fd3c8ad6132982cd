import { listTeamMembers } from "../../../domain/teams/members";
import { teamViewerProcedure } from "../../trpc";

export const members = teamViewerProcedure.query(({ ctx }) => listTeamMembers(ctx.db, ctx.team.teamId));
