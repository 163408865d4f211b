import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY_VALUE, securityHeaders } from './security-headers.ts';

describe('securityHeaders', () => {
  it("writes the same Content-Security-Policy as hono's secureHeaders, where there is no Node response to set it on", async () => {
    const app = new Hono().use('*', securityHeaders()).get('/', (c) => c.json({ ok: true }));
    const res = await app.request('/');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY_VALUE);
    expect(CONTENT_SECURITY_POLICY_VALUE).toMatch(/^default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; .*frame-ancestors 'none'$/);
  });
});
