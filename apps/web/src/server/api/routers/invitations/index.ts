import { createTRPCRouter } from "../../trpc";
import { accept } from "./accept";
import { create } from "./create";
import { list } from "./list";
import { preview } from "./preview";
import { revoke } from "./revoke";

export const invitationsRouter = createTRPCRouter({ create, list, revoke, preview, accept });
