import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Child processes of the real command, for tests and benchmarks. No vitest here: bench/ imports it.

export const CLI = fileURLToPath(new URL('../../bin/groupgraph.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `groupgraph …` to completion. */
export function runCli(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return runNode([CLI, ...args], env);
}

/** Runs `node <args>` to completion, capturing its output. */
export function runNode(args: string[], env: Record<string, string | undefined>, cwd?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface StartServerOptions {
  /** Gives up (and kills the process) when it has not said where it listens by then (default 90 s: a busy CI machine can take that long to start the embedded database). */
  timeoutMs?: number;
  /** Copies the server's stderr to ours as it comes (warnings during a long benchmark). */
  echoStderr?: boolean;
}

/** Starts `groupgraph serve` on a free port of 127.0.0.1 with `env` on top of ours, and waits until it says where it listens. */
export function startServer(
  env: Record<string, string | undefined>,
  options: StartServerOptions = {},
): Promise<ServerProcess> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (data: Buffer) => {
      output += data;
      const match = output.match(/serving GraphiQL at (http:\/\/\S+)\/graphql/);
      if (match) {
        clearTimeout(timer);
        resolve({
          child,
          url: match[1]!,
          output: () => output,
          stop(signal = 'SIGTERM') {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (data: Buffer) => {
      onData(data);
      if (options.echoStderr) process.stderr.write(data);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
}
