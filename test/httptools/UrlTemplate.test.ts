import { describe, expect, it } from 'vitest';
import { UrlTemplate, UrlTemplateError } from '../../src/httptools/index.js';

describe('UrlTemplate', () => {
  it('percent-encodes simple variables and keeps reserved characters in {+var}', () => {
    const template = new UrlTemplate('https://api.example.com/v1/files/{+path}/meta/{name}');
    expect(template.variables).toEqual(['path', 'name']);
    expect(template.pathTemplate).toBe('/v1/files/{+path}/meta/{name}');
    const { url, redacted } = template.expand({ path: 'a/b c', name: 'x/y?z' });
    expect(url).toBe('https://api.example.com/v1/files/a/b%20c/meta/x%2Fy%3Fz');
    expect(redacted).toBe('https://api.example.com/v1/files/REDACTED/meta/REDACTED');
  });

  it('joins arrays with commas and accepts numbers and booleans', () => {
    const template = new UrlTemplate('http://h/items/{ids}/{flag}/{n}');
    expect(template.expand({ ids: ['a', 'b'], flag: true, n: 3 }).url).toBe('http://h/items/a%2Cb/true/3');
  });

  it('refuses arguments in the scheme, host or port (no SSRF through arguments)', () => {
    expect(() => new UrlTemplate('https://{host}/x')).toThrow(UrlTemplateError);
    expect(() => new UrlTemplate('https://api.example.com:{port}/x')).toThrow(UrlTemplateError);
    expect(() => new UrlTemplate('{scheme}://h/x')).toThrow(UrlTemplateError);
  });

  it('refuses unbalanced braces and non-http URLs', () => {
    expect(() => new UrlTemplate('https://h/{oops')).toThrow(/placeholder/);
    expect(() => new UrlTemplate('ftp://h/x')).toThrow(/http/);
    expect(() => new UrlTemplate('/relative/{x}')).toThrow(/absolute/);
  });

  it('names a missing or unusable argument, and refuses dot segments', () => {
    const template = new UrlTemplate('https://h/users/{id}');
    expect(() => template.expand({})).toThrow('argument "id" is needed to build the URL');
    expect(() => template.expand({ id: { a: 1 } })).toThrow(/must be a string, number or boolean/);
    expect(() => template.expand({ id: '..' })).toThrow('argument "id" may not be ".."');
  });
});
