/**
 * Approximate serialised JSON size of a value without serialising it. Used when
 * the transport did not measure a message. Exact for ASCII strings, numbers and
 * structure; walks at most `budget` nodes, then extrapolates nothing (it is a
 * lower bound for huge values).
 */
export function estimateJsonBytes(value: unknown, budget = 10_000): number {
  let nodes = 0;
  const walk = (item: unknown): number => {
    if (++nodes > budget) return 0;
    switch (typeof item) {
      case 'string':
        return item.length + 2;
      case 'number':
        return item < 10 && item >= 0 && Number.isInteger(item) ? 1 : String(item).length;
      case 'boolean':
        return item ? 4 : 5;
      case 'object': {
        if (item === null) return 4;
        if (Array.isArray(item)) {
          let size = 2 + Math.max(0, item.length - 1);
          for (const element of item) size += walk(element);
          return size;
        }
        let size = 2;
        let first = true;
        for (const key in item) {
          const child = (item as Record<string, unknown>)[key];
          if (child === undefined) continue;
          size += (first ? 0 : 1) + key.length + 3 + walk(child);
          first = false;
        }
        return size;
      }
      default:
        return 0;
    }
  };
  return walk(value);
}
