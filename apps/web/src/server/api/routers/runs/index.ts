import { createTRPCRouter } from "../../trpc";
import { artifact } from "./artifact";
import { cancel } from "./cancel";
import { compare } from "./compare";
import { create } from "./create";
import { get } from "./get";
import { list } from "./list";
import { retry } from "./retry";

export const runsRouter = createTRPCRouter({ list, get, create, cancel, retry, compare, artifact });
