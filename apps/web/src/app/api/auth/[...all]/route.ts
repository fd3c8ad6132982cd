import { getServerRuntime } from "../../../../server/runtime";

/** better-auth's endpoints (sign-up, sign-in, session, sign-out). */
const handle = (request: Request) => getServerRuntime().auth.handler(request);

export { handle as GET, handle as POST };
