import type { JsonRpcPeer } from '../jsonrpc/JsonRpcPeer.js';

/** A tool, prompt, resource or template as the upstream listed it (kept verbatim). */
export type ListedItem = Record<string, unknown> & { name: string };

/** What an upstream offers. */
export interface UpstreamLists {
  tools: readonly ListedItem[];
  prompts: readonly ListedItem[];
  resources: readonly ListedItem[];
  resourceTemplates: readonly ListedItem[];
}

export type ListKind = 'tools' | 'prompts' | 'resources';

export function emptyLists(): UpstreamLists {
  return { tools: [], prompts: [], resources: [], resourceTemplates: [] };
}

/** Pages beyond this are ignored: a server that paginates forever must not hang discovery. */
const MAX_PAGES = 100;

async function listAll(peer: JsonRpcPeer, method: string, key: string): Promise<ListedItem[]> {
  const items: ListedItem[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await peer.request(method, cursor === undefined ? {} : { cursor });
    const batch = result[key];
    if (Array.isArray(batch)) {
      for (const item of batch) if (typeof item === 'object' && item !== null) items.push(item as ListedItem);
    }
    cursor = typeof result.nextCursor === 'string' ? result.nextCursor : undefined;
    if (cursor === undefined) break;
  }
  return items;
}

/**
 * Load the lists the server's capabilities advertise. Returns the new lists and
 * which kinds changed compared with `previous`.
 */
export async function loadLists(
  peer: JsonRpcPeer,
  capabilities: Record<string, unknown>,
  kinds: readonly ListKind[],
  previous: UpstreamLists,
): Promise<{ lists: UpstreamLists; changed: ListKind[] }> {
  const lists: UpstreamLists = { ...previous };
  const changed: ListKind[] = [];
  const jobs: Promise<void>[] = [];
  if (kinds.includes('tools') && capabilities.tools) {
    jobs.push(
      listAll(peer, 'tools/list', 'tools').then((tools) => {
        lists.tools = tools;
      }),
    );
  }
  if (kinds.includes('prompts') && capabilities.prompts) {
    jobs.push(
      listAll(peer, 'prompts/list', 'prompts').then((prompts) => {
        lists.prompts = prompts;
      }),
    );
  }
  if (kinds.includes('resources') && capabilities.resources) {
    jobs.push(
      listAll(peer, 'resources/list', 'resources').then((resources) => {
        lists.resources = resources;
      }),
      listAll(peer, 'resources/templates/list', 'resourceTemplates').then(
        (templates) => {
          lists.resourceTemplates = templates;
        },
        () => {
          // Templates are optional even when resources are offered.
        },
      ),
    );
  }
  await Promise.all(jobs);
  for (const kind of kinds) {
    const before = kind === 'resources' ? [previous.resources, previous.resourceTemplates] : previous[kind];
    const after = kind === 'resources' ? [lists.resources, lists.resourceTemplates] : lists[kind];
    if (JSON.stringify(before) !== JSON.stringify(after)) changed.push(kind);
  }
  return { lists, changed };
}
