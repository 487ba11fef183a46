// A v2 SDK (2026-07-28) client that declares the capabilities a test asks for and records the
// sampling, elicitation and roots requests it is asked to answer (as input_required rounds).
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

export interface ModernSeen {
  samplingPrompts: string[];
  elicitations: string[];
  rootsAsked: number;
}

export async function modernClient(
  url: string,
  name: string,
  capabilities: { sampling?: boolean; elicitation?: boolean; roots?: string[] } = {},
) {
  const declared: Record<string, unknown> = {};
  if (capabilities.sampling) declared.sampling = {};
  if (capabilities.elicitation) declared.elicitation = { form: {} };
  if (capabilities.roots) declared.roots = {};
  const client = new Client(
    { name, version: '2.0.0' },
    { capabilities: declared, versionNegotiation: { mode: 'auto' } },
  );
  const seen: ModernSeen = { samplingPrompts: [], elicitations: [], rootsAsked: 0 };
  if (capabilities.sampling) {
    client.setRequestHandler('sampling/createMessage', async (request) => {
      const first = (request.params.messages[0]?.content ?? {}) as { text?: string };
      seen.samplingPrompts.push(first.text ?? '');
      return {
        role: 'assistant',
        content: { type: 'text', text: `modern answer from ${name}` },
        model: `model-of-${name}`,
        stopReason: 'endTurn',
      };
    });
  }
  if (capabilities.elicitation) {
    client.setRequestHandler('elicitation/create', async (request) => {
      seen.elicitations.push(String((request.params as { message?: unknown }).message));
      return { action: 'decline' };
    });
  }
  if (capabilities.roots) {
    const roots = capabilities.roots.map((uri) => ({ uri }));
    client.setRequestHandler('roots/list', async () => {
      seen.rootsAsked++;
      return { roots };
    });
  }
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return { client, seen, close: () => client.close() };
}
