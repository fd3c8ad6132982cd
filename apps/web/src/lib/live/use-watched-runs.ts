"use client";

import { BROWSER_EVENTS, RunStatusUpdateSchema, TERMINAL_RUN_STATUSES } from "@fp4kit/protocol";
import { useCallback, useEffect, useSyncExternalStore } from "react";
import { getBrowserSocket } from "./browser-socket";

/** Runs this browser watches, kept across reloads and tabs: run id → its label. */
const STORAGE_KEY = "fp4kit.watchedRuns";
const listeners = new Set<() => void>();

function readWatched(): Record<string, string> {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "{}") as Record<string, string>;
  } catch {
    return {};
  }
}

function writeWatched(next: Record<string, string>) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  window.addEventListener("storage", listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", listener);
  };
}

/** Whether this browser watches `runId`, and a toggle that asks for notification permission first. */
export function useWatchRun(runId: string, label: string) {
  const watched = useSyncExternalStore(
    subscribe,
    () => runId in readWatched(),
    () => false,
  );
  const permission = useSyncExternalStore(
    subscribe,
    () => (typeof Notification === "undefined" ? "unsupported" : Notification.permission),
    () => "default",
  );
  const toggle = useCallback(async () => {
    const { [runId]: _, ...rest } = readWatched();
    if (watched) return writeWatched(rest);
    if (typeof Notification === "undefined") return;
    const granted =
      Notification.permission === "granted" || (await Notification.requestPermission()) === "granted";
    if (granted) writeWatched({ ...rest, [runId]: label });
    else for (const listener of listeners) listener();
  }, [runId, label, watched]);
  return { watched, permission, toggle };
}

/**
 * Shows a browser notification when a watched run of the team ends (its status update comes over
 * the team's live socket), then stops watching it. Mounted once by the team shell.
 */
export function useWatchedRunNotifications() {
  useEffect(() => {
    const socket = getBrowserSocket();
    const onRunStatus = (payload: unknown) => {
      const update = RunStatusUpdateSchema.safeParse(payload);
      if (!update.success || !TERMINAL_RUN_STATUSES.includes(update.data.status)) return;
      const { [update.data.runId]: label, ...rest } = readWatched();
      if (label === undefined) return;
      writeWatched(rest);
      if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
      new Notification(`${label}: ${update.data.status.toLowerCase()}`, {
        body: "The run you were watching has ended.",
        tag: update.data.runId,
      });
    };
    socket.on(BROWSER_EVENTS.runStatus, onRunStatus);
    return () => {
      socket.off(BROWSER_EVENTS.runStatus, onRunStatus);
    };
  }, []);
}
