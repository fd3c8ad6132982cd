/**
 * tRPC setup with layered procedures (public → authed → team viewer/member/owner), after
 * create-t3-turbo and Langfuse. Procedures live one per file under ./routers and stay thin: they
 * validate input, pick the layer that authorises the caller, and call a domain function.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError, z } from "zod";
import type { TeamRole } from "../../lib/roles";
import type { Db } from "../db";
import { DomainError } from "../domain/errors";
import { requireTeamRole } from "../domain/teams/membership";
import type { RealtimePort } from "../realtime-port";

export interface SessionUser {
  id: string;
  name: string;
  email: string;
}

export interface TrpcContext {
  db: Db;
  realtime: RealtimePort;
  session: { user: SessionUser } | null;
}

const t = initTRPC.context<TrpcContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    // Field errors of invalid input, so forms can show them next to the field.
    const fieldErrors = error.cause instanceof ZodError ? z.flattenError(error.cause).fieldErrors : null;
    // An unexpected failure is logged by the route handler; its text (SQL, Prisma's internals,
    // stack) is not for the client.
    if (error.code === "INTERNAL_SERVER_ERROR") {
      const { stack: _stack, ...data } = shape.data;
      return {
        ...shape,
        message: "The server failed to handle this request; it was logged",
        data: { ...data, fieldErrors },
      };
    }
    return { ...shape, data: { ...shape.data, fieldErrors } };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Domain code throws transport-agnostic DomainErrors; here they become tRPC errors with their code. */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: cause.code, message: cause.message, cause });
  }
  return result;
});

/** The path to the first string in the input that holds a NUL character, or null. */
function nulCharacterAt(value: unknown, path: PropertyKey[] = []): PropertyKey[] | null {
  if (typeof value === "string") return value.includes("\0") ? path : null;
  if (value === null || typeof value !== "object") return null;
  for (const [key, item] of Object.entries(value)) {
    const found = nulCharacterAt(item, [...path, key]);
    if (found) return found;
  }
  return null;
}

/**
 * PostgreSQL text cannot hold NUL: any such input is refused as invalid input (as the procedure's own
 * schema refuses it in path fields, with the same error shape), before a query could fail on it.
 */
const refuseNulCharacters = t.middleware(async ({ getRawInput, next }) => {
  const path = nulCharacterAt(await getRawInput());
  if (path) {
    const issue = { code: "custom" as const, path, message: "must not contain a NUL byte", input: undefined };
    throw new TRPCError({ code: "BAD_REQUEST", cause: new ZodError([issue]) });
  }
  return next();
});

export const publicProcedure = t.procedure.use(mapDomainErrors).use(refuseNulCharacters);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.session) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in first" });
  return next({ ctx: { user: ctx.session.user } });
});

/** A procedure on one team's data: input carries `teamId`, and the caller needs `required` there. */
function teamProcedure(required: TeamRole) {
  return authedProcedure.input(z.object({ teamId: z.string().min(1) })).use(async ({ ctx, input, next }) => {
    const team = await requireTeamRole(ctx.db, { teamId: input.teamId, userId: ctx.user.id, required });
    return next({ ctx: { team } });
  });
}

/** Any member, viewers included: read-only procedures. */
export const teamViewerProcedure = teamProcedure("VIEWER");
/** Members and owners: queue, cancel and retry runs. */
export const teamMemberProcedure = teamProcedure("MEMBER");
/** Owners only: agents, invitations and members. */
export const teamOwnerProcedure = teamProcedure("OWNER");
