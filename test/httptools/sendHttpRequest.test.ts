import { describe, expect, it } from 'vitest';
import { type HttpRequestPlan, isTimeout, sendHttpRequest } from '../../src/httptools/index.js';

const plan: HttpRequestPlan = {
  method: 'POST',
  url: 'https://api.example.com/a',
  redactedUrl: 'https://api.example.com/a',
  headers: { 'x-api-key': 'k' },
  body: '{"x":1}',
};

function stubFetch(
  answers: Record<string, () => Response>,
  seen: Array<{ url: string; method: string; body: unknown }>,
) {
  return (async (url: string, init: RequestInit) => {
    seen.push({ url, method: String(init.method), body: init.body });
    const answer = answers[url];
    if (!answer) throw new Error(`unexpected ${url}`);
    return answer();
  }) as unknown as typeof fetch;
}

const options = { signal: new AbortController().signal, timeoutMs: undefined, maxResponseBytes: 1024 };

describe('sendHttpRequest', () => {
  it('follows a same-origin redirect (a 303 turns a POST into a GET without body)', async () => {
    const seen: Array<{ url: string; method: string; body: unknown }> = [];
    const fetch = stubFetch(
      {
        'https://api.example.com/a': () => new Response(null, { status: 303, headers: { location: '/b' } }),
        'https://api.example.com/b': () =>
          new Response('done', { status: 200, headers: { 'content-type': 'text/plain' } }),
      },
      seen,
    );
    const answer = await sendHttpRequest(plan, { ...options, fetch });
    expect(answer).toMatchObject({ status: 200, contentType: 'text/plain', truncated: false });
    expect(new TextDecoder().decode(answer.body)).toBe('done');
    expect(seen.map((s) => `${s.method} ${s.url} ${String(s.body)}`)).toEqual([
      'POST https://api.example.com/a {"x":1}',
      'GET https://api.example.com/b undefined',
    ]);
  });

  it('does not follow a redirect to another origin (the headers would go with it)', async () => {
    const seen: Array<{ url: string; method: string; body: unknown }> = [];
    const fetch = stubFetch(
      {
        'https://api.example.com/a': () =>
          new Response(null, { status: 302, headers: { location: 'https://evil.example/' } }),
      },
      seen,
    );
    expect((await sendHttpRequest(plan, { ...options, fetch })).status).toBe(302);
    expect(seen).toHaveLength(1);
  });

  it('reads at most maxResponseBytes and says the answer was cut', async () => {
    const fetch = stubFetch({ 'https://api.example.com/a': () => new Response('x'.repeat(5000)) }, []);
    const answer = await sendHttpRequest(plan, { ...options, fetch, maxResponseBytes: 100 });
    expect(answer.body.length).toBe(100);
    expect(answer.truncated).toBe(true);
  });

  it('fails with a recognisable timeout when the API does not answer in time', async () => {
    const hang = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as unknown as typeof fetch;
    const error = await sendHttpRequest(plan, { ...options, fetch: hang, timeoutMs: 20 }).catch(
      (e: unknown) => e,
    );
    expect(isTimeout(error)).toBe(true);
  });

  it("passes the attempt's own abort reason on", async () => {
    const controller = new AbortController();
    const hang = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      })) as unknown as typeof fetch;
    const reason = new Error('cancelled by the guard');
    const pending = sendHttpRequest(plan, { ...options, fetch: hang, signal: controller.signal });
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});
