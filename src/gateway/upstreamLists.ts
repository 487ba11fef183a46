/** Sends one list request to the server (with whatever envelope its revision needs). */
export type ListRequester = (
  method: string,
  params: Record<string, unknown>,
) => Promise<Record<string, unknown>>;

/** A 2026-07-28 server's cache hint for a list: how long it may be kept, and by whom. */
export interface CacheHint {
  readonly ttlMs: number;
  readonly cacheScope: 'public' | 'private';
}

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

/** The cache hint a result carries, if it carries a valid one (2026-07-28 servers). */
export function cacheHintOf(result: Record<string, unknown>): CacheHint | undefined {
  const { ttlMs, cacheScope } = result;
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs < 0) return undefined;
  return { ttlMs, cacheScope: cacheScope === 'public' ? 'public' : 'private' };
}

/** Two hints as one: the shorter lifetime, and private when either is. */
export function combineHints(a: CacheHint | undefined, b: CacheHint | undefined): CacheHint | undefined {
  if (!a || !b) return a ?? b;
  return {
    ttlMs: Math.min(a.ttlMs, b.ttlMs),
    cacheScope: a.cacheScope === 'private' || b.cacheScope === 'private' ? 'private' : 'public',
  };
}

async function listAll(
  request: ListRequester,
  method: string,
  key: string,
  hints: Partial<Record<ListKind, CacheHint>>,
  kind: ListKind,
): Promise<ListedItem[]> {
  const items: ListedItem[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await request(method, cursor === undefined ? {} : { cursor });
    // The shortest-lived page (or list, for resources and their templates) sets the kind's hint.
    hints[kind] = combineHints(hints[kind], cacheHintOf(result));
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
  request: ListRequester,
  capabilities: Record<string, unknown>,
  kinds: readonly ListKind[],
  previous: UpstreamLists,
): Promise<{ lists: UpstreamLists; changed: ListKind[]; hints: Partial<Record<ListKind, CacheHint>> }> {
  const lists: UpstreamLists = { ...previous };
  const hints: Partial<Record<ListKind, CacheHint>> = {};
  const changed: ListKind[] = [];
  const jobs: Promise<void>[] = [];
  if (kinds.includes('tools') && capabilities.tools) {
    jobs.push(
      listAll(request, 'tools/list', 'tools', hints, 'tools').then((tools) => {
        lists.tools = tools;
      }),
    );
  }
  if (kinds.includes('prompts') && capabilities.prompts) {
    jobs.push(
      listAll(request, 'prompts/list', 'prompts', hints, 'prompts').then((prompts) => {
        lists.prompts = prompts;
      }),
    );
  }
  if (kinds.includes('resources') && capabilities.resources) {
    jobs.push(
      listAll(request, 'resources/list', 'resources', hints, 'resources').then((resources) => {
        lists.resources = resources;
      }),
      listAll(request, 'resources/templates/list', 'resourceTemplates', hints, 'resources').then(
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
  return { lists, changed, hints };
}
