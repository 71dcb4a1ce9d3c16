/**
 * The polling both the model holder and the model catalog do: one check in flight at a time, a
 * timer that starts the next check a fixed interval after the last one ended, and a stop that
 * waits for the check in flight.
 *
 * @module
 */

/** Runs a check on demand or every `intervalMs`, never two at once. */
export class Poller {
  readonly #check: () => Promise<boolean>;
  readonly #intervalMs: number;
  #running: Promise<boolean> | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;

  /**
   * @param check the check; resolves `true` when it changed something
   * @param intervalMs the pause between the end of one timed check and the start of the next
   */
  constructor(check: () => Promise<boolean>, intervalMs: number) {
    this.#check = check;
    this.#intervalMs = intervalMs;
  }

  /** Whether {@link stop} was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Runs the check now, or joins the one in flight.
   *
   * @returns what the check resolved
   */
  run(): Promise<boolean> {
    this.#running ??= this.#check().finally(() => (this.#running = null));
    return this.#running;
  }

  /** Starts the timer; does nothing once started or stopped. */
  start(): void {
    if (this.#timer !== null || this.#stopped) return;
    const tick = async () => {
      await this.run();
      if (!this.#stopped) this.#timer = setTimeout(tick, this.#intervalMs);
    };
    this.#timer = setTimeout(tick, this.#intervalMs);
  }

  /** Stops the timer and waits for the check in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
