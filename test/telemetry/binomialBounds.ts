/**
 * The two-sided acceptance interval of a Binomial(n, p) count: a count outside
 * [low, high] has probability at most `alpha` when the share really is `p`.
 * Exact (the pmf summed in log space), so a test using it fails by chance at
 * most once in 1/alpha runs, and never because the machine is slow.
 */
export function binomialBounds(n: number, p: number, alpha = 1e-6): { low: number; high: number } {
  if (p <= 0) return { low: 0, high: 0 };
  if (p >= 1) return { low: n, high: n };
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  let logPmf = n * logQ;
  let cdf = 0;
  let low = -1;
  let high = n;
  for (let k = 0; k <= n; k++) {
    cdf += Math.exp(logPmf);
    if (low < 0 && cdf > alpha / 2) low = k;
    if (cdf >= 1 - alpha / 2) {
      high = k;
      break;
    }
    logPmf += Math.log(n - k) - Math.log(k + 1) + logP - logQ;
  }
  return { low, high };
}
