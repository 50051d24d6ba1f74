/**
 * Holds one activity of the worker until the test releases it, so the test can act while the order
 * is in that step (closing, or recording the payment). The activity itself is the real one.
 */
export class Gate {
  private open!: () => void;
  private readonly opened = new Promise<void>((resolve) => (this.open = resolve));
  private reached!: () => void;
  /** Resolves once the held activity has started. */
  readonly entered = new Promise<void>((resolve) => (this.reached = resolve));

  wrap<A extends unknown[], R>(activity: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args: A) => {
      this.reached();
      await this.opened;
      return activity(...args);
    };
  }

  release(): void {
    this.open();
  }
}

/** Runs `body`, then opens the gate whatever happened: a failed test must not leave the worker waiting at it. */
export function thenRelease(gate: Gate, body: () => Promise<void>): () => Promise<void> {
  return async () => {
    try {
      await body();
    } finally {
      gate.release();
    }
  };
}

