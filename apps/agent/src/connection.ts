import { EventEmitter } from "node:events";
import {
  type AckErrorCode,
  AckErrorSchema,
  AGENT_AUTH_ERRORS,
  AGENT_EVENTS,
  AGENT_NAMESPACE,
  type AgentCapabilities,
  AgentHelloReplySchema,
  AgentRevokedSchema,
  CancelRunSchema,
  EmptyReplySchema,
  type OutputFolderReply,
  type OutputFolderRequest,
  OutputFolderRequestSchema,
} from "@fp4kit/protocol";
import { io, type Socket } from "socket.io-client";
import type { z } from "zod";
import type { Logger } from "./logger.ts";

export type HelloReply = z.infer<typeof AgentHelloReplySchema>;

/** The server answered a request with `{ ok: false }`. */
export class ServerRefusedError extends Error {
  override name = "ServerRefusedError";
  constructor(
    readonly code: AckErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The request did not get an answer (not connected, or no ack in time); it may be retried. */
export class ServerUnreachableError extends Error {
  override name = "ServerUnreachableError";
}

interface ConnectionEvents {
  /** Connected and greeted: requests can flow. */
  ready: [HelloReply];
  disconnected: [reason: string];
  cancel: [runId: string];
  available: [];
  /** The server refuses this agent for good (token revoked or unknown); the agent must stop. */
  rejected: [reason: string];
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The agent's socket.io connection to `/agent`: authenticates with the token, says hello with the
 * capabilities on every (re)connect, sends heartbeats, reconnects with jittered backoff (1 s, then
 * every 2 s ± 50%), and turns the ack convention into resolved replies or typed errors.
 */
export class ServerConnection extends EventEmitter<ConnectionEvents> {
  private readonly socket: Socket;
  private hello: HelloReply | null = null;
  /** Shared by everyone waiting for the next session (one listener, however many waiters). */
  private nextSession: Promise<HelloReply> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly options: {
      server: string;
      token: string;
      probeCapabilities: () => Promise<AgentCapabilities>;
      /** Answers the server's `output:folder` requests; a thrown error's message is the refusal. */
      outputFolder: (request: OutputFolderRequest) => Promise<OutputFolderReply>;
      log: Logger;
    },
  ) {
    super();
    this.socket = io(new URL(AGENT_NAMESPACE, options.server).href, {
      auth: { token: options.token },
      transports: ["websocket"],
      autoConnect: false,
      // A short ceiling: a server back from a restart must find its agents within seconds, before
      // the leases they hold are expired (the server waits a grace period for them). A refused
      // connection costs the server nothing, so trying every couple of seconds is cheap.
      reconnectionDelay: 1_000,
      reconnectionDelayMax: 2_000,
      randomizationFactor: 0.5,
    });
    this.socket.on("connect", () => void this.greet());
    this.socket.on("disconnect", (reason) => this.onDisconnect(reason));
    this.socket.on("connect_error", (err) => this.onConnectError(err));
    this.socket.on(AGENT_EVENTS.cancel, (payload: unknown) => {
      const parsed = CancelRunSchema.safeParse(payload);
      if (parsed.success) this.emit("cancel", parsed.data.runId);
    });
    this.socket.on(AGENT_EVENTS.available, () => this.emit("available"));
    this.socket.on(
      AGENT_EVENTS.outputFolder,
      (payload: unknown, ack: unknown) => void this.answerOutputFolder(payload, ack),
    );
    this.socket.on(AGENT_EVENTS.revoked, (payload: unknown) => {
      const reason = AgentRevokedSchema.safeParse(payload).data?.reason ?? "revoked";
      this.reject(`the server revoked this agent: ${reason}`);
    });
  }

  get ready(): HelloReply | null {
    return this.hello;
  }

  start(): void {
    this.socket.connect();
  }

  stop(): void {
    this.stopped = true;
    this.stopHeartbeat();
    this.hello = null;
    this.socket.disconnect();
  }

  /** Resolves once connected and greeted (immediately if already). */
  whenReady(): Promise<HelloReply> {
    if (this.hello) return Promise.resolve(this.hello);
    this.nextSession ??= new Promise((resolve) =>
      this.once("ready", (hello) => {
        this.nextSession = null;
        resolve(hello);
      }),
    );
    return this.nextSession;
  }

  /** Sends a request and returns its validated reply. Never queues: not connected = ServerUnreachableError. */
  async request<Reply extends z.ZodObject>(
    event: string,
    payload: unknown,
    reply: Reply,
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<z.infer<Reply>> {
    if (!this.socket.connected) throw new ServerUnreachableError(`not connected to ${this.options.server}`);
    let answer: unknown;
    try {
      answer = await this.socket.timeout(timeoutMs).emitWithAck(event, payload);
    } catch {
      throw new ServerUnreachableError(
        `${event}: no answer (connection lost, or nothing within ${timeoutMs} ms)`,
      );
    }
    const refusal = AckErrorSchema.safeParse(answer);
    if (refusal.success) throw new ServerRefusedError(refusal.data.code, refusal.data.error);
    const parsed = reply.safeParse(answer);
    if (!parsed.success)
      throw new ServerRefusedError("INVALID_PAYLOAD", `${event}: malformed reply from the server`);
    return parsed.data as z.infer<Reply>;
  }

  private async answerOutputFolder(payload: unknown, ack: unknown): Promise<void> {
    if (typeof ack !== "function") return;
    const request = OutputFolderRequestSchema.safeParse(payload);
    if (!request.success) {
      ack({ ok: false, code: "INVALID_PAYLOAD", error: "output:folder: malformed request" });
      return;
    }
    try {
      const reply = await this.options.outputFolder(request.data);
      if (reply.removed) this.options.log.info(`removed ${reply.path} (${reply.sizeBytes} bytes) as asked`);
      ack({ ok: true, ...reply });
    } catch (err) {
      ack({ ok: false, code: "FORBIDDEN", error: (err as Error).message });
    }
  }

  private async greet(): Promise<void> {
    try {
      const capabilities = await this.options.probeCapabilities();
      const hello = await this.request(AGENT_EVENTS.hello, { capabilities }, AgentHelloReplySchema);
      this.hello = hello;
      this.options.log.info(
        `connected to ${this.options.server} as agent "${hello.agentName}" (${hello.agentId})`,
      );
      this.startHeartbeat(hello.heartbeatSeconds);
      this.emit("ready", hello);
    } catch (err) {
      // The hello is what makes the session usable: without it, start over.
      this.options.log.warn(`greeting the server failed (${(err as Error).message}); reconnecting`);
      this.socket.disconnect();
      if (!this.stopped) setTimeout(() => this.socket.connect(), 2_000).unref();
    }
  }

  private onDisconnect(reason: string): void {
    this.stopHeartbeat();
    this.hello = null;
    if (this.stopped) return;
    this.options.log.warn(`disconnected from the server (${reason}); reconnecting`);
    this.emit("disconnected", reason);
    // socket.io reconnects by itself except after a server-side disconnect. The timer stays ref'd:
    // it may be the only thing keeping the daemon alive until the server answers (or refuses us).
    if (reason === "io server disconnect") setTimeout(() => this.reconnect(), 1_000);
  }

  private onConnectError(err: Error): void {
    const refusals: string[] = [
      AGENT_AUTH_ERRORS.invalidToken,
      AGENT_AUTH_ERRORS.revoked,
      AGENT_AUTH_ERRORS.missingToken,
    ];
    if (refusals.includes(err.message)) {
      this.reject(`the server refused the agent token: ${err.message}`);
      return;
    }
    this.options.log.warn(`cannot reach ${this.options.server} (${err.message}); retrying`);
    // A middleware refusal other than the token's (server busy) leaves the socket inactive.
    if (!this.socket.active && !this.stopped) setTimeout(() => this.reconnect(), 5_000);
  }

  private reconnect(): void {
    if (!this.stopped) this.socket.connect();
  }

  private reject(reason: string): void {
    this.stop();
    this.emit("rejected", reason);
  }

  private startHeartbeat(seconds: number): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => {
      this.request(AGENT_EVENTS.heartbeat, {}, EmptyReplySchema).catch((err: Error) =>
        this.options.log.warn(`heartbeat failed: ${err.message}`),
      );
    }, seconds * 1_000);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
