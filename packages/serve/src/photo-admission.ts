/**
 * How many photo uploads may be read at once: as many as the decode queue
 * can take (its threads plus its waiting places). The decode queue only
 * counts a photo once its body has been read, so without this, a burst of
 * uploads that arrive together (300 connections at the start of an attack,
 * or reconnecting at once after their 503s) all found the queue empty, all
 * had their bodies read (hundreds of megabytes through the event loop), and
 * all but a few were then refused: every other client waited behind that.
 * Now the uploads beyond the queue's size are refused before their bodies are
 * read. An upload holds its place until its request ends, or for `holdMs` at
 * most: a slow upload (a 10 MB photo over a phone's uplink) must not keep
 * others out for its whole transfer, and once read it is counted by the
 * decode queue itself.
 */
export class PhotoAdmission {
  private held = 0;

  constructor(
    readonly capacity: number,
    readonly holdMs = DEFAULT_HOLD_MS,
  ) {}

  /** Uploads holding a place. */
  get admitted(): number {
    return this.held;
  }

  /** True when the next upload would find no place. */
  get full(): boolean {
    return this.held >= this.capacity;
  }

  /** Takes a place; the returned function gives it back (once, however often it is called). */
  admit(): () => void {
    this.held++;
    let done = false;
    const release = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.held--;
    };
    const timer = setTimeout(release, this.holdMs);
    timer.unref();
    return release;
  }
}

/** Long enough for a photo to cross loopback or a LAN, much shorter than a slow upload. */
export const DEFAULT_HOLD_MS = 2000;
