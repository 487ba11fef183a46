/** Edit distance (Levenshtein), two rows of memory. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  let current = new Array<number>(b.length + 1);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length] as number;
}

/**
 * The `count` names closest to `name`: names containing it (or contained in it)
 * first, then by edit distance. Names too far away to be a plausible typo are
 * left out.
 */
export function closestNames(name: string, candidates: readonly string[], count = 3): string[] {
  const needle = name.toLowerCase();
  return candidates
    .map((candidate) => {
      const lower = candidate.toLowerCase();
      const contains = lower.includes(needle) || needle.includes(lower);
      return { candidate, score: contains ? 0 : editDistance(needle, lower) };
    })
    .filter(
      ({ score, candidate }) => score <= Math.max(3, Math.ceil(Math.max(name.length, candidate.length) / 2)),
    )
    .sort((x, y) => x.score - y.score || x.candidate.localeCompare(y.candidate))
    .slice(0, count)
    .map(({ candidate }) => candidate);
}
