import { describe, expect, it } from 'vitest';
import { SchemaValidator } from '../../src/pipeline/index.js';

const schema = {
  type: 'object',
  properties: {
    message: { type: 'string' },
    count: { type: 'integer', minimum: 1 },
    mode: { enum: ['fast', 'slow'] },
    items: {
      type: 'array',
      items: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
    },
  },
  required: ['message'],
  additionalProperties: false,
};

describe('SchemaValidator', () => {
  const validator = new SchemaValidator();

  it('accepts valid arguments', () => {
    expect(
      validator.validate(schema, { message: 'hi', count: 2, mode: 'fast', items: [{ id: 'a' }] }),
    ).toEqual([]);
  });

  it('names each bad field and what was expected', () => {
    const problems = validator.validate(schema, { count: 0, mode: 'medium', items: [{}], extra: 1 });
    expect(problems).toEqual(
      expect.arrayContaining([
        { field: 'message', expected: 'is required' },
        { field: 'count', expected: 'must be >= 1' },
        { field: 'mode', expected: 'must be one of ["fast","slow"]' },
        { field: 'items[0].id', expected: 'is required' },
        { field: 'extra', expected: 'is not allowed (unknown field)' },
      ]),
    );
    expect(validator.validate(schema, { message: 5 })).toEqual([
      { field: 'message', expected: 'must be string (got integer)' },
    ]);
  });

  it('understands draft-07 and 2020-12 schemas, and never blocks calls on a schema it cannot compile', () => {
    const draft07 = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { a: { type: 'number' } },
    };
    expect(validator.validate(draft07, { a: 'x' })).toHaveLength(1);
    const broken = { type: 'object', properties: { a: { $ref: '#/nowhere' } } };
    expect(validator.validate(broken, { a: 1 })).toEqual([]);
  });
});
