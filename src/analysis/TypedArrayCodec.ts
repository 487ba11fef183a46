/**
 * Typed arrays as base64 strings, so snapshots stay plain JSON and a forest of
 * tens of thousands of nodes costs bytes, not a decimal string per number.
 * Bytes are the platform's (little-endian on every platform Node ships for);
 * a snapshot records the byte order and is ignored on a mismatch.
 */

/** Byte order of this process, recorded in snapshots. */
export const BYTE_ORDER: 'LE' | 'BE' = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'LE' : 'BE';

type Numeric = Float64Array | Float32Array | Int32Array | Int8Array | Uint8Array;

/** Encodes the bytes of a typed array as base64. */
export function encodeArray(array: Numeric): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

function bytes(text: string, width: number): Uint8Array {
  const buf = Buffer.from(text, 'base64');
  if (buf.byteLength % width !== 0) throw new RangeError('encoded array has a partial element');
  // Copy into a fresh, aligned buffer: Buffer pools may hand out unaligned offsets.
  const out = new Uint8Array(buf.byteLength);
  out.set(buf);
  return out;
}

export function decodeFloat64(text: string): Float64Array {
  return new Float64Array(bytes(text, 8).buffer);
}

export function decodeFloat32(text: string): Float32Array {
  return new Float32Array(bytes(text, 4).buffer);
}

export function decodeInt32(text: string): Int32Array {
  return new Int32Array(bytes(text, 4).buffer);
}

export function decodeInt8(text: string): Int8Array {
  return new Int8Array(bytes(text, 1).buffer);
}

export function decodeUint8(text: string): Uint8Array {
  return bytes(text, 1);
}
