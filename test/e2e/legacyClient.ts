// An SDK (1.x, protocol 2025-11-25) client over Streamable HTTP that declares the capabilities a test
// asks for and records everything the server side sends it: sampling and elicitation requests, roots
// requests and log messages. Several of these at once show whether anything crosses between clients.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { quietSignalFetch } from '../../src/gateway/index.js';

export interface LegacyClientOptions {
  name: string;
  sampling?: boolean;
  elicitation?: boolean;
  /** Roots the client offers (the capability is declared when given). */
  roots?: Array<{ uri: string; name?: string }>;
  /** How elicitations are answered. @default declined */
  elicit?: (message: string) => Record<string, unknown>;
  headers?: Record<string, string>;
}

/** What one client saw. */
export interface Seen {
  samplingPrompts: string[];
  elicitationMessages: string[];
  rootsRequests: number;
  logs: string[];
}

export async function legacyClient(url: string, options: LegacyClientOptions) {
  const capabilities: Record<string, unknown> = {};
  if (options.sampling) capabilities.sampling = {};
  if (options.elicitation) capabilities.elicitation = { form: {} };
  if (options.roots) capabilities.roots = { listChanged: true };
  const client = new Client({ name: options.name, version: '1.0.0' }, { capabilities });
  const seen: Seen = { samplingPrompts: [], elicitationMessages: [], rootsRequests: 0, logs: [] };
  if (options.sampling) {
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const first = request.params.messages[0]?.content as { text?: string } | undefined;
      seen.samplingPrompts.push(first?.text ?? '');
      return {
        role: 'assistant',
        content: { type: 'text', text: `answer from ${options.name}` },
        model: `model-of-${options.name}`,
        stopReason: 'endTurn',
      };
    });
  }
  if (options.elicitation) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      seen.elicitationMessages.push(String(request.params.message));
      return (options.elicit?.(String(request.params.message)) ?? { action: 'decline' }) as {
        action: 'decline';
      };
    });
  }
  if (options.roots) {
    const roots = options.roots;
    client.setRequestHandler(ListRootsRequestSchema, async () => {
      seen.rootsRequests++;
      return { roots };
    });
  }
  client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => {
    seen.logs.push(
      typeof notification.params.data === 'string'
        ? notification.params.data
        : JSON.stringify(notification.params.data),
    );
  });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: options.headers ?? {} },
    fetch: quietSignalFetch,
  });
  await client.connect(transport);
  return { client, transport, seen, close: () => client.close() };
}

export type LegacyClient = Awaited<ReturnType<typeof legacyClient>>;
