import { listPendingInvitations } from "../../../domain/invitations/list-invitations";
import { teamOwnerProcedure } from "../../trpc";

export const list = teamOwnerProcedure.query(({ ctx }) => listPendingInvitations(ctx.db, ctx.team.teamId));
