import { BROWSER_EVENTS, type RunEvent } from "@fp4kit/protocol";
import type { Namespace, Socket } from "socket.io";
import type { Db } from "../db";
import { listRunEventsAfter } from "../queue";
import type { Logger } from "./logger";
import { pendingSendBytes } from "./send-buffer";

/** Server-to-server event (through the adapter) carrying events another instance just stored. */
const STORED_EVENTS = "fp4kit:run-events-stored";
const REPLAY_PAGE = 500;

/**
 * How much a subscriber may leave unsent. A browser that reads slower than the server sends (or
 * not at all) would otherwise make the server hold a whole run's log per subscriber in memory.
 */
export interface SendBufferLimits {
  /** Replay pauses while more than this is queued for the socket and not yet taken by the network. */
  maxPendingBytes: number;
  /** A subscriber whose queue stays above the limit this long is dropped (`run:dropped`). */
  slowConsumerMs: number;
  /** How often a paused replay looks at the queue again. */
  pollMs: number;
}

export const DEFAULT_SEND_BUFFER_LIMITS: SendBufferLimits = {
  maxPendingBytes: 4 * 1024 * 1024,
  slowConsumerMs: 15_000,
  pollMs: 100,
};

/** A run's subscription as the access checks see it. */
export interface RunSubscription {
  runId: string;
  teamId: string;
}

/**
 * Delivers a run's events to subscribed browsers exactly once and in seq order, replay and live
 * alike. Socket.io rooms cannot do this: a room emit cannot be filtered per socket, so a socket
 * that joins during its replay would get some events twice or miss some. Instead each instance
 * keeps its subscribers, and each subscriber tracks the last seq it sent:
 *  - live events are forwarded when they continue that seq directly (the common case, no query);
 *  - otherwise (the replay itself, a batch published before the subscription existed, an instance
 *    that stored events and died before publishing them, a paused slow subscriber) the subscriber
 *    reads the gap from Postgres, which holds every event before it is published.
 * Each subscriber reads one gap at a time, so replay and live never interleave; the database, not
 * this process, holds whatever a slow browser has not taken yet.
 */
export class RunEventStream {
  private readonly byRun = new Map<string, Map<string, RunSubscriber>>();

  constructor(
    private readonly browsers: Namespace,
    private readonly db: Db,
    private readonly log: Logger,
    private readonly limits: SendBufferLimits = DEFAULT_SEND_BUFFER_LIMITS,
  ) {
    browsers.on(STORED_EVENTS, (payload: { runId: string; events: RunEvent[] }) => {
      this.deliverLocally(payload.runId, payload.events);
    });
  }

  /** Called after `events` were committed to Postgres by this instance. */
  publish(runId: string, events: readonly RunEvent[]): void {
    if (events.length === 0) return;
    this.deliverLocally(runId, events);
    this.browsers.serverSideEmit(STORED_EVENTS, { runId, events });
  }

  /**
   * Replays everything after `afterSeq`, then keeps the socket subscribed; resolves after the replay
   * (or when the subscriber was dropped for not keeping up).
   */
  async subscribe(socket: Socket, run: RunSubscription, afterSeq: number): Promise<void> {
    this.unsubscribe(socket, run.runId);
    const subscriber = new RunSubscriber(socket, run, afterSeq, this.db, this.log, this.limits, () =>
      this.unsubscribe(socket, run.runId),
    );
    let subscribers = this.byRun.get(run.runId);
    if (!subscribers) {
      subscribers = new Map();
      this.byRun.set(run.runId, subscribers);
    }
    // Registered before the replay query: whatever is committed after it reaches us live.
    subscribers.set(socket.id, subscriber);
    await subscriber.catchUp();
  }

  unsubscribe(socket: Socket, runId: string): void {
    const subscribers = this.byRun.get(runId);
    subscribers?.get(socket.id)?.close();
    subscribers?.delete(socket.id);
    if (subscribers?.size === 0) this.byRun.delete(runId);
  }

  unsubscribeAll(socket: Socket): void {
    for (const runId of [...this.byRun.keys()]) this.unsubscribe(socket, runId);
  }

  /** The runs this socket is subscribed to on this instance. */
  subscriptionsOf(socket: Socket): RunSubscription[] {
    const found: RunSubscription[] = [];
    for (const subscribers of this.byRun.values()) {
      const subscriber = subscribers.get(socket.id);
      if (subscriber) found.push(subscriber.run);
    }
    return found;
  }

  /** Ends the socket's subscriptions to runs of `teamId` (its access to the team is gone). */
  unsubscribeTeam(socket: Socket, teamId: string): void {
    for (const run of this.subscriptionsOf(socket)) {
      if (run.teamId === teamId) this.unsubscribe(socket, run.runId);
    }
  }

  private deliverLocally(runId: string, events: readonly RunEvent[]): void {
    for (const subscriber of this.byRun.get(runId)?.values() ?? []) subscriber.onStored(events);
  }
}

class RunSubscriber {
  private lastSentSeq: number;
  /** Highest seq known to be stored; above lastSentSeq means there is something to catch up. */
  private highestStoredSeq = 0;
  /** The gap reader is running; `again` asks it for one more pass when it ends. */
  private reading: Promise<void> | null = null;
  private again = false;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    readonly run: RunSubscription,
    afterSeq: number,
    private readonly db: Db,
    private readonly log: Logger,
    private readonly limits: SendBufferLimits,
    private readonly onDropped: () => void,
  ) {
    this.lastSentSeq = afterSeq;
  }

  /** Stops sending; a gap read in progress ends at its next step. */
  close(): void {
    this.closed = true;
  }

  catchUp(): Promise<void> {
    this.again = true;
    // `finally` runs after this assignment even when there is nothing to read.
    this.reading ??= this.readWhileBehind().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  onStored(events: readonly RunEvent[]): void {
    if (this.closed) return;
    const last = events.at(-1);
    if (last) this.highestStoredSeq = Math.max(this.highestStoredSeq, last.seq);
    // The common case, without a query: nothing else in flight, room in the socket's buffer.
    if (!this.reading && pendingSendBytes(this.socket) <= this.limits.maxPendingBytes) {
      this.sendContiguous(events);
      if (this.lastSentSeq >= this.highestStoredSeq) return;
    }
    // Only the seq is kept, never the events: a paused subscriber costs no memory per event.
    void this.catchUp();
  }

  private async readWhileBehind(): Promise<void> {
    try {
      while (this.again && !this.closed) {
        this.again = false;
        await this.readGapFromDatabase();
      }
    } catch (err) {
      this.log.error(`[realtime] delivering events of run ${this.run.runId} failed`, err);
    }
  }

  private async readGapFromDatabase(): Promise<void> {
    for (;;) {
      if (!(await this.waitForRoom())) return;
      const page = await listRunEventsAfter(this.db, this.run.runId, this.lastSentSeq, REPLAY_PAGE);
      if (this.closed) return;
      const sent = this.sendContiguous(page);
      // A short page is the end; a hole means a batch is still being committed: its publish will
      // bring us back here.
      if (page.length < REPLAY_PAGE || sent < page.length) return;
    }
  }

  /**
   * Pauses while the socket's send buffer is over the limit. False when it stayed full for
   * `slowConsumerMs`: the subscriber is then dropped, with a message that says where to resume.
   */
  private async waitForRoom(): Promise<boolean> {
    const { maxPendingBytes, slowConsumerMs, pollMs } = this.limits;
    const deadline = Date.now() + slowConsumerMs;
    while (pendingSendBytes(this.socket) > maxPendingBytes) {
      if (this.closed || this.socket.disconnected) return false;
      if (Date.now() >= deadline) {
        this.closed = true;
        this.socket.emit(BROWSER_EVENTS.runDropped, { runId: this.run.runId, lastSeq: this.lastSentSeq });
        this.onDropped();
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    return !this.closed;
  }

  /** Sends the events that continue lastSentSeq without a hole; returns how many of `events` that was or had been sent. */
  private sendContiguous(events: readonly RunEvent[]): number {
    const batch: RunEvent[] = [];
    let handled = 0;
    for (const event of events) {
      if (event.seq <= this.lastSentSeq) {
        handled++;
        continue;
      }
      if (event.seq !== this.lastSentSeq + 1) break;
      batch.push(event);
      this.lastSentSeq = event.seq;
      handled++;
    }
    this.highestStoredSeq = Math.max(this.highestStoredSeq, this.lastSentSeq);
    if (batch.length > 0)
      this.socket.emit(BROWSER_EVENTS.runEvents, { runId: this.run.runId, events: batch });
    return handled;
  }
}
