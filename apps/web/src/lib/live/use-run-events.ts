"use client";

import { BROWSER_EVENTS, BrowserRunDroppedSchema, BrowserRunEventsSchema } from "@fp4kit/protocol";
import { useEffect, useState, useSyncExternalStore } from "react";
import { getBrowserSocket } from "./browser-socket";
import { RunEventStore } from "./run-event-store";

export type StreamState = "connecting" | "live" | "offline";

/**
 * Streams a run's log lines and metrics. Subscribing replays every stored event after the last seq
 * this page holds, then the server pushes new ones; after a reconnect the hook subscribes again from
 * its last seq, so the log has no gaps and no duplicates. The same happens when the server dropped
 * the subscription because this page fell behind (`run:dropped`, sent after the events before it).
 */
export function useRunEvents(runId: string) {
  const [store] = useState(() => new RunEventStore());
  const [state, setState] = useState<StreamState>("connecting");
  useSyncExternalStore(store.subscribe, store.getVersion, store.getVersion);

  useEffect(() => {
    const socket = getBrowserSocket();
    const subscribe = () => {
      setState("connecting");
      socket.emit(
        BROWSER_EVENTS.subscribeRun,
        { runId, afterSeq: store.lastSeq },
        (ack: { ok?: boolean } | undefined) => {
          setState(ack?.ok ? "live" : "offline");
        },
      );
    };
    const onEvents = (payload: unknown) => {
      const parsed = BrowserRunEventsSchema.safeParse(payload);
      if (parsed.success && parsed.data.runId === runId) store.append(parsed.data.events);
    };
    const onDropped = (payload: unknown) => {
      const parsed = BrowserRunDroppedSchema.safeParse(payload);
      if (parsed.success && parsed.data.runId === runId) subscribe();
    };
    const onDisconnect = () => setState("offline");

    socket.on("connect", subscribe);
    socket.on("disconnect", onDisconnect);
    socket.on(BROWSER_EVENTS.runEvents, onEvents);
    socket.on(BROWSER_EVENTS.runDropped, onDropped);
    if (socket.connected) subscribe();
    return () => {
      socket.emit(BROWSER_EVENTS.unsubscribeRun, { runId });
      socket.off("connect", subscribe);
      socket.off("disconnect", onDisconnect);
      socket.off(BROWSER_EVENTS.runEvents, onEvents);
      socket.off(BROWSER_EVENTS.runDropped, onDropped);
    };
  }, [runId, store]);

  return { store, state };
}
