/**
 * The team `npm start` creates on first start (scripts/start.ts): owned by a system user and
 * holding the demo agent running beside the web server.
 */
export const LOCAL_TEAM_SLUG = "local";
export const SYSTEM_USER_EMAIL = "local@fp4kit.local";
