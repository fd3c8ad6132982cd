import type { Socket } from "socket.io";

/**
 * What engine.io (6.x) keeps for one connection: packets not yet handed to the transport, and for
 * WebSocket the `ws` socket whose `bufferedAmount` counts bytes written but not yet taken by the
 * kernel. Neither is in engine.io's typings; the send-buffer test fails if they move.
 */
interface EngineConnection {
  writeBuffer?: { data?: unknown }[];
  transport?: { socket?: { bufferedAmount?: unknown } };
}

/**
 * Bytes emitted to `socket` that the client has not taken yet: they sit in this process's memory.
 * Grows without bound when a client stops reading, which is what a slow-consumer policy watches.
 */
export function pendingSendBytes(socket: Socket): number {
  const conn = socket.conn as unknown as EngineConnection;
  const inTransport = conn.transport?.socket?.bufferedAmount;
  let bytes = typeof inTransport === "number" ? inTransport : 0;
  for (const packet of conn.writeBuffer ?? []) {
    if (typeof packet.data === "string") bytes += packet.data.length;
    else if (packet.data instanceof Uint8Array) bytes += packet.data.byteLength;
  }
  return bytes;
}
