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
  /** Services by the scheme and authority of the URIs they list (`demo://resource`). */
  #origins = new Map<string, Set<string>>();
  /** Services that offer resources at all. */
  #resourceServices: string[] = [];
  /** URIs that tools returned as links, by service (bounded; newest kept). */
  readonly #linked = new Map<string, string>();
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

  /** How names are exposed in this scope. */
  get naming(): NamingMode {
    return this.#naming;
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

  /**
   * Which service serves a resource URI: the one that lists it, or whose template matches it,
   * or whose tool returned it as a link; else the one service in scope, or the only one whose
   * listed URIs share its scheme and authority, or the only one offering resources at all.
   * When ownership is ambiguous: -32602, never a guess.
   */
  resourceService(uri: string): string {
    const owner = this.#resourceOwner.get(uri) ?? this.#linked.get(uri);
    if (owner) return owner;
    for (const { service, template } of this.#templates) {
      if (template.match(uri)) return service;
    }
    if (this.services.length === 1) return this.services[0] as string;
    // The services whose URIs share its scheme and authority; for a scheme of its own (not
    // http, file, …), those sharing the scheme.
    const [origin, scheme] = originOf(uri);
    const byOrigin =
      this.#origins.get(origin) ?? (SHARED_SCHEMES.has(scheme) ? undefined : this.#origins.get(scheme));
    if (byOrigin?.size === 1) return byOrigin.values().next().value as string;
    if (byOrigin === undefined && this.#resourceServices.length === 1)
      return this.#resourceServices[0] as string;
    throw new ToolscopeError('invalid_params', JsonRpcCode.InvalidParams, `Resource not found: ${uri}`, {
      uri,
    });
  }

  /** Remember the resource links (and embedded resources) a tool of `service` returned. */
  noteLinks(service: string, result: Record<string, unknown>): void {
    const content = result.content;
    if (!Array.isArray(content)) return;
    for (const item of content) {
      if (typeof item !== 'object' || item === null) continue;
      const { type, uri, resource } = item as { type?: unknown; uri?: unknown; resource?: { uri?: unknown } };
      const linked = type === 'resource_link' ? uri : type === 'resource' ? resource?.uri : undefined;
      if (typeof linked !== 'string' || this.#resourceOwner.get(linked) === service) continue;
      this.#linked.delete(linked);
      this.#linked.set(linked, service);
      if (this.#linked.size > MAX_LINKED) this.#linked.delete(this.#linked.keys().next().value as string);
    }
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
    const origins = new Map<string, Set<string>>();
    const addOrigin = (uri: string, service: string) => {
      for (const key of originOf(uri)) {
        const services = origins.get(key);
        if (services) services.add(service);
        else origins.set(key, new Set([service]));
      }
    };
    const rename = (service: string, item: ListedItem): ListedItem =>
      this.#naming === 'prefixed' ? { ...item, name: `${service}${this.#separator}${item.name}` } : item;
    for (const upstream of inScope) {
      for (const resource of upstream.lists.resources) {
        const uri = resource.uri;
        if (typeof uri !== 'string' || owner.has(uri)) continue; // the same URI on two services: first wins
        owner.set(uri, upstream.name);
        addOrigin(uri, upstream.name);
        resources.push(rename(upstream.name, resource));
      }
      for (const template of upstream.lists.resourceTemplates) {
        if (typeof template.uriTemplate !== 'string') continue;
        addOrigin(template.uriTemplate, upstream.name);
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
    this.#origins = origins;
    this.#resourceServices = inScope.filter((u) => u.capabilities.resources).map((u) => u.name);
  }
}

/** Links remembered per scope at most. */
const MAX_LINKED = 1000;

/** Schemes many unrelated services use: sharing one says nothing about who owns a URI. */
const SHARED_SCHEMES = new Set(['http:', 'https:', 'file:', 'data:', 'urn:']);

/** Scheme and authority (`demo://resource`), and scheme alone (`demo:`), of a URI or URI template, lower-cased. */
function originOf(uri: string): [string, string] {
  const match = /^([a-z][a-z0-9+.-]*:)(\/\/[^/?#{]*)?/i.exec(uri);
  if (!match) return ['', ''];
  const scheme = (match[1] as string).toLowerCase();
  return [`${scheme}${(match[2] ?? '').toLowerCase()}`, scheme];
}

function sameItems(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
