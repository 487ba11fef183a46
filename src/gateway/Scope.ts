import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import { JsonRpcCode, type ResolvedTool, type ToolExecutor, ToolscopeError } from '../pipeline/index.js';
import { toolsAsServed } from '../tasks/index.js';
import { type CatalogEntry, NamedCatalog, type NamingMode } from './NamedCatalog.js';
import type { Upstream } from './Upstream.js';
import type { ListedItem, ListKind } from './upstreamLists.js';

/** A tool in a scope, with what the pipeline needs to run it (built once per catalog rebuild). */
export interface ToolEntry extends CatalogEntry {
  readonly resolved: ResolvedTool;
}

/** Anything connected to a scope that wants to hear about list changes (downstream sessions). */
export interface ScopeMember {
  notifyListChanged(kind: ListKind): void;
}

/**
 * What one kind of caller sees: the store (every service, names prefixed), an
 * agent (its services, original names where unambiguous), or the proxy (one
 * service, nothing renamed). Holds the catalogs for its services and the
 * downstream sessions connected to it.
 */
export class Scope {
  readonly id: string;
  /** Agent id for agent scopes; `undefined` for the store and the proxy. */
  readonly agent: string | undefined;
  readonly services: readonly string[];
  readonly tools: NamedCatalog<ToolEntry>;
  readonly prompts: NamedCatalog;
  readonly members = new Set<ScopeMember>();
  #resources: readonly ListedItem[] = [];
  #resourceTemplates: readonly ListedItem[] = [];
  #resourceOwner = new Map<string, string>();
  #templates: Array<{ service: string; template: UriTemplate }> = [];
  readonly #separator: string;
  readonly #naming: NamingMode;

  constructor(options: {
    id: string;
    agent: string | undefined;
    services: readonly string[];
    naming: NamingMode;
    separator: string;
    executorFor: (service: string) => ToolExecutor;
  }) {
    this.id = options.id;
    this.agent = options.agent;
    this.services = options.services;
    this.#separator = options.separator;
    this.#naming = options.naming;
    const executorFor = options.executorFor;
    this.tools = new NamedCatalog<ToolEntry>({
      naming: options.naming,
      separator: options.separator,
      what: 'tool',
      makeEntry: (entry) => ({
        ...entry,
        resolved: {
          ref: {
            service: entry.service,
            tool: entry.originalName,
            key: `${entry.service}/${entry.originalName}`,
          },
          definition: entry.original as ResolvedTool['definition'],
          executor: executorFor(entry.service),
        },
      }),
    });
    this.prompts = new NamedCatalog({ naming: options.naming, separator: options.separator, what: 'prompt' });
  }

  get resources(): readonly ListedItem[] {
    return this.#resources;
  }
  get resourceTemplates(): readonly ListedItem[] {
    return this.#resourceTemplates;
  }

  /** Rebuild from the upstreams' lists; returns the kinds whose exposed lists changed. */
  rebuild(upstreams: ReadonlyMap<string, Upstream>, kinds: readonly ListKind[]): ListKind[] {
    const changed: ListKind[] = [];
    const inScope = this.services
      .map((name) => upstreams.get(name))
      .filter((u): u is Upstream => u !== undefined);
    if (kinds.includes('tools')) {
      const before = this.tools.items;
      // The proxy relays the server's own capabilities, so its tools stay as they are.
      const served = (u: Upstream) =>
        this.#naming === 'original' ? u.lists.tools : toolsAsServed(u.lists.tools, u.capabilities);
      this.tools.rebuild(new Map(inScope.map((u) => [u.name, served(u)])));
      if (!sameItems(before, this.tools.items)) changed.push('tools');
    }
    if (kinds.includes('prompts')) {
      const before = this.prompts.items;
      this.prompts.rebuild(new Map(inScope.map((u) => [u.name, u.lists.prompts])));
      if (!sameItems(before, this.prompts.items)) changed.push('prompts');
    }
    if (kinds.includes('resources')) {
      const before = [this.#resources, this.#resourceTemplates];
      this.#rebuildResources(inScope);
      if (!sameItems(before, [this.#resources, this.#resourceTemplates])) changed.push('resources');
    }
    return changed;
  }

  /** Which service serves a resource URI: listed URIs first, then URI templates; -32602 otherwise. */
  resourceService(uri: string): string {
    const owner = this.#resourceOwner.get(uri);
    if (owner) return owner;
    for (const { service, template } of this.#templates) {
      if (template.match(uri)) return service;
    }
    const withResources = [...new Set(this.#templates.map((t) => t.service))];
    if (withResources.length === 0 && this.services.length === 1) return this.services[0] as string;
    throw new ToolscopeError('invalid_params', JsonRpcCode.InvalidParams, `Resource not found: ${uri}`, {
      uri,
    });
  }

  /** Announce list changes to every connected session. */
  announce(kinds: readonly ListKind[]): void {
    for (const kind of kinds) for (const member of this.members) member.notifyListChanged(kind);
  }

  #rebuildResources(inScope: readonly Upstream[]): void {
    const resources: ListedItem[] = [];
    const templates: ListedItem[] = [];
    const owner = new Map<string, string>();
    const matchers: Array<{ service: string; template: UriTemplate }> = [];
    const rename = (service: string, item: ListedItem): ListedItem =>
      this.#naming === 'prefixed' ? { ...item, name: `${service}${this.#separator}${item.name}` } : item;
    for (const upstream of inScope) {
      for (const resource of upstream.lists.resources) {
        const uri = resource.uri;
        if (typeof uri !== 'string' || owner.has(uri)) continue; // the same URI on two services: first wins
        owner.set(uri, upstream.name);
        resources.push(rename(upstream.name, resource));
      }
      for (const template of upstream.lists.resourceTemplates) {
        if (typeof template.uriTemplate !== 'string') continue;
        try {
          matchers.push({ service: upstream.name, template: new UriTemplate(template.uriTemplate) });
        } catch {
          // A template the SDK cannot parse can still be listed; it just cannot route reads.
        }
        templates.push(rename(upstream.name, template));
      }
    }
    this.#resources = resources;
    this.#resourceTemplates = templates;
    this.#resourceOwner = owner;
    this.#templates = matchers;
  }
}

function sameItems(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
