// One pass at a time over state that may change while a pass runs (the certificate Secret, the
// webhook configurations): a call made during a pass is not lost and not run alongside, it makes
// one more pass after this one, however many calls came, and every caller shares the promise.

export class CoalescedPasses {
  readonly #pass: () => Promise<boolean>;
  #running: Promise<void> | undefined;
  #again = false;

  /** `pass` returns false to end the run even if calls came meanwhile; a throw ends it too and rejects it. */
  constructor(pass: () => Promise<boolean>) {
    this.#pass = pass;
  }

  run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          if (!(await this.#pass())) return;
        } while (this.#again);
      } finally {
        // Cleared in the same synchronous step as the last look at #again, so no call is lost.
        this.#running = undefined;
      }
    })();
    return this.#running;
  }
}
