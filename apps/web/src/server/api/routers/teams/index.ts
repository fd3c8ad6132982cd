import { createTRPCRouter } from "../../trpc";
import { bySlug } from "./by-slug";
import { changeMemberRole } from "./change-member-role";
import { create } from "./create";
import { members } from "./members";
import { removeMember } from "./remove-member";

export const teamsRouter = createTRPCRouter({ bySlug, create, members, changeMemberRole, removeMember });
