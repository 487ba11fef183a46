import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURE, startHttpGateway, writeConfig } from '../e2e/helpers.js';
import {
  type HttpAnswer,
  openHttpSession,
  postRaw,
  RawStdio,
  type Received,
} from '../fixtures/hardening/badinput/rawMcp.js';

// Issue 10, check 5: whatever bytes a client sends, toolscope answers with the precise
// JSON-RPC error, never crashes, never hangs, and keeps serving the same session.

// Above the 200 kB deep-nesting frames, far below the 4 MiB default (keeps the 413 test quick).
const MAX_BODY = 256 * 1024;

/** A frame the spec says how to answer, and what the answer must be. */
interface BadFrame {
  name: string;
  frame: string;
  code: number;
  /** The id the error must carry (null when the request's id could not be read). */
  id: string | null;
}

const BAD_FRAMES: BadFrame[] = [
  { name: 'invalid JSON', frame: '{"jsonrpc":"2.0","id":"x","method":', code: -32700, id: null },
  { name: 'not JSON at all', frame: '<html>hello</html>', code: -32700, id: null },
  { name: 'null', frame: 'null', code: -32600, id: null },
  { name: 'a number', frame: '42', code: -32600, id: null },
  { name: 'an object that is no message', frame: '{"foo":1}', code: -32600, id: null },
  { name: 'a batch (not allowed since 2025-06-18)', frame: '[]', code: -32600, id: null },
  {
    name: 'a request with id null',
    frame: '{"jsonrpc":"2.0","id":null,"method":"tools/list"}',
    code: -32600,
    id: null,
  },
  {
    name: 'a request with a fractional id',
    frame: '{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}',
    code: -32600,
    id: null,
  },
  { name: 'jsonrpc "1.0"', frame: '{"jsonrpc":"1.0","id":"v1","method":"ping"}', code: -32600, id: 'v1' },
  {
    name: 'params that are not an object',
    frame: '{"jsonrpc":"2.0","id":"p1","method":"tools/list","params":[1,2]}',
    code: -32600,
    id: 'p1',
  },
  // A relayed request with a malformed _meta used to be dropped by the SDK-built server
  // behind the proxy, leaving the caller waiting forever.
  {
    name: 'a non-object _meta',
    frame: '{"jsonrpc":"2.0","id":"meta1","method":"tools/call","params":{"name":"echo","_meta":5}}',
    code: -32600,
    id: 'meta1',
  },
  {
    name: 'a boolean progress token',
    frame:
      '{"jsonrpc":"2.0","id":"meta2","method":"logging/setLevel","params":{"level":"debug","_meta":{"progressToken":true}}}',
    code: -32600,
    id: 'meta2',
  },
  {
    name: 'an unknown method',
    frame: '{"jsonrpc":"2.0","id":"m1","method":"tools/frobnicate"}',
    code: -32601,
    id: 'm1',
  },
];

/** An unknown tool and bad arguments, per naming (the gateway prefixes names, the proxy keeps them). */
function toolFrames(prefix: string) {
  return {
    unknownTool: JSON.stringify({
      jsonrpc: '2.0',
      id: 't1',
      method: 'tools/call',
      params: { name: `${prefix}ecoh`, arguments: { message: 'x' } },
    }),
    badArguments: JSON.stringify({
      jsonrpc: '2.0',
      id: 'a1',
      method: 'tools/call',
      params: { name: `${prefix}add`, arguments: { a: 'one' } },
    }),
    good: (id: string) =>
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: `${prefix}echo`, arguments: { message: `still here ${id}` } },
      }),
  };
}

/** Requests whose params nest 100,000 arrays deep (200 kB: under every size limit). */
function deepFrames(prefix: string): string[] {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  return [
    `{"jsonrpc":"2.0","id":"deep-0","method":"ping","params":{"x":${deep}}}`,
    `{"jsonrpc":"2.0","id":"deep-1","method":"tools/call","params":{"name":"${prefix}echo","arguments":{"message":${deep}}}}`,
    `{"jsonrpc":"2.0","id":"deep-2","method":"tools/call","params":{"name":"${prefix}echo","arguments":{"message":"hi","extra":${deep}}}}`,
  ];
}

function textOf(result: Record<string, unknown> | undefined): string {
  const content = (result?.content ?? []) as Array<{ type: string; text?: string }>;
  return content.map((item) => item.text ?? '').join('\n');
}

function expectGoodEcho(message: Received | undefined, id: string): void {
  expect(message?.error).toBeUndefined();
  expect(textOf(message?.result)).toBe(`still here ${id}`);
}

/** The unknown-tool and bad-arguments answers every front must give (same pipeline everywhere). */
function expectToolErrors(unknown: Received | undefined, bad: Received | undefined, prefix: string): void {
  expect(unknown?.error?.code).toBe(-32602);
  expect(unknown?.error?.message).toContain(`${prefix}echo`);
  // SEP-1303: input validation failures are tool results the model can read and fix.
  expect(bad?.error).toBeUndefined();
  expect(bad?.result?.isError).toBe(true);
  expect(textOf(bad?.result)).toContain('a: must be number (got string)');
  expect(textOf(bad?.result)).toContain('b: is required');
}

/** An HTTP error must be a JSON-RPC error object served as JSON, never an HTML page. */
function expectJsonError(answer: HttpAnswer, status: number, code?: number): void {
  expect({ status: answer.status, type: answer.type }).toEqual({
    status,
    type: expect.stringContaining('application/json'),
  });
  const body = JSON.parse(answer.body) as Received;
  expect(body.jsonrpc).toBe('2.0');
  expect(typeof body.error?.code).toBe('number');
  expect(typeof body.error?.message).toBe('string');
  if (code !== undefined) expect(body.error?.code).toBe(code);
}

// ---- the fuzz model ---------------------------------------------------------------

const METHODS = [
  'ping',
  'initialize',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'completion/complete',
  'logging/setLevel',
  'tasks/get',
  'tasks/list',
  'sampling/createMessage',
  'notifications/initialized',
  'notifications/progress',
  'notifications/roots/list_changed',
];
// Tools the fuzzer may name: never `crash` (it exits the fixture on purpose).
const TOOL_NAMES = ['fixture_echo', 'fixture_add', 'echo', 'add', 'fail', 'fixture_fail', 'whoami'];

const noNewline = (text: string) => text.replace(/[\r\n]/g, ' ');

const idArb = fc.oneof(
  fc.integer(),
  fc.string({ maxLength: 12 }),
  fc.constant(null),
  fc.double(),
  fc.boolean(),
  fc.constantFrom(2 ** 53 + 2, -1e21, 1e300),
);
const methodArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...METHODS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) },
);
const paramsArb = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.record(
    {
      name: fc.oneof(fc.constantFrom(...TOOL_NAMES), fc.string({ maxLength: 10 })),
      arguments: fc.oneof(
        fc.record({ message: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] }),
        fc.jsonValue({ maxDepth: 3 }),
      ),
      uri: fc.string({ maxLength: 20 }),
      level: fc.constantFrom('debug', 'bogus'),
      _meta: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: [] },
  ),
);
const messageArb = fc.record(
  {
    jsonrpc: fc.oneof({ weight: 8, arbitrary: fc.constant('2.0') }, fc.jsonValue({ maxDepth: 1 })),
    id: idArb,
    method: methodArb,
    params: paramsArb,
    result: fc.jsonValue({ maxDepth: 2 }),
    error: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);
const HUGE_NUMBERS = [
  '1e400',
  '-1e400',
  '123456789012345678901234567890',
  '1e-400',
  '-0',
  '0.0',
  '9007199254740993',
];

/** One line of bytes a client might send: messages, bare JSON, truncations, huge numbers, deep nesting, noise. */
const frameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: messageArb.map((message) => JSON.stringify(message)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value) ?? 'null') },
  {
    weight: 2,
    arbitrary: fc.tuple(messageArb, fc.nat()).map(([message, cut]) => {
      const text = JSON.stringify(message);
      return text.slice(0, Math.max(1, cut % text.length));
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...HUGE_NUMBERS), fc.constantFrom('id', 'params'))
      .map(([number, where]) =>
        where === 'id'
          ? `{"jsonrpc":"2.0","id":${number},"method":"ping"}`
          : `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"fixture_add","arguments":{"a":${number},"b":${number}}}}`,
      ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean())
      .map(
        ([depth, asArguments]) =>
          `{"jsonrpc":"2.0","id":"deep","method":"${asArguments ? 'tools/call' : 'ping'}","params":{"name":"fixture_echo","arguments":{"message":${'['.repeat(depth)}${']'.repeat(depth)}}}}`,
      ),
  },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 40 }).map(noNewline) },
);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The test's own reading of JSON-RPC 2.0 as MCP uses it (independent of src/jsonrpc):
 * 'parse' for bytes that are not JSON, 'invalid' for JSON that is no message,
 * 'request' / 'notification' / 'response' otherwise.
 */
type FrameKind = 'parse' | 'invalid' | 'request' | 'notification' | 'response' | 'bad-response';

const isId = (id: unknown) => typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id));

/** MCP: `params._meta` is an object, its `progressToken` a string or a number. */
function metaOk(params: unknown): boolean {
  if (!isPlainObject(params) || params._meta === undefined) return true;
  const meta = params._meta;
  if (!isPlainObject(meta)) return false;
  const token = meta.progressToken;
  return token === undefined || typeof token === 'string' || typeof token === 'number';
}

function kindOf(frame: string): FrameKind {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return 'parse';
  }
  if (!isPlainObject(value)) return 'invalid';
  if ('method' in value) {
    const wellFormed =
      value.jsonrpc === '2.0' &&
      typeof value.method === 'string' &&
      value.method.length > 0 &&
      (value.params === undefined || isPlainObject(value.params)) &&
      metaOk(value.params);
    if (!wellFormed) return 'invalid';
    if (!('id' in value)) return 'notification';
    return isId(value.id) ? 'request' : 'invalid';
  }
  if ('result' in value)
    return value.jsonrpc === '2.0' && isId(value.id) && isPlainObject(value.result)
      ? 'response'
      : 'bad-response';
  if ('error' in value) {
    const { error, id } = value;
    const wellFormed =
      value.jsonrpc === '2.0' &&
      isPlainObject(error) &&
      typeof error.code === 'number' &&
      typeof error.message === 'string' &&
      (id === null || id === undefined || isId(id));
    return wellFormed ? 'response' : 'bad-response';
  }
  return 'invalid';
}

const isSafeId = (id: unknown) => typeof id === 'string' || Number.isSafeInteger(id);

function metaStrictOk(holder: unknown): boolean {
  if (!isPlainObject(holder) || holder._meta === undefined) return true;
  const meta = holder._meta;
  if (!isPlainObject(meta)) return false;
  return meta.progressToken === undefined || isSafeId(meta.progressToken);
}

/**
 * The MCP SDK's HTTP transport, which the gateway's HTTP front hands messages to, is
 * stricter than JSON-RPC: ids, progress tokens and error codes must be safe integers
 * (or strings), a result's `_meta` an object. Over HTTP such a message is refused
 * with -32600 (stdio takes it).
 */
function sdkAccepts(frame: string): boolean {
  const value = JSON.parse(frame) as Record<string, unknown>;
  if (value.id !== undefined && value.id !== null && !isSafeId(value.id)) return false;
  if (!metaStrictOk(value.params) || !metaStrictOk(value.result)) return false;
  const error = value.error as Record<string, unknown> | undefined;
  return !('error' in value) || 'method' in value || Number.isSafeInteger(error?.code);
}

/**
 * Over stdio every frame but notifications and responses gets exactly one answer:
 * a malformed response is dropped, not answered (answering could ping-pong between peers).
 */
const answered = (frame: string) => {
  const kind = kindOf(frame);
  return kind !== 'notification' && kind !== 'response' && kind !== 'bad-response';
};

// ---- HTTP ------------------------------------------------------------------------

describe('bad input over Streamable HTTP (/mcp)', () => {
  let gateway: Awaited<ReturnType<typeof startHttpGateway>>;
  let mcp: string;

  beforeAll(async () => {
    const config = await writeConfig({
      mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } },
      toolscope: { listen: { maxBodyBytes: MAX_BODY } },
    });
    gateway = await startHttpGateway(config);
    mcp = `${gateway.url}/mcp`;
  });

  afterAll(async () => {
    await gateway?.stop();
  });

  it('answers each bad frame with its JSON-RPC error, and the same session serves a good call after each', async () => {
    const session = await openHttpSession(mcp);
    const tools = toolFrames('fixture_');
    let n = 0;
    for (const bad of BAD_FRAMES) {
      const answer = await session.send(bad.frame);
      const message = answer.messages[0];
      expect({ frame: bad.name, code: message?.error?.code, id: message?.id }).toEqual({
        frame: bad.name,
        code: bad.code,
        id: bad.id,
      });
      if (answer.status >= 400) expectJsonError(answer, 400, bad.code);
      const id = `good-${++n}`;
      const good = await session.send(tools.good(id));
      expectGoodEcho(
        good.messages.find((m) => m.id === id),
        id,
      );
    }
    const unknown = (await session.send(tools.unknownTool)).messages.find((m) => m.id === 't1');
    const bad = (await session.send(tools.badArguments)).messages.find((m) => m.id === 'a1');
    expectToolErrors(unknown, bad, 'fixture_');
    const last = await session.send(tools.good('after-tools'));
    expectGoodEcho(last.messages[0], 'after-tools');
  });

  it('refuses an oversized body with 413 as JSON, declared or streamed, and the session goes on', async () => {
    const session = await openHttpSession(mcp);
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 'big',
      method: 'tools/call',
      params: { name: 'fixture_echo', arguments: { message: 'x'.repeat(MAX_BODY) } },
    });
    expectJsonError(await session.send(big), 413);
    // Without Content-Length (chunked): the limit still holds while the body streams in.
    const bytes = new TextEncoder().encode(big);
    const streamed = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let offset = 0; offset < bytes.length; offset += 8192)
          controller.enqueue(bytes.subarray(offset, offset + 8192));
        controller.close();
      },
    });
    const chunked = await fetch(mcp, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': session.sessionId,
      },
      body: streamed,
      duplex: 'half',
      signal: AbortSignal.timeout(10_000),
    } as RequestInit);
    const body = await chunked.text();
    expectJsonError(
      {
        status: chunked.status,
        type: chunked.headers.get('content-type') ?? '',
        body,
        headers: chunked.headers,
        messages: [],
      },
      413,
    );
    expectGoodEcho((await session.send(toolFrames('fixture_').good('after-413'))).messages[0], 'after-413');
  });

  it('answers every HTTP-level refusal as JSON, never an HTML page', async () => {
    const session = await openHttpSession(mcp);
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' });
    const inSession = { 'mcp-session-id': session.sessionId };
    const refusals: Array<[string, Promise<HttpAnswer>, number]> = [
      ['unknown path', postRaw(`${gateway.url}/nope`, ping), 404],
      ['unknown agent', postRaw(`${gateway.url}/agents/nobody/mcp`, ping), 404],
      ['no session id', postRaw(mcp, ping), 400],
      ['unknown session id', postRaw(mcp, ping, { 'mcp-session-id': 'no-such-session' }), 404],
      ['bad JSON', postRaw(mcp, '{', inSession), 400],
      ['foreign Origin', postRaw(mcp, ping, { ...inSession, origin: 'http://evil.example' }), 403],
      ['no Accept for SSE', postRaw(mcp, ping, { ...inSession, accept: 'application/json' }), 406],
      ['not JSON content', postRaw(mcp, ping, { ...inSession, 'content-type': 'text/plain' }), 415],
      [
        'unsupported protocol version',
        postRaw(mcp, ping, { ...inSession, 'mcp-protocol-version': '1999-01-01' }),
        400,
      ],
    ];
    for (const [name, pending, status] of refusals) {
      const answer = await pending;
      expect({ name, status: answer.status }).toEqual({ name, status });
      expectJsonError(answer, status);
    }
    const put = await fetch(mcp, { method: 'PUT', body: ping, signal: AbortSignal.timeout(10_000) });
    expect(put.status).toBe(405);
    expect(put.headers.get('content-type')).toContain('application/json');
    const get = await fetch(mcp, {
      headers: { accept: 'application/json', 'mcp-session-id': session.sessionId },
      signal: AbortSignal.timeout(10_000),
    });
    expect(get.status).toBe(406);
    expect(get.headers.get('content-type')).toContain('application/json');
    expect(JSON.parse(await get.text()).error.code).toBeTypeOf('number');
    expectGoodEcho(
      (await session.send(toolFrames('fixture_').good('after-refusals'))).messages[0],
      'after-refusals',
    );
  });

  it('answers deeply nested params (100,000 levels) without a 5xx or a crash', async () => {
    const session = await openHttpSession(mcp);
    for (const [n, frame] of deepFrames('fixture_').entries()) {
      const answer = await session.send(frame);
      expect(answer.status).toBeLessThan(500);
      const message = answer.messages.find((m) => m.id === `deep-${n}`);
      expect(message?.result !== undefined || message?.error !== undefined).toBe(true);
    }
    expect(gateway.child.exitCode).toBeNull();
    expectGoodEcho((await session.send(toolFrames('fixture_').good('after-deep'))).messages[0], 'after-deep');
  });

  it('fuzz: arbitrary frames never get a 5xx, an HTML page or no answer, and the session survives', async () => {
    const session = await openHttpSession(mcp);
    let frames = 0;
    await fc.assert(
      fc.asyncProperty(frameArb, async (frame) => {
        frames++;
        const answer = await session.send(frame, 10_000);
        const kind = kindOf(frame);
        expect(answer.status).toBeLessThan(500);
        if (answer.status >= 400) expectJsonError(answer, answer.status);
        if (kind === 'parse') expectJsonError(answer, 400, -32700);
        // Over HTTP each POST has its own answer, so a malformed response is refused too.
        if (kind === 'invalid' || kind === 'bad-response') expectJsonError(answer, 400, -32600);
        const accepted = kind === 'request' || kind === 'notification' || kind === 'response';
        if (accepted && !sdkAccepts(frame)) expectJsonError(answer, 400, -32600);
        else if (kind === 'notification' || kind === 'response') expect(answer.status).toBe(202);
        else if (kind === 'request') {
          expect(answer.status).toBe(200);
          const responses = answer.messages.filter((m) => m.method === undefined);
          expect(responses).toHaveLength(1);
          expect(responses[0]?.result !== undefined || responses[0]?.error !== undefined).toBe(true);
        }
      }),
      { numRuns: 150, seed: Number(process.env.FUZZ_SEED ?? 10_05), endOnFailure: true },
    );
    expect(frames).toBeGreaterThanOrEqual(150);
    expect(gateway.child.exitCode).toBeNull();
    expectGoodEcho((await session.send(toolFrames('fixture_').good('after-fuzz'))).messages[0], 'after-fuzz');
  });
});

// ---- stdio -----------------------------------------------------------------------

const STDIO_FRONTS = [
  {
    name: 'the gateway on stdio',
    prefix: 'fixture_',
    start: async () => {
      const config = await writeConfig({
        mcpServers: { fixture: { command: process.execPath, args: [FIXTURE] } },
      });
      return new RawStdio(process.execPath, [CLI, 'gateway', '--config', config]);
    },
  },
  {
    name: 'toolscope proxy -- <server>',
    prefix: '',
    start: async () => new RawStdio(process.execPath, [CLI, 'proxy', '--', process.execPath, FIXTURE]),
  },
];

describe.each(STDIO_FRONTS)('bad input over stdio: $name', ({ prefix, start }) => {
  let raw: RawStdio;

  beforeAll(async () => {
    raw = await start();
    const init = await raw.initialize();
    expect(init.result?.protocolVersion).toBeTypeOf('string');
  });

  afterAll(async () => {
    await raw?.stop();
  });

  it('sends nothing before the initialize response (MCP lifecycle)', () => {
    expect(raw.messages[0]?.id).toBe('init');
  });

  it('answers each bad frame with its JSON-RPC error, and the same process serves a good call after each', async () => {
    const tools = toolFrames(prefix);
    let n = 0;
    for (const bad of BAD_FRAMES) {
      const before = raw.responses.length;
      raw.send(bad.frame);
      await raw.waitForCount(before + 1);
      const message = raw.responses[before];
      expect({ frame: bad.name, code: message?.error?.code, id: message?.id }).toEqual({
        frame: bad.name,
        code: bad.code,
        id: bad.id,
      });
      const id = `good-${++n}`;
      raw.send(tools.good(id));
      expectGoodEcho(await raw.waitForId(id), id);
    }
    raw.send(tools.unknownTool);
    raw.send(tools.badArguments);
    expectToolErrors(await raw.waitForId('t1'), await raw.waitForId('a1'), prefix);
    raw.send(tools.good('after-tools'));
    expectGoodEcho(await raw.waitForId('after-tools'), 'after-tools');
  });

  it('answers deeply nested params (100,000 levels) without crashing', async () => {
    for (const [n, frame] of deepFrames(prefix).entries()) {
      raw.send(frame);
      const answer = await raw.waitForId(`deep-${n}`);
      expect(answer.result !== undefined || answer.error !== undefined).toBe(true);
    }
    expect(raw.alive).toBe(true);
    raw.send(toolFrames(prefix).good('after-deep'));
    expectGoodEcho(await raw.waitForId('after-deep'), 'after-deep');
  });

  it('fuzz: bursts of arbitrary lines get one answer per request, none per notification, and no crash', async () => {
    let frames = 0;
    let bursts = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 8 }), async (burst) => {
        bursts++;
        frames += burst.length;
        const before = raw.responses.length;
        const expected = burst.filter(answered).length;
        for (const frame of burst) raw.send(frame);
        // A sentinel after the burst: once it and every expected answer are in, nothing is owed.
        const sentinel = `sentinel-${bursts}`;
        raw.send(JSON.stringify({ jsonrpc: '2.0', id: sentinel, method: 'ping' }));
        await raw.waitForCount(before + expected + 1, 10_000);
        await raw.waitForId(sentinel, 10_000);
        // Nothing extra trickles in for a notification or a response.
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(raw.responses.length - before).toBe(expected + 1);
        for (const message of raw.responses.slice(before)) {
          expect(message.jsonrpc).toBe('2.0');
          expect(message.result !== undefined || message.error !== undefined).toBe(true);
          if (message.error) expect(message.error.code).toBeTypeOf('number');
        }
        expect(raw.alive).toBe(true);
      }),
      { numRuns: 40, seed: Number(process.env.FUZZ_SEED ?? 10_05), endOnFailure: true },
    );
    expect(frames).toBeGreaterThan(40);
    raw.send(toolFrames(prefix).good('after-fuzz'));
    expectGoodEcho(await raw.waitForId('after-fuzz'), 'after-fuzz');
  });
});
