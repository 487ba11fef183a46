import { diag } from '@opentelemetry/api';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;

/** A problem with one argument, in words a model can act on. */
export interface ArgumentProblem {
  /** JSON path of the field, e.g. `message` or `items[2].name`; `(arguments)` for the whole object. */
  field: string;
  /** What was expected, e.g. `must be string (got number)`. */
  expected: string;
}

/**
 * Validates tool arguments against the tool's `inputSchema`. Validators are
 * compiled once per tool definition and cached; a schema that cannot be compiled
 * disables validation for that tool (reported once) rather than blocking calls.
 * Draft-07 schemas use Ajv's draft-07 mode; everything else uses JSON Schema
 * 2020-12, MCP's default dialect.
 */
export class SchemaValidator {
  readonly #draft07 = new Ajv({ strict: false, allErrors: true, verbose: true, validateFormats: true });
  readonly #draft2020 = new Ajv2020({ strict: false, allErrors: true, verbose: true, validateFormats: true });
  readonly #cache = new WeakMap<object, ValidateFunction | null>();

  constructor() {
    addFormats(this.#draft07);
    addFormats(this.#draft2020);
  }

  /** Problems with `args` (empty when valid or when the schema cannot be used). */
  validate(schema: unknown, args: unknown): ArgumentProblem[] {
    if (typeof schema !== 'object' || schema === null) return [];
    let validator = this.#cache.get(schema);
    if (validator === undefined) {
      validator = this.#compile(schema as Record<string, unknown>);
      this.#cache.set(schema, validator);
    }
    if (validator === null || validator(args ?? {})) return [];
    return (validator.errors ?? []).map(describe);
  }

  #compile(schema: Record<string, unknown>): ValidateFunction | null {
    const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
    const ajv = /draft-0[467]/.test(dialect) ? this.#draft07 : this.#draft2020;
    try {
      // Compile a copy without $schema/$id so odd dialect URIs or duplicate ids cannot break compilation.
      const { $schema: _ignored, $id: _id, ...rest } = schema;
      return ajv.compile(rest);
    } catch (error) {
      diag.warn(
        `toolscope: cannot compile a tool's inputSchema, arguments will not be checked: ${(error as Error).message}`,
      );
      return null;
    }
  }
}

function fieldOf(error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') segments.push(String(error.params.additionalProperty));
  if (segments.length === 0) return '(arguments)';
  return segments.reduce(
    (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part),
    '',
  );
}

function describe(error: ErrorObject): ArgumentProblem {
  const field = fieldOf(error);
  switch (error.keyword) {
    case 'required':
      return { field, expected: 'is required' };
    case 'additionalProperties':
      return { field, expected: 'is not allowed (unknown field)' };
    case 'type':
      return { field, expected: `must be ${String(error.params.type)} (got ${typeName(error.data)})` };
    case 'enum':
      return { field, expected: `must be one of ${JSON.stringify(error.params.allowedValues)}` };
    default:
      return { field, expected: error.message ?? `fails ${error.keyword}` };
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isInteger(value)) return 'integer';
  return typeof value;
}
