#!/usr/bin/env node
// `npm run bench [name…]`: runs the benchmarks one after another (never in parallel:
// they would disturb each other), then gathers bench/results/*.md into bench/RESULTS.md.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR } from './lib/stats.mjs';

const wanted = process.argv.slice(2);
const all = readdirSync(BENCH_DIR)
  .filter((file) => file.endsWith('.bench.mjs'))
  .sort();
const selected = wanted.length ? all.filter((file) => wanted.some((name) => file.startsWith(name))) : all;
// Only what this run writes goes into RESULTS.md: bench/results/ also holds files from earlier runs
// (of older code), which must not replace the sections committed since.
const startedAt = Date.now();
for (const file of selected) {
  process.stderr.write(`\n=== ${file}\n`);
  execFileSync(process.execPath, ['--expose-gc', join(BENCH_DIR, file)], { stdio: 'inherit' });
}

const resultsDir = join(BENCH_DIR, 'results');
const resultsFile = join(BENCH_DIR, 'RESULTS.md');
const fresh = existsSync(resultsDir)
  ? readdirSync(resultsDir)
      .filter((f) => f.endsWith('.md') && statSync(join(resultsDir, f)).mtimeMs >= startedAt)
      .sort()
      .map((f) => readFileSync(join(resultsDir, f), 'utf8').trim())
  : [];
// A section is keyed by its `## ` title. Re-running one benchmark replaces its own section and keeps
// the others as they were (bench/results/ is not committed, so a fresh clone holds only what it ran).
const titleOf = (section) => section.split('\n', 1)[0];
const previous = existsSync(resultsFile)
  ? readFileSync(resultsFile, 'utf8')
      .split(/\n(?=## )/)
      .slice(1)
      .map((section) => section.trim())
  : [];
const fromTests = join(BENCH_DIR, 'measured-in-tests.md');
const testsSection = existsSync(fromTests) ? readFileSync(fromTests, 'utf8').trim() : undefined;
const freshByTitle = new Map(fresh.map((section) => [titleOf(section), section]));
const sections = [];
for (const section of previous) {
  const title = titleOf(section);
  if (testsSection !== undefined && title === titleOf(testsSection)) continue;
  sections.push(freshByTitle.get(title) ?? section);
  freshByTitle.delete(title);
}
sections.push(...freshByTitle.values());
// Figures the hardening tests measure (faults, stress) are kept by hand beside the benchmarks' own.
if (testsSection !== undefined) sections.push(testsSection);
const header = `# Benchmark results

Produced by \`npm run bench\` (last run ${new Date().toISOString().slice(0, 10)}), Node ${process.version},
${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}. The machines are shared and noisy: every figure
is a median over interleaved repetitions, and comparisons are ratios measured in the same run.
Each section below is written by one benchmark in \`bench/\`; re-run one with \`npm run bench <name>\`
(it replaces its own section and keeps the others).
`;
writeFileSync(resultsFile, `${header}\n${sections.join('\n\n')}\n`);
process.stderr.write(
  `\nwrote bench/RESULTS.md (${sections.length} sections, ${fresh.length} from this run)\n`,
);
