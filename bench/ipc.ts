// The bench's processes talk over Node's IPC channel: a child announces itself once ready, then
// answers the parent's questions (its counters) by id. Each target runs in its own process so its CPU
// time can be read alone.
import { fork, type ChildProcess } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { relative } from 'node:path';
import { ROOT_DIR } from '../lib/composition.ts';
import { prebuiltBundle } from '../lib/prebuilt.ts';

interface Question {
  id: number;
  ask: string;
  payload?: unknown;
}

type Answerer = (payload: unknown) => unknown;

/** In a child: answer `ask` messages with these handlers, then tell the parent what it needs to know. */
export function serveParent(ready: Record<string, unknown>, handlers: Record<string, Answerer> = {}): void {
  process.on('message', (message: Question) => {
    void (async () => {
      const handler = handlers[message.ask];
      try {
        const answer = handler ? await handler(message.payload) : null;
        process.send?.({ id: message.id, answer });
      } catch (error) {
        process.send?.({ id: message.id, error: String(error) });
      }
    })();
  });
  process.send?.({ ready });
  // The parent's exit ends the child too, even when the parent was killed.
  process.on('disconnect', () => process.exit(0));
}

/** A child process as the parent sees it: its pid, what it announced, and a way to ask it things. */
export interface BenchProcess<TReady = Record<string, unknown>> {
  pid: number;
  ready: TReady;
  ask<T>(question: string, payload?: unknown): Promise<T>;
  stop(graceMs?: number): Promise<void>;
}

const TSX = ['--import', 'tsx'];

/** Forks a bench script under tsx and waits for its `ready` message (or its death). */
export async function startProcess<TReady>(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  { timeoutMs = 300_000, execArgv = [] as string[] } = {},
): Promise<BenchProcess<TReady>> {
  // Its bundle from `npm run generate` while fresh (lib/prebuilt.ts), else the source under tsx.
  const bundle = prebuiltBundle(relative(ROOT_DIR, script));
  const child = fork(bundle ?? script, args, {
    env,
    execArgv: bundle ? execArgv : [...TSX, ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<TReady>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${script} ${args.join(' ')} not ready in ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.on('message', (m: { ready?: TReady }) => {
      if (m.ready) {
        clearTimeout(timer);
        resolve(m.ready);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} ${args.join(' ')} exited with ${code} before it was ready`));
    });
  });
  return wrap(child, ready);
}

function wrap<TReady>(child: ChildProcess, ready: TReady): BenchProcess<TReady> {
  let next = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  child.on('message', (m: { id?: number; answer?: unknown; error?: string }) => {
    if (m.id === undefined) return;
    const waiter = pending.get(m.id);
    pending.delete(m.id);
    if (m.error) waiter?.reject(new Error(m.error));
    else waiter?.resolve(m.answer);
  });
  return {
    pid: child.pid as number,
    ready,
    ask<T>(ask: string, payload?: unknown) {
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: (v) => resolve(v as T), reject });
        child.send({ id, ask, payload });
      });
    },
    stop: (graceMs?: number) => stopChild(child, graceMs),
  };
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

async function statOf(pid: number): Promise<{ ppid: number; ticks: number } | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/**
 * CPU time (user + system, ms) of each root process and every live descendant (a CLI may run its
 * server in a worker process), read from /proc in one pass: the figure shared cores blur least.
 */
export async function cpuMsOfTrees(roots: number[]): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const stats = new Map<number, { ppid: number; ticks: number }>();
  await Promise.all(
    pids.map(async (pid) => {
      const s = await statOf(pid);
      if (s) stats.set(pid, s);
    }),
  );
  const children = new Map<number, number[]>();
  for (const [pid, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  return roots.map((root) => {
    let ticks = 0;
    const seen = new Set<number>();
    const queue = [root];
    while (queue.length) {
      const pid = queue.pop() as number;
      if (seen.has(pid)) continue;
      seen.add(pid);
      ticks += stats.get(pid)?.ticks ?? 0;
      queue.push(...(children.get(pid) ?? []));
    }
    return (ticks * 1000) / TICKS_PER_SECOND;
  });
}

/** CPU time (user + system, ms) of a process and every live descendant; see `cpuMsOfTrees`. */
export async function cpuMsOfTree(root: number): Promise<number> {
  const [ms] = await cpuMsOfTrees([root]);
  return ms as number;
}
