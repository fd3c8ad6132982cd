import { z } from "zod";
import { NewWebhookSchema } from "../../../../lib/webhook-events";
import {
  createWebhook,
  deleteWebhook,
  listDeliveries,
  listWebhooks,
} from "../../../domain/webhooks/webhooks";
import { createTRPCRouter, teamViewerProcedure } from "../../trpc";

/** Webhooks: anyone in the team keeps personal ones; owners also keep the team's. */
export const webhooksRouter = createTRPCRouter({
  list: teamViewerProcedure.query(({ ctx }) => listWebhooks(ctx.db, ctx.team)),
  create: teamViewerProcedure
    .input(NewWebhookSchema)
    .mutation(({ ctx, input }) => createWebhook(ctx.db, ctx.team, input)),
  deliveries: teamViewerProcedure
    .input(z.object({ webhookId: z.string().min(1) }))
    .query(({ ctx, input }) => listDeliveries(ctx.db, ctx.team, input)),
  delete: teamViewerProcedure
    .input(z.object({ webhookId: z.string().min(1) }))
    .mutation(({ ctx, input }) => deleteWebhook(ctx.db, ctx.team, input)),
});
