import { describe, expect, it } from 'vitest';
import type { RunningGateway, RunUpOptions } from '../../../src/cli/gateway-loader.js';
import { runCli } from '../../../src/cli/program.js';
import { GatehouseError } from '../../../src/core/errors.js';
import { testIo } from './support/cli-io.js';

/** A stand-in gateway: counts close() calls and lets the test decide when close finishes. */
function fakeGateway() {
  const calls = { up: [] as RunUpOptions[], serve: [] as string[], close: 0 };
  let finishClose: () => void = () => undefined;
  const gateway: RunningGateway = {
    close: () => {
      calls.close++;
      return new Promise<void>((r) => {
        finishClose = r;
      });
    },
  };
  const module = {
    runUp: async (o: RunUpOptions) => {
      calls.up.push(o);
      return gateway;
    },
    runServe: async (o: { configPath: string }) => {
      calls.serve.push(o.configPath);
      return gateway;
    },
  };
  return { module, calls, finishClose: () => finishClose() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('gatehouse up / serve', () => {
  it('up passes its flags and the resolved data dir, and closes once on SIGTERM then exits 0', async () => {
    const g = fakeGateway();
    const t = testIo({ gateway: g.module, env: { GATEHOUSE_HOME: '/tmp/gh-home' } });
    const run = runCli(['up', '--pg-port', '0', '--api-port', '9000', '--host', '0.0.0.0'], t.io);
    await tick();
    expect(g.calls.up).toHaveLength(1);
    expect(g.calls.up[0]).toMatchObject({
      dataDir: '/tmp/gh-home',
      host: '0.0.0.0',
      pgPort: 0,
      apiPort: 9000,
    });
    expect(g.calls.up[0]?.out).toBe(t.io.stdout);
    t.signals.emit('SIGTERM');
    t.signals.emit('SIGTERM');
    await tick();
    expect(g.calls.close).toBe(1);
    // The second signal did not wait for close().
    expect(t.exits).toEqual([143]);
    g.finishClose();
    expect(await run).toBe(0);
    expect(t.exits).toEqual([143, 0]);
  });

  it('up uses the documented default ports and host', async () => {
    const g = fakeGateway();
    const t = testIo({ gateway: g.module });
    void runCli(['--data-dir', '/tmp/x', 'up'], t.io);
    await tick();
    expect(g.calls.up[0]).toMatchObject({
      dataDir: '/tmp/x',
      host: '127.0.0.1',
      pgPort: 5433,
      apiPort: 8433,
    });
    t.signals.emit('SIGINT');
    g.finishClose();
    await tick();
    expect(t.exits).toEqual([0]);
  });

  it('up rotates gatehouse.log at 10 MiB keeping 5 files unless --log-max-size / --log-max-files say otherwise', async () => {
    for (const [args, rotation] of [
      [[], { maxBytes: 10 * 1024 * 1024, maxFiles: 5 }],
      [['--log-max-size', '512k', '--log-max-files', '3'], { maxBytes: 512 * 1024, maxFiles: 3 }],
      [['--log-max-size', '2MB'], { maxBytes: 2 * 1024 * 1024, maxFiles: 5 }],
    ] as const) {
      const g = fakeGateway();
      const t = testIo({ gateway: g.module });
      void runCli(['up', ...args], t.io);
      await tick();
      expect(g.calls.up[0]?.logRotation).toEqual(rotation);
      t.signals.emit('SIGINT');
      g.finishClose();
      await tick();
    }
  });

  it('a log size below 1 KiB or a file count of 0 is a usage error', async () => {
    const small = testIo({ gateway: fakeGateway().module });
    expect(await runCli(['up', '--log-max-size', '100'], small.io)).toBe(1);
    expect(small.stderr()).toContain('is not a size of at least 1024 bytes');
    const none = testIo({ gateway: fakeGateway().module });
    expect(await runCli(['up', '--log-max-files', '0'], none.io)).toBe(1);
    expect(none.stderr()).toContain('is not a whole number of at least 1');
  });

  it('an out-of-range port is a usage error', async () => {
    const t = testIo({ gateway: fakeGateway().module });
    expect(await runCli(['up', '--pg-port', '70000'], t.io)).toBe(1);
    expect(t.stderr()).toContain('is not a port number');
  });

  it('serve passes an absolute config path', async () => {
    const g = fakeGateway();
    const t = testIo({ gateway: g.module });
    void runCli(['serve', '--config', 'gatehouse.yaml'], t.io);
    await tick();
    expect(g.calls.serve).toEqual([`${process.cwd()}/gatehouse.yaml`]);
    t.signals.emit('SIGINT');
    g.finishClose();
    await tick();
    expect(t.exits).toEqual([0]);
  });

  it('serve drains for shutdown.drainSeconds unless --drain-timeout says; up for 3 s; stages go to stdout', async () => {
    for (const [command, args, drainMs] of [
      ['serve', [], 7000],
      ['serve', ['--drain-timeout', '30s'], 30_000],
      ['up', [], 3000],
      ['up', ['--drain-timeout', '1m'], 60_000],
    ] as const) {
      const stops: Array<{ drainMs?: number }> = [];
      const gateway: RunningGateway = {
        drainMs: 7000,
        close: async (o) => {
          stops.push({ ...(o?.drainMs !== undefined ? { drainMs: o.drainMs } : {}) });
          o?.progress?.('Store closed');
        },
      };
      const module = { runUp: async () => gateway, runServe: async () => gateway };
      const t = testIo({ gateway: module });
      const run = runCli(
        command === 'serve' ? ['serve', '--config', 'g.yaml', ...args] : ['up', ...args],
        t.io,
      );
      await tick();
      t.signals.emit('SIGTERM');
      expect(await run).toBe(0);
      expect(stops).toEqual([{ drainMs }]);
      expect(t.stdout()).toBe('Store closed\nStopped\n');
    }
  });

  it('serve on SIGUSR2 hands over to a successor, then drains; a failed handover keeps it serving', async () => {
    let handOvers = 0;
    let fail = true;
    let closes = 0;
    const gateway: RunningGateway = {
      drainMs: 5000,
      close: async () => {
        closes++;
      },
      handOver: async () => {
        handOvers++;
        if (fail) throw new Error('the successor process 42 failed: exited (1) before it was ready');
        return { pid: 4242 };
      },
    };
    const t = testIo({ gateway: { runUp: async () => gateway, runServe: async () => gateway } });
    const run = runCli(['serve', '--config', 'g.yaml'], t.io);
    await tick();
    t.signals.emit('SIGUSR2');
    await tick();
    expect(closes).toBe(0);
    expect(t.stdout()).toContain('Rolling restart abandoned: still serving');
    fail = false;
    t.signals.emit('SIGUSR2');
    expect(await run).toBe(0);
    expect({ handOvers, closes }).toEqual({ handOvers: 2, closes: 1 });
    expect(t.stdout().split('\n').slice(-4)).toEqual([
      'Rolling restart: starting a successor process',
      'Successor ready (pid 4242): it accepts connections now',
      'Stopped',
      '',
    ]);
  });

  it('a start-up GatehouseError prints "gatehouse: <message> [<code>]" and exits 1', async () => {
    const t = testIo({
      gateway: {
        runUp: async () => {
          throw new GatehouseError('GH_PORT_IN_USE', { host: '127.0.0.1', port: 5433, flag: '--pg-port' });
        },
        runServe: async () => {
          throw new Error('unused');
        },
      },
    });
    expect(await runCli(['up'], t.io)).toBe(1);
    expect(t.stderr()).toBe(
      'gatehouse: port 5433 on 127.0.0.1 is already in use: choose another with --pg-port [GH_PORT_IN_USE]\n',
    );
  });

  it('a failing close is reported and exits 1', async () => {
    const t = testIo({
      gateway: {
        runUp: async () => ({ close: async () => Promise.reject(new Error('store did not stop')) }),
        runServe: async () => ({ close: async () => undefined }),
      },
    });
    const run = runCli(['up'], t.io);
    await tick();
    t.signals.emit('SIGINT');
    await run;
    expect(t.exits).toEqual([1]);
    expect(t.stderr()).toContain('gatehouse: store did not stop');
  });
});
