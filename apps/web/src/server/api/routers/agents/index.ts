import { createTRPCRouter } from "../../trpc";
import { create } from "./create";
import { list } from "./list";
import { revoke } from "./revoke";

export const agentsRouter = createTRPCRouter({ list, create, revoke });
