/**
 * A budget of request-body bytes the event loop reads per turn, shared by
 * every large upload. libuv (1.45+) accepts one new connection per
 * event-loop turn (libuv PR #3696), so under a burst of connections the
 * accept rate is the turn rate, and a turn that copies megabytes of upload
 * bodies (up to 2 MB per readable socket) keeps every new connection,
 * /healthz included, waiting in the kernel's accept queue. An upload that
 * has spent this turn's budget pauses and resumes on the next turn.
 */
export class BodyPacer {
  private spent = 0;
  private waiting: (() => void)[] = [];
  private scheduled = false;

  constructor(readonly bytesPerTurn: number) {}

  /** Counts `bytes` read now; false when this turn's budget is spent (the reader should pause and call `next`). */
  take(bytes: number): boolean {
    this.spent += bytes;
    this.schedule();
    return this.spent < this.bytesPerTurn;
  }

  /** Calls `resume` on the next turn, when the budget is fresh. */
  next(resume: () => void): void {
    this.waiting.push(resume);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate runs in the check phase, once per turn, after the poll phase has read the sockets.
    setImmediate(() => {
      this.scheduled = false;
      this.spent = 0;
      const waiting = this.waiting;
      this.waiting = [];
      for (const resume of waiting) resume();
    });
  }
}
