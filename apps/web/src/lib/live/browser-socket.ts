"use client";

import { BROWSER_NAMESPACE } from "@fp4kit/protocol";
import { io, type Socket } from "socket.io-client";

let socket: Socket | null = null;

/**
 * The page's one socket.io connection to the `/browser` namespace, authenticated by the session
 * cookie. Shared by every live hook; socket.io reconnects it on its own and the hooks re-subscribe
 * on each `connect`.
 */
export function getBrowserSocket(): Socket {
  socket ??= io(BROWSER_NAMESPACE, { withCredentials: true });
  return socket;
}
