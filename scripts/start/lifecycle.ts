import { say } from "./log.ts";

type Stopper = { name: string; stop: () => Promise<void> };

/**
 * A terminal's Ctrl-C reaches every process of the foreground group, and npm forwards the one it
 * gets to us as well: signals this close to the first one are the same keypress.
 */
const SAME_KEYPRESS_MS = 1_000;

/**
 * What `npm start` has started, stopped in reverse order (agent, web, then the database) on
 * SIGINT/SIGTERM or when something essential fails. A second signal hurries the stoppers along.
 */
export class Lifecycle {
  private readonly stoppers: Stopper[] = [];
  private shuttingDown: Promise<never> | undefined;
  private readonly hurryListeners: (() => void)[] = [];
  private firstSignalAt = 0;

  constructor() {
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.on(signal, () => {
        if (this.shuttingDown && Date.now() - this.firstSignalAt < SAME_KEYPRESS_MS) return;
        if (this.shuttingDown) {
          say(`${signal} again: killing what is left`);
          for (const hurry of this.hurryListeners) hurry();
        } else {
          this.firstSignalAt = Date.now();
          void this.shutDown(0, `${signal}: stopping (press Ctrl-C again to kill at once)`);
        }
      });
    }
  }

  get stopping(): boolean {
    return this.shuttingDown !== undefined;
  }

  /**
   * Registers something to stop at exit; things registered later are stopped first. Something
   * registered while shutting down (a start-up step that was under way) is stopped too.
   */
  add(name: string, stop: () => Promise<void>): void {
    this.stoppers.push({ name, stop });
  }

  /** Called when the user insists (second signal): stoppers should kill instead of waiting. */
  onHurry(listener: () => void): void {
    this.hurryListeners.push(listener);
  }

  shutDown(exitCode: number, reason: string): Promise<never> {
    this.shuttingDown ??= (async () => {
      say(reason);
      for (let next = this.stoppers.pop(); next; next = this.stoppers.pop()) {
        const { name, stop } = next;
        try {
          await stop();
        } catch (error) {
          say(`could not stop ${name} cleanly: ${error instanceof Error ? error.message : error}`);
          exitCode ||= 1;
        }
      }
      // No await between the last stopper and exit: nothing can be registered in between.
      say("stopped");
      process.exit(exitCode);
    })();
    return this.shuttingDown;
  }
}
