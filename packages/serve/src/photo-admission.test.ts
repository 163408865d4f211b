import { afterEach, describe, expect, it, vi } from 'vitest';
import { PhotoAdmission } from './photo-admission.ts';

describe('photo admission', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes as many uploads as its capacity, and a released place is free again (once, however often it is released)', () => {
    const admission = new PhotoAdmission(2);
    const a = admission.admit();
    expect(admission.full).toBe(false);
    const b = admission.admit();
    expect([admission.full, admission.admitted]).toEqual([true, 2]);
    a();
    a();
    expect([admission.full, admission.admitted]).toEqual([false, 1]);
    b();
    expect(admission.admitted).toBe(0);
  });

  it('gives a slow upload place back after holdMs, so that slow uploads cannot keep others out', () => {
    vi.useFakeTimers();
    const admission = new PhotoAdmission(1, 2000);
    const slow = admission.admit();
    vi.advanceTimersByTime(1999);
    expect(admission.full).toBe(true);
    vi.advanceTimersByTime(1);
    expect(admission.full).toBe(false);
    // Its request ending later does not free a place twice.
    const next = admission.admit();
    slow();
    expect(admission.full).toBe(true);
    next();
    expect(admission.admitted).toBe(0);
  });
});
