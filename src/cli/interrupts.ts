/**
 * SIGINT and SIGTERM of a command that must keep its results (run, stress, compare, hunt). Under tsx
 * (npm start) a signal finds the process with no handler of its own at the program's peril: tsx then
 * exits it at once. So the handlers stay installed until the results are written.
 */

/** A signal this soon after the first is the same Ctrl-C relayed by a wrapper process (npm, tsx). */
export const SECOND_SIGNAL_MS = 1000;

export interface InterruptActions {
  /** the first SIGINT/SIGTERM: stop, keep what finished */
  first(signal: NodeJS.Signals): void;
  /** a second one, later than SECOND_SIGNAL_MS: save what can be saved synchronously, then exit */
  second(signal: NodeJS.Signals): void;
  /** the clock (tests) */
  now?: () => number;
}

/**
 * SIGINT and SIGTERM of a long command (stress, compare, hunt). The first stops it; the copies that a
 * wrapper relays within SECOND_SIGNAL_MS are the same signal; a later one is a second signal. The
 * handlers stay installed until remove(), which the command calls once its results are written: a
 * signal never finds the process without a handler (Node's default, or tsx's, would exit at once).
 */
export class Interrupts {
  /** the signal that stopped the command, if any */
  signal: NodeJS.Signals | null = null;
  private at = 0;
  private installed = false;
  private readonly now: () => number;

  constructor(private readonly actions: InterruptActions) {
    this.now = actions.now ?? Date.now;
  }

  readonly handle = (signal: NodeJS.Signals): void => {
    if (this.signal === null) {
      this.signal = signal;
      this.at = this.now();
      this.actions.first(signal);
      return;
    }
    if (this.now() - this.at < SECOND_SIGNAL_MS) return;
    this.actions.second(signal);
  };

  install(): this {
    if (!this.installed) {
      process.on('SIGINT', this.handle);
      process.on('SIGTERM', this.handle);
      this.installed = true;
    }
    return this;
  }

  remove(): void {
    if (!this.installed) return;
    process.off('SIGINT', this.handle);
    process.off('SIGTERM', this.handle);
    this.installed = false;
  }
}
