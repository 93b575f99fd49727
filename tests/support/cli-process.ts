/**
 * Runs the real `vigiles` command as a child process, the way an operator would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../server/config';
import type { FreshDatabase } from './engines';

const BIN = path.join(PROJECT_ROOT, 'bin', 'vigiles.mjs');

export interface CliResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
}

/** The flags and environment that point a command at a test database on either engine. */
export function databaseArgs(database: FreshDatabase): { args: string[]; env: NodeJS.ProcessEnv } {
	const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '', VIGILES_DATA_DIR: '' };
	if (database.config.databaseUrl) return { args: [], env: { ...env, DATABASE_URL: database.config.databaseUrl } };
	return { args: ['--data', database.config.dataDir], env };
}

export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [BIN, ...args], { env: options.env ?? process.env, cwd: PROJECT_ROOT });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d) => (stdout += d));
		child.stderr.on('data', (d) => (stderr += d));
		child.on('error', reject);
		child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
		if (options.input !== undefined) child.stdin.end(options.input);
		else child.stdin.end();
	});
}

export interface ServeProcess {
	child: ChildProcess;
	url: string;
	output(): string;
	/** Sends a signal and resolves with the exit code. */
	stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `vigiles serve` on a free port and waits until it says where it listens. */
export function startServeProcess(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<ServeProcess> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--host', '127.0.0.1', ...args], {
			env,
			cwd: PROJECT_ROOT
		});
		let output = '';
		const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
			child.on('exit', (code, signal) => done({ code, signal }))
		);
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`vigiles serve did not start in time:\n${output}`));
		}, timeoutMs);
		const onData = (data: Buffer) => {
			output += data;
			const match = /listening on (http:\/\/\S+)/.exec(output);
			if (match) {
				clearTimeout(timer);
				resolve({
					child,
					url: match[1].replace('localhost', '127.0.0.1'),
					output: () => output,
					stop: (signal = 'SIGTERM') => {
						child.kill(signal);
						return exited;
					}
				});
			}
		};
		child.stdout.on('data', onData);
		child.stderr.on('data', onData);
		void exited.then(({ code }) => {
			clearTimeout(timer);
			reject(new Error(`vigiles serve exited early with ${code}:\n${output}`));
		});
	});
}
