/** Cumulative I/O of one block device since boot. */
export interface DiskCounters {
  readonly device: string;
  readonly readBytes: number;
  readonly writeBytes: number;
  readonly reads: number;
  readonly writes: number;
}

/** `/proc/diskstats` counts sectors of 512 bytes whatever the device's own sector size (kernel ABI). */
const SECTOR_BYTES = 512;

/**
 * Parse Linux `/proc/diskstats` into per-device counters, keeping only devices
 * `keep` accepts (whole disks: partitions would count the same bytes twice, and
 * loop/ram devices are not disks). Malformed lines are skipped.
 */
export function parseDiskstats(text: string, keep: (device: string) => boolean): DiskCounters[] {
  const out: DiskCounters[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 14) continue;
    const device = fields[2] as string;
    if (!keep(device)) continue;
    const reads = Number(fields[3]);
    const readSectors = Number(fields[5]);
    const writes = Number(fields[7]);
    const writeSectors = Number(fields[9]);
    if (![reads, readSectors, writes, writeSectors].every(Number.isFinite)) continue;
    out.push({
      device,
      reads,
      writes,
      readBytes: readSectors * SECTOR_BYTES,
      writeBytes: writeSectors * SECTOR_BYTES,
    });
  }
  return out;
}

/** Whole disks worth reporting: listed in `/sys/block`, but not loop, ram or zram devices. */
export function isReportedDisk(device: string, wholeDisks: ReadonlySet<string>): boolean {
  return wholeDisks.has(device) && !/^(loop|ram|zram)\d+$/.test(device);
}
