import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { SecretRedactor, secretsOf } from '../../src/httptools/index.js';

describe('SecretRedactor', () => {
  it('replaces each known value by its reference, longest first, and ignores tiny values', () => {
    const redactor = new SecretRedactor([
      { value: 'abcd1234', label: '${env:KEY}' },
      { value: 'abcd1234-extra', label: '[REDACTED]' },
      { value: '1', label: 'nope' },
    ]);
    expect(redactor.redact('k=abcd1234-extra, k2=abcd1234, n=1')).toBe('k=[REDACTED], k2=${env:KEY}, n=1');
    expect(redactor.leaks('abcd1234')).toBe(true);
    expect(redactor.size).toBe(2);
  });

  it('knows the token inside "Bearer <token>" headers', () => {
    const redactor = new SecretRedactor([{ value: 'Bearer tok-999', label: '[REDACTED]' }]);
    expect(redactor.redact('echo: tok-999')).toBe('echo: [REDACTED]');
  });

  it("takes a service's secrets from its headers and its ${env:…} substitutions", () => {
    const config = parseConfig(
      {
        mcpServers: {},
        toolscope: {
          httpTools: {
            weather: {
              baseUrl: 'https://api.example.com',
              headers: { Authorization: 'Bearer ${env:WEATHER_TOKEN}', 'X-Static': 'literal-value' },
              tools: { now: { url: '/now', query: { appid: '${env:WEATHER_APPID}' } } },
            },
          },
        },
      },
      { env: { WEATHER_TOKEN: 'tok-abcdef', WEATHER_APPID: 'appid-123456' } },
    );
    const service = config.toolscope.httpTools.weather;
    if (!service) throw new Error('missing service');
    const redactor = new SecretRedactor(secretsOf('weather', service, config.envReferences ?? []));
    expect(redactor.redact('Bearer tok-abcdef appid-123456 literal-value')).toBe(
      'Bearer ${env:WEATHER_TOKEN} ${env:WEATHER_APPID} [REDACTED]',
    );
  });
});
