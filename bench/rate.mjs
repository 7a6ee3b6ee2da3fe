// Throughput of a timed loop in this process: per wall-clock second and per CPU-second (GC threads included;
// the machine may be shared, so CPU time is the steadier per-core figure).

/** Starts timing a loop that should run for `ms` milliseconds; `done()` says when it has. */
export function startTiming(ms) {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(ms * 1e6));
  return {
    done: () => process.hrtime.bigint() >= end,
    /** The figures for `count` operations since the start. */
    rates(count) {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      return {
        count,
        wall,
        perSecond: Math.round(count / wall),
        perCpuSecond: Math.round(count / ((cpu.user + cpu.system) / 1e6)),
      };
    },
  };
}
