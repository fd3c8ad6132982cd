import { createTRPCRouter } from "../../trpc";
import { archive } from "./archive";
import { artifact } from "./artifact";
import { cancel } from "./cancel";
import { compare } from "./compare";
import { create } from "./create";
import { remove } from "./delete";
import { get } from "./get";
import { lineage } from "./lineage";
import { list } from "./list";
import { log } from "./log";
import { outputFolder } from "./output-folder";
import { queue } from "./queue-status";
import { retry } from "./retry";
import { update } from "./update";

export const runsRouter = createTRPCRouter({
  list,
  get,
  create,
  cancel,
  retry,
  compare,
  artifact,
  update,
  archive,
  delete: remove,
  outputFolder,
  log,
  lineage,
  queue,
});
