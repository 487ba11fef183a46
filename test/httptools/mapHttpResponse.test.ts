import { describe, expect, it } from 'vitest';
import { type HttpAnswer, mapHttpResponse } from '../../src/httptools/index.js';

const none = { mode: 'auto' as const, redact: (text: string) => text };

function answer(
  status: number,
  contentType: string,
  body: string | Uint8Array,
  truncated = false,
): HttpAnswer {
  return {
    status,
    statusText: status === 200 ? 'OK' : status === 500 ? 'Internal Server Error' : '',
    contentType,
    body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
    truncated,
  };
}

describe('mapHttpResponse', () => {
  it('a JSON object becomes structuredContent plus its text', () => {
    const result = mapHttpResponse(answer(200, 'application/json; charset=utf-8', '{"temp":21}'), none);
    expect(result).toEqual({
      content: [{ type: 'text', text: '{"temp":21}' }],
      structuredContent: { temp: 21 },
    });
  });

  it('JSON that is not an object is text only; +json types count as JSON', () => {
    expect(mapHttpResponse(answer(200, 'application/vnd.x+json', '[1,2]'), none)).toEqual({
      content: [{ type: 'text', text: '[1,2]' }],
    });
  });

  it('text stays text; a cut text says where it was cut', () => {
    expect(mapHttpResponse(answer(200, 'text/plain', 'hello'), none)).toEqual({
      content: [{ type: 'text', text: 'hello' }],
    });
    const cut = mapHttpResponse(answer(200, 'text/plain', 'hell', true), none);
    expect(cut.content).toEqual([{ type: 'text', text: 'hell\n[answer cut at 4 bytes]' }]);
  });

  it('non-2xx is an isError result with the status and a short collapsed excerpt', () => {
    const body = `oops\n\n  ${'x'.repeat(500)}`;
    const result = mapHttpResponse(answer(500, 'text/html', body), none);
    expect(result.isError).toBe(true);
    const text = ((result.content ?? [])[0] as { text: string }).text;
    expect(text.startsWith('HTTP 500 Internal Server Error: oops xxx')).toBe(true);
    expect(text.length).toBeLessThan(360);
  });

  it('secrets in the answer are redacted, in errors and results alike', () => {
    const redact = (text: string) => text.split('s3cret').join('${env:KEY}');
    const error = mapHttpResponse(answer(401, 'text/plain', 'bad key s3cret'), { mode: 'auto', redact });
    expect(JSON.stringify(error)).not.toContain('s3cret');
    const ok = mapHttpResponse(answer(200, 'application/json', '{"echo":"s3cret"}'), {
      mode: 'auto',
      redact,
    });
    expect(ok.structuredContent).toEqual({ echo: '${env:KEY}' });
  });

  it('invalid or cut JSON is an error result; json mode parses whatever the content type', () => {
    expect(mapHttpResponse(answer(200, 'application/json', '{bad'), none).isError).toBe(true);
    expect(mapHttpResponse(answer(200, 'application/json', '{"a":', true), none).isError).toBe(true);
    expect(
      mapHttpResponse(answer(200, 'text/plain', '{"a":1}'), { ...none, mode: 'json' }).structuredContent,
    ).toEqual({
      a: 1,
    });
    expect(mapHttpResponse(answer(200, 'application/json', '{"a":1}'), { ...none, mode: 'text' })).toEqual({
      content: [{ type: 'text', text: '{"a":1}' }],
    });
  });

  it('images become image content; an empty 204 says so', () => {
    const png = mapHttpResponse(answer(200, 'image/png', new Uint8Array([1, 2, 3])), none);
    expect(png.content).toEqual([{ type: 'image', data: 'AQID', mimeType: 'image/png' }]);
    expect(mapHttpResponse({ ...answer(204, '', ''), statusText: 'No Content' }, none)).toEqual({
      content: [{ type: 'text', text: 'HTTP 204 No Content' }],
    });
  });
});
