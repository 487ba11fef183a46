import { describe, expect, it } from 'vitest';
import {
  buildHttpRequest,
  compileHttpTools,
  HttpArgumentError,
  type HttpToolSpec,
  httpToolServiceSchema,
} from '../../src/httptools/index.js';

function spec(tool: Record<string, unknown>, service: Record<string, unknown> = {}): HttpToolSpec {
  const config = httpToolServiceSchema.parse({
    baseUrl: 'https://api.example.com/v1',
    ...service,
    tools: { t: tool },
  });
  return compileHttpTools('svc', config)[0] as HttpToolSpec;
}

describe('buildHttpRequest', () => {
  it('GET: URL variables into the path, every other argument into the query', () => {
    const plan = buildHttpRequest(
      spec({ url: '/forecast/{city}' }),
      { city: 'New York', days: 3, tags: ['a', 'b'] },
      'ua',
    );
    expect(plan.method).toBe('GET');
    expect(plan.url).toBe('https://api.example.com/v1/forecast/New%20York?days=3&tags=a&tags=b');
    expect(plan.redactedUrl).toBe(
      'https://api.example.com/v1/forecast/REDACTED?days=REDACTED&tags=REDACTED&tags=REDACTED',
    );
    expect(plan.body).toBeUndefined();
    expect(plan.headers['user-agent']).toBe('ua');
  });

  it('an explicit query mapping: templates, constants, and absent arguments left out', () => {
    const tool = spec({
      url: '/search',
      query: { q: '{term}', units: 'metric', lang: '{language}', label: 'page {page}' },
    });
    expect(buildHttpRequest(tool, { term: 'rain', page: 2 }, 'ua').url).toBe(
      'https://api.example.com/v1/search?q=rain&units=metric&label=page+2',
    );
  });

  it('redacts literal query values of the template too (they may be keys)', () => {
    const tool = spec({ url: 'https://other.example.com/x?key=abc123' });
    const plan = buildHttpRequest(tool, {}, 'ua');
    expect(plan.url).toBe('https://other.example.com/x?key=abc123');
    expect(plan.redactedUrl).toBe('https://other.example.com/x?key=REDACTED');
  });

  it('POST: the arguments the URL does not use become the JSON body', () => {
    const plan = buildHttpRequest(
      spec({ method: 'POST', url: '/users/{id}/notes' }),
      { id: 7, text: 'hi', tags: ['x'] },
      'ua',
    );
    expect(plan.url).toBe('https://api.example.com/v1/users/7/notes');
    expect(JSON.parse(plan.body as string)).toEqual({ text: 'hi', tags: ['x'] });
    expect(plan.headers['content-type']).toBe('application/json');
  });

  it('a body template keeps argument types and drops absent ones', () => {
    const plan = buildHttpRequest(
      spec({
        method: 'PUT',
        url: '/items/{id}',
        body: { item: { count: '{count}', note: 'by {who}', missing: '{nope}' }, fixed: true },
      }),
      { id: 'a', count: 5, who: 'me' },
      'ua',
    );
    expect(JSON.parse(plan.body as string)).toEqual({ item: { count: 5, note: 'by me' }, fixed: true });
  });

  it('form encoding, and configured headers (lower-cased, tool over service)', () => {
    const plan = buildHttpRequest(
      spec(
        {
          method: 'POST',
          url: '/token',
          bodyEncoding: 'form',
          headers: { 'X-Tool': 'b', Accept: 'text/plain' },
        },
        { headers: { 'X-Service': 'a', 'X-Tool': 'overridden' } },
      ),
      { grant: 'client credentials', scopes: ['r', 'w'] },
      'ua',
    );
    expect(plan.body).toBe('grant=client+credentials&scopes=r&scopes=w');
    expect(plan.headers).toMatchObject({
      'x-service': 'a',
      'x-tool': 'b',
      accept: 'text/plain',
      'content-type': 'application/x-www-form-urlencoded',
    });
  });

  it('a missing URL argument is an argument error naming it', () => {
    expect(() => buildHttpRequest(spec({ url: '/users/{id}' }), {}, 'ua')).toThrow(HttpArgumentError);
  });

  it('defaults: GET/HEAD read-only and idempotent, POST neither; input schema from URL variables', () => {
    const get = spec({ url: '/users/{id}' });
    expect(get.definition.annotations).toMatchObject({ readOnlyHint: true, idempotentHint: true });
    expect(get.definition.inputSchema).toEqual({
      type: 'object',
      properties: { id: { type: 'string' } },
      required: ['id'],
    });
    expect(get.definition.description).toBe('GET https://api.example.com/v1/users/{id}');
    const post = spec({ method: 'POST', url: '/x', annotations: { idempotentHint: true } });
    expect(post.definition.annotations).toMatchObject({ readOnlyHint: false, idempotentHint: true });
  });
});
