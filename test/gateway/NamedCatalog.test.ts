import { describe, expect, it } from 'vitest';
import { closestNames, NamedCatalog } from '../../src/gateway/index.js';
import { ToolscopeError } from '../../src/pipeline/index.js';

const lists = new Map([
  ['weather', [{ name: 'forecast' }, { name: 'search' }]],
  ['docs', [{ name: 'search' }, { name: 'read_page' }]],
]);

function resolveError(catalog: NamedCatalog, name: string): ToolscopeError {
  try {
    catalog.resolve(name);
  } catch (error) {
    if (error instanceof ToolscopeError) return error;
  }
  throw new Error('expected a ToolscopeError');
}

describe('NamedCatalog', () => {
  it('store mode prefixes every tool with its service', () => {
    const catalog = new NamedCatalog({ naming: 'prefixed', separator: '_', what: 'tool' });
    catalog.rebuild(lists);
    expect(catalog.items.map((t) => t.name)).toEqual([
      'weather_forecast',
      'weather_search',
      'docs_search',
      'docs_read_page',
    ]);
    expect(catalog.resolve('docs_search')).toMatchObject({ service: 'docs', originalName: 'search' });
  });

  it('resolves a unique unprefixed name, and refuses an ambiguous one listing the candidates', () => {
    const catalog = new NamedCatalog({ naming: 'prefixed', separator: '_', what: 'tool' });
    catalog.rebuild(lists);
    expect(catalog.resolve('forecast').exposedName).toBe('weather_forecast');
    const error = resolveError(catalog, 'search');
    expect(error.code).toBe(-32602);
    expect(error.data?.candidates).toEqual(['weather_search', 'docs_search']);
  });

  it('agent scopes keep original names unless two services share one', () => {
    const catalog = new NamedCatalog({ naming: 'unambiguous', separator: '__', what: 'tool' });
    catalog.rebuild(lists);
    expect(catalog.items.map((t) => t.name)).toEqual([
      'forecast',
      'weather__search',
      'docs__search',
      'read_page',
    ]);
  });

  it('an unknown tool is -32602 with the closest names', () => {
    const catalog = new NamedCatalog({ naming: 'prefixed', separator: '_', what: 'tool' });
    catalog.rebuild(lists);
    const error = resolveError(catalog, 'weather_forcast');
    expect(error.code).toBe(-32602);
    expect(error.message).toContain('Unknown tool "weather_forcast"');
    expect((error.data?.candidates as string[] | undefined)?.[0]).toBe('weather_forecast');
  });

  it('keeps the upstream definition intact and only renames the exposed copy', () => {
    const original = {
      name: 'forecast',
      inputSchema: { type: 'object' },
      annotations: { readOnlyHint: true },
    };
    const catalog = new NamedCatalog({ naming: 'prefixed', separator: '.', what: 'tool' });
    catalog.rebuild(new Map([['w', [original]]]));
    expect(catalog.items[0]).toEqual({ ...original, name: 'w.forecast' });
    expect(original.name).toBe('forecast');
  });
});

describe('closestNames', () => {
  it('prefers containment, then small edit distance, and omits far names', () => {
    expect(closestNames('serch', ['search', 'docs_search', 'unrelated_tool_name'])).toEqual([
      'search',
      'docs_search',
    ]);
    expect(closestNames('read', ['docs_read_page', 'write'])).toEqual(['docs_read_page']);
  });
});
