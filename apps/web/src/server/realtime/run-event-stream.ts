import { BROWSER_EVENTS, type RunEvent } from "@fp4kit/protocol";
import type { Namespace, Socket } from "socket.io";
import type { Db } from "../db";
import { listRunEventsAfter } from "../queue";
import type { Logger } from "./logger";

/** Server-to-server event (through the adapter) carrying events another instance just stored. */
const STORED_EVENTS = "fp4kit:run-events-stored";
const REPLAY_PAGE = 500;

/**
 * Delivers a run's events to subscribed browsers exactly once and in seq order, replay and live
 * alike. Socket.io rooms cannot do this: a room emit cannot be filtered per socket, so a socket
 * that joins during its replay would get some events twice or miss some. Instead each instance
 * keeps its subscribers, and each subscriber tracks the last seq it sent:
 *  - live events are forwarded when they continue that seq directly (the common case, no query);
 *  - otherwise (the replay itself, a batch published before the subscription existed, an instance
 *    that stored events and died before publishing them) the subscriber reads the gap from
 *    Postgres, which holds every event before it is published.
 * Each subscriber runs its steps one at a time, so replay and live never interleave.
 */
export class RunEventStream {
  private readonly byRun = new Map<string, Map<string, RunSubscriber>>();

  constructor(
    private readonly browsers: Namespace,
    private readonly db: Db,
    private readonly log: Logger,
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

  /** Replays everything after `afterSeq`, then keeps the socket subscribed; resolves after the replay. */
  async subscribe(socket: Socket, runId: string, afterSeq: number): Promise<void> {
    this.unsubscribe(socket, runId);
    const subscriber = new RunSubscriber(socket, runId, afterSeq, this.db, this.log);
    let subscribers = this.byRun.get(runId);
    if (!subscribers) {
      subscribers = new Map();
      this.byRun.set(runId, subscribers);
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

  private deliverLocally(runId: string, events: readonly RunEvent[]): void {
    for (const subscriber of this.byRun.get(runId)?.values() ?? []) subscriber.onStored(events);
  }
}

class RunSubscriber {
  private lastSentSeq: number;
  /** Highest seq known to be stored; above lastSentSeq means there is something to catch up. */
  private highestStoredSeq = 0;
  private steps: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly runId: string,
    afterSeq: number,
    private readonly db: Db,
    private readonly log: Logger,
  ) {
    this.lastSentSeq = afterSeq;
  }

  /** Stops sending; steps already queued become no-ops. */
  close(): void {
    this.closed = true;
  }

  catchUp(): Promise<void> {
    return this.step(() => this.readGapFromDatabase());
  }

  onStored(events: readonly RunEvent[]): void {
    const last = events.at(-1);
    if (last) this.highestStoredSeq = Math.max(this.highestStoredSeq, last.seq);
    void this.step(async () => {
      this.sendContiguous(events);
      if (this.lastSentSeq < this.highestStoredSeq) await this.readGapFromDatabase();
    });
  }

  private step(work: () => Promise<void>): Promise<void> {
    this.steps = this.steps
      .then(() => (this.closed ? undefined : work()))
      .catch((err: unknown) => {
        this.log.error(`[realtime] delivering events of run ${this.runId} failed`, err);
      });
    return this.steps;
  }

  private async readGapFromDatabase(): Promise<void> {
    for (;;) {
      const page = await listRunEventsAfter(this.db, this.runId, this.lastSentSeq, REPLAY_PAGE);
      const sent = this.sendContiguous(page);
      // A short page is the end; a hole means a batch is still being committed: its publish will
      // bring us back here.
      if (page.length < REPLAY_PAGE || sent < page.length) return;
    }
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
    if (batch.length > 0) this.socket.emit(BROWSER_EVENTS.runEvents, { runId: this.runId, events: batch });
    return handled;
  }
}
