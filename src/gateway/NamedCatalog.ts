import { JsonRpcCode, ToolscopeError } from '../pipeline/index.js';
import { closestNames } from './closestNames.js';
import type { ListedItem } from './upstreamLists.js';

/**
 * How names are exposed in a scope:
 * - `prefixed`: always `service{sep}name` (store mode: every tool of every service);
 * - `unambiguous`: the original name unless two services in scope share it (agent scopes);
 * - `original`: names untouched (the proxy: one service, nothing renamed).
 */
export type NamingMode = 'prefixed' | 'unambiguous' | 'original';

/** One named item (tool or prompt) as exposed in a scope. */
export interface CatalogEntry {
  readonly exposedName: string;
  readonly service: string;
  readonly originalName: string;
  /** The item as the upstream listed it. */
  readonly original: ListedItem;
  /** The item as the caller sees it (its name replaced by the exposed name). */
  readonly exposed: ListedItem;
}

/**
 * The tools (or prompts) of the services in one scope, under the names that
 * scope exposes. Rebuilt when an upstream's list changes; resolution is a map
 * lookup. An unknown name is the JSON-RPC error -32602 listing the closest names.
 */
export class NamedCatalog<E extends CatalogEntry = CatalogEntry> {
  readonly #naming: NamingMode;
  readonly #separator: string;
  readonly #what: string;
  readonly #makeEntry: (entry: CatalogEntry) => E;
  #byExposed = new Map<string, E>();
  #byOriginal = new Map<string, E[]>();
  #items: readonly ListedItem[] = [];

  constructor(options: {
    naming: NamingMode;
    separator: string;
    what: 'tool' | 'prompt';
    makeEntry?: (entry: CatalogEntry) => E;
  }) {
    this.#naming = options.naming;
    this.#separator = options.separator;
    this.#what = options.what;
    this.#makeEntry = options.makeEntry ?? ((entry) => entry as E);
  }

  /** Exposed definitions, in service order (what `tools/list` returns). */
  get items(): readonly ListedItem[] {
    return this.#items;
  }

  get size(): number {
    return this.#byExposed.size;
  }

  entries(): IterableIterator<E> {
    return this.#byExposed.values();
  }

  /** Rebuild from each service's list (services in scope only, in a stable order). */
  rebuild(perService: ReadonlyMap<string, readonly ListedItem[]>): void {
    const counts = new Map<string, number>();
    for (const items of perService.values())
      for (const item of items) counts.set(item.name, (counts.get(item.name) ?? 0) + 1);
    const byExposed = new Map<string, E>();
    const byOriginal = new Map<string, E[]>();
    const exposedItems: ListedItem[] = [];
    for (const [service, items] of perService) {
      for (const original of items) {
        const prefix =
          this.#naming === 'prefixed' ||
          (this.#naming === 'unambiguous' && (counts.get(original.name) ?? 0) > 1);
        const exposedName = prefix ? `${service}${this.#separator}${original.name}` : original.name;
        if (byExposed.has(exposedName)) continue; // duplicates within one service: first wins
        const exposed = exposedName === original.name ? original : { ...original, name: exposedName };
        const entry = this.#makeEntry({
          exposedName,
          service,
          originalName: original.name,
          original,
          exposed,
        });
        byExposed.set(exposedName, entry);
        const same = byOriginal.get(original.name);
        if (same) same.push(entry);
        else byOriginal.set(original.name, [entry]);
        exposedItems.push(exposed);
      }
    }
    this.#byExposed = byExposed;
    this.#byOriginal = byOriginal;
    this.#items = exposedItems;
  }

  /** Like `resolve`, but `undefined` instead of an error (no allocation on the miss path). */
  lookup(name: string): E | undefined {
    const exact = this.#byExposed.get(name);
    if (exact) return exact;
    const byOriginal = this.#byOriginal.get(name);
    return byOriginal?.length === 1 ? byOriginal[0] : undefined;
  }

  /** Exact exposed name, else a unique original name, else -32602 with the closest names. */
  resolve(name: string): E {
    const exact = this.#byExposed.get(name);
    if (exact) return exact;
    const byOriginal = this.#byOriginal.get(name);
    if (byOriginal?.length === 1) return byOriginal[0] as E;
    if (byOriginal && byOriginal.length > 1) {
      const candidates = byOriginal.map((entry) => entry.exposedName);
      throw new ToolscopeError(
        'invalid_params',
        JsonRpcCode.InvalidParams,
        `Ambiguous ${this.#what} "${name}": use one of ${candidates.join(', ')}`,
        { candidates },
      );
    }
    const candidates = closestNames(name, [...this.#byExposed.keys()]);
    const hint = candidates.length > 0 ? `. Did you mean: ${candidates.join(', ')}?` : '';
    throw new ToolscopeError(
      'invalid_params',
      JsonRpcCode.InvalidParams,
      `Unknown ${this.#what} "${name}"${hint}`,
      {
        candidates,
      },
    );
  }
}
