import { handleApiRequest } from "../../../../server/http-api/api-request";

/** `GET /api/v1/me`: the token's user, team and current role. */
export function GET(request: Request) {
  return handleApiRequest(request, async ({ user, team, role }) => ({ user, team, role }));
}
