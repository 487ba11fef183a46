import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkRequest, TOKEN_COOKIE, tokenLogin } from '../../src/gateway/index.js';

function request(headers: Record<string, string>, method = 'GET'): IncomingMessage {
  return { headers: { host: '127.0.0.1:8765', ...headers }, method } as unknown as IncomingMessage;
}

const policy = { allowedHosts: [], allowedOrigins: [], token: 'correct-horse-battery' };

describe('HTTP security checks', () => {
  it('accepts the token as a bearer header or as the dashboard cookie, and nothing else', () => {
    expect(checkRequest(request({ authorization: 'Bearer correct-horse-battery' }), policy)).toBeUndefined();
    expect(
      checkRequest(request({ cookie: `other=1; ${TOKEN_COOKIE}=correct-horse-battery` }), policy),
    ).toBeUndefined();
    expect(checkRequest(request({ cookie: `${TOKEN_COOKIE}=wrong` }), policy)?.status).toBe(401);
    expect(checkRequest(request({}), policy)?.status).toBe(401);
  });

  it('still refuses a foreign Origin even with the right cookie', () => {
    const refusal = checkRequest(
      request({ origin: 'http://evil.example.com', cookie: `${TOKEN_COOKIE}=correct-horse-battery` }),
      policy,
    );
    expect(refusal?.status).toBe(403);
  });

  it('turns /?token=… into an HttpOnly SameSite=Strict cookie and a redirect without the token', () => {
    const login = tokenLogin(
      request({}),
      new URL('http://127.0.0.1:8765/?token=correct-horse-battery&x=1'),
      policy.token,
    );
    expect(login?.['set-cookie']).toBe(
      `${TOKEN_COOKIE}=correct-horse-battery; HttpOnly; SameSite=Strict; Path=/`,
    );
    expect(login?.location).toBe('/?x=1');
    expect(
      tokenLogin(request({}), new URL('http://127.0.0.1:8765/?token=nope'), policy.token),
    ).toBeUndefined();
    expect(
      tokenLogin(
        request({}, 'POST'),
        new URL('http://127.0.0.1:8765/?token=correct-horse-battery'),
        policy.token,
      ),
    ).toBeUndefined();
  });
});
