/** The realtime layer's clocks; the agent learns heartbeat and lease from the hello reply. */
export interface RealtimeTiming {
  /** How often agents send `agent:heartbeat`. */
  heartbeatSeconds: number;
  /** How long a claim or renewal keeps a run leased; agents renew at a third of it. */
  leaseSeconds: number;
  /** An agent silent for this long is marked offline. */
  offlineAfterSeconds: number;
  /** How often this instance expires leases and marks silent agents offline. */
  sweepIntervalMs: number;
  /**
   * Leases are not expired until the sweeper has reached the database for this long, after this
   * instance started or after a failed pass: leases lapse during an outage of the server or the
   * database only because agents could not renew them, and they need time to reconnect (a few
   * seconds of backoff) and renew (at least every third of a lease).
   */
  leaseGraceSeconds: number;
  /** How often every browser socket's session and team memberships are checked again. */
  accessRecheckMs: number;
}

/**
 * An agent whose socket closes (its process died, its host rebooted) is offline at once; one whose
 * socket stays open but says nothing (a frozen host, a cut without a reset) is offline at most
 * offlineAfterSeconds + a sweep interval = 14 s after its last heartbeat.
 */
export const DEFAULT_TIMING: RealtimeTiming = {
  heartbeatSeconds: 5,
  leaseSeconds: 90,
  offlineAfterSeconds: 12,
  sweepIntervalMs: 2_000,
  leaseGraceSeconds: 45,
  accessRecheckMs: 30_000,
};
