// What every service client reports when stopped, and what its verification finds.

export interface ClientReport {
  /** Operations the server confirmed (writes acknowledged, or bodies that checked out). */
  acknowledged: number;
  /** Requests that got no good answer: an error, a timeout, a closed connection, a wrong body. */
  failed: number;
  /** Connection attempts refused or timed out (while no server answers at an address). */
  connectFailures: number;
  /** TCP connections the client opened: 1 (per concurrent client) when it kept its connection throughout. */
  connectionsOpened: number;
  /** Longest time between two successful operations (up to stop() too); null if none succeeded. */
  longestGapSeconds: number | null;
  /** The last error seen, for a report that says why. */
  lastError: string | null;
}

export interface VerifyReport<K> {
  /** How many acknowledged writes (or files) were looked for. */
  checked: number;
  /** The acknowledged ones not there (or not as written): must be empty. */
  missing: K[];
}
