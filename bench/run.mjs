#!/usr/bin/env node
// `npm run bench [name…]`: runs the benchmarks one after another (never in parallel: they would
// disturb each other), each on every runtime (bench/runtimes: the machine's Node, then Node 24, which
// is installed first if missing), then gathers bench/results/ into bench/RESULTS.md: one section per
// benchmark with a subsection per runtime, and a summary of every target on every runtime.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { BENCH_DIR, markdownTable, progress } from './lib/stats.mjs';
import { runtimes } from './runtimes/index.mjs';

const wanted = process.argv.slice(2);
const all = readdirSync(BENCH_DIR)
  .filter((file) => file.endsWith('.bench.mjs'))
  .sort();
const selected = wanted.length ? all.filter((file) => wanted.some((name) => file.startsWith(name))) : all;
const resultsDir = join(BENCH_DIR, 'results');
const resultsFile = join(BENCH_DIR, 'RESULTS.md');
// A benchmark's own targets table sits between these markers; the summary section gathers them all.
const TARGETS_BEGIN = '<!-- targets -->';
const TARGETS_END = '<!-- /targets -->';
const SUMMARY_TITLE = '## Targets on every runtime';

const list = runtimes({ install: true });
progress(`runtimes: ${list.map((r) => `${r.label} (${r.version})`).join(', ')}`);
if (list.length === 1) progress('Node 24 is not available here (bench/runtimes): one runtime only');

// Each benchmark writes bench/results/<name>.md, and <name>.targets.json when it has targets. Only
// files written by this run count (bench/results/ also holds older runs of older code); each is
// renamed <name>@<runtime>.* as soon as its run ends.
const fresh = new Map(); // name → [{ runtime, markdown, targets }]
// The 1-minute load average before each benchmark and at the end: how busy the machine was around it.
const loads = [loadavg()[0]];
for (const file of selected) {
  for (const runtime of list) {
    loads.push(loadavg()[0]);
    process.stderr.write(`\n=== ${file} on ${runtime.label} (${runtime.version})\n`);
    const startedAt = Date.now();
    execFileSync(runtime.path, ['--expose-gc', join(BENCH_DIR, file)], {
      stdio: 'inherit',
      // Whatever a benchmark starts by name (`node`, `npx`) runs on the same runtime.
      env: { ...process.env, PATH: `${dirname(runtime.path)}${delimiter}${process.env.PATH ?? ''}` },
    });
    const tag = runtime.label.replace(' ', '').toLowerCase();
    const written = readdirSync(resultsDir).filter(
      (f) => /^[^@]+\.md$/.test(f) && statSync(join(resultsDir, f)).mtimeMs >= startedAt,
    );
    for (const markdownFile of written) {
      const name = markdownFile.slice(0, -'.md'.length);
      const markdown = readFileSync(join(resultsDir, markdownFile), 'utf8').trim();
      renameSync(join(resultsDir, markdownFile), join(resultsDir, `${name}@${tag}.md`));
      const targetsFile = join(resultsDir, `${name}.targets.json`);
      let targets = [];
      if (existsSync(targetsFile) && statSync(targetsFile).mtimeMs >= startedAt) {
        targets = JSON.parse(readFileSync(targetsFile, 'utf8'));
        renameSync(targetsFile, join(resultsDir, `${name}@${tag}.targets.json`));
      }
      if (!fresh.has(name)) fresh.set(name, []);
      fresh.get(name).push({ runtime, markdown, targets });
    }
  }
}

/** One level deeper for every heading outside code blocks (a benchmark's `##` becomes `###`). */
function demote(markdown) {
  let code = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (line.startsWith('```')) code = !code;
      return !code && /^#+ /.test(line) ? `#${line}` : line;
    })
    .join('\n');
}

const cell = (t) =>
  t === undefined
    ? '–'
    : `${t.value}${t.spread ? ` (${t.spread})` : ''}${t.met === undefined ? '' : t.met ? ' ✓' : ' ✗'}`;

/** A benchmark's section: its title, its targets on every runtime, then each runtime's own text. */
function section(runs) {
  const title = runs[0].markdown.split('\n', 1)[0];
  const targetNames = [...new Set(runs.flatMap((r) => r.targets.map((t) => t.target)))];
  const targetsTable =
    targetNames.length === 0
      ? ''
      : `${TARGETS_BEGIN}\n${markdownTable(
          ['target', ...runs.map((r) => `${r.runtime.label} (${r.runtime.version})`)],
          targetNames.map((name) => [
            name,
            ...runs.map((r) => cell(r.targets.find((t) => t.target === name))),
          ]),
        )}\n${TARGETS_END}\n\n`;
  // After the first runtime, paragraphs that say the same as the first's (bar the version) are left out.
  const paragraphs = (r) =>
    r.markdown
      .split('\n')
      .slice(1)
      .join('\n')
      .trim()
      .split(/\n{2,}/);
  const first = new Set(paragraphs(runs[0]));
  const bodies = runs.map((r, i) => {
    const kept =
      i === 0
        ? paragraphs(r)
        : paragraphs(r).filter((p) => !first.has(p.replaceAll(r.runtime.version, runs[0].runtime.version)));
    const note =
      i === 0 || kept.length === paragraphs(r).length ? '' : `(Set-up as on ${runs[0].runtime.label}.)\n\n`;
    return `### ${r.runtime.label} (${r.runtime.version})\n\n${note}${demote(kept.join('\n\n'))}`;
  });
  return `${title}\n\n${targetsTable}${bodies.join('\n\n')}`;
}

// A section is keyed by its `## ` title. Re-running one benchmark replaces its own section and keeps
// the others as they were (bench/results/ is not committed, so a fresh clone holds only what it ran).
const titleOf = (text) => text.split('\n', 1)[0];
const previous = existsSync(resultsFile)
  ? readFileSync(resultsFile, 'utf8')
      .split(/\n(?=## )/)
      .slice(1)
      .map((text) => text.trim())
  : [];
const fromTests = join(BENCH_DIR, 'measured-in-tests.md');
const testsSection = existsSync(fromTests) ? readFileSync(fromTests, 'utf8').trim() : undefined;
const freshByTitle = new Map([...fresh.values()].map((runs) => [titleOf(runs[0].markdown), section(runs)]));
const sections = [];
for (const text of previous) {
  const title = titleOf(text);
  if (title === SUMMARY_TITLE) continue;
  if (testsSection !== undefined && title === titleOf(testsSection)) continue;
  sections.push(freshByTitle.get(title) ?? text);
  freshByTitle.delete(title);
}
sections.push(...freshByTitle.values());

// The summary gathers every section's targets table, rows under a line naming the section.
const summaryRows = [];
let summaryHeader;
for (const text of sections) {
  const begin = text.indexOf(TARGETS_BEGIN);
  if (begin < 0) continue;
  const lines = text
    .slice(begin + TARGETS_BEGIN.length, text.indexOf(TARGETS_END))
    .trim()
    .split('\n');
  summaryHeader ??= lines[0];
  summaryRows.push(...lines.slice(2));
}
const summary =
  summaryRows.length === 0
    ? []
    : [
        `${SUMMARY_TITLE}

Every target of the performance issue (19), each measured as a ratio within one run of its benchmark on
each runtime. Each cell: the median figure, in brackets how far single rounds (or blocks) stray from it
on this machine (the range of the per-round ratios; see each section), and ✓ met or ✗ missed.

${[summaryHeader, summaryHeader.replace(/[^|]+/g, ' --- '), ...summaryRows].join('\n')}`,
      ];
// Figures the hardening tests measure (faults, stress) are kept by hand beside the benchmarks' own.
if (testsSection !== undefined) sections.push(testsSection);
loads.push(loadavg()[0]);
const header = `# Benchmark results

Produced by \`npm run bench\` (last run ${new Date().toISOString().slice(0, 10)}) on
${list.map((r) => `${r.label} (${r.version})`).join(' and ')}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}; load average
${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during the last run, of ${selected.map((f) => f.replace('.bench.mjs', '')).join(', ')} (runnable processes; ${cpus().length} means the CPUs were just busy).
The machines are shared and noisy: every figure is a median over interleaved repetitions, and comparisons
are ratios measured in the same run, on the same runtime. Each section below is written by one benchmark in
\`bench/\`, once per runtime; re-run one with \`npm run bench <name>\` (it replaces its own section and keeps the others).
`;
writeFileSync(resultsFile, `${header}\n${[...summary, ...sections].join('\n\n')}\n`);
process.stderr.write(
  `\nwrote bench/RESULTS.md (${sections.length} sections, ${fresh.size} from this run, ${list.length} runtimes)\n`,
);
