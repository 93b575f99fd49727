/**
 * Runs once per `npx playwright test`: builds the UI if build/ is missing or older than its
 * sources, then starts one real Vigiles server per engine on a free port, each with two
 * responders and an observer created through the CLI beforehand (the CLI cannot open an
 * embedded database a server holds):
 *   pglite    always, in a fresh temporary --data folder
 *   postgres  when TEST_DATABASE_URL is set, in a fresh database vigiles_e2e_<random> made
 *             through that URL (and dropped at the end; nothing else there is touched)
 * Returns the teardown: SIGTERM each server, wait for it to exit, remove what was created.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { SERVERS_ENV, USERS, type E2eServers, type Engine } from './servers';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(ROOT, 'bin', 'vigiles.mjs');
const START_TIMEOUT_MS = 60_000;

interface Started {
	engine: Engine;
	url: string;
	child: ChildProcess;
	logFile: string;
}

export default async function globalSetup(): Promise<() => Promise<void>> {
	buildUiIfStale();
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigiles-e2e-'));
	const started: Started[] = [];
	const cleanups: (() => Promise<void>)[] = [() => Promise.resolve(fs.rmSync(tmp, { recursive: true, force: true }))];
	const teardown = async () => {
		await Promise.all(started.map(stopServer));
		for (const cleanup of cleanups.reverse()) await cleanup().catch((error) => console.error('e2e cleanup failed:', error));
	};

	try {
		const jobs: Promise<Started>[] = [startEngine('pglite', { VIGILES_DATA_DIR: path.join(tmp, 'pglite') }, tmp)];
		const baseUrl = process.env.TEST_DATABASE_URL;
		if (baseUrl) {
			const database = `vigiles_e2e_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
			const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
			await admin.unsafe(`create database "${database}"`);
			await admin.end();
			cleanups.push(async () => {
				const dropper = postgres(baseUrl, { max: 1, onnotice: () => {} });
				try {
					await dropper.unsafe(`drop database if exists "${database}" with (force)`);
				} finally {
					await dropper.end();
				}
			});
			jobs.push(
				startEngine(
					'postgres',
					{ DATABASE_URL: withDatabase(baseUrl, database), VIGILES_DATA_DIR: path.join(tmp, 'postgres') },
					tmp
				)
			);
		}
		const results = await Promise.allSettled(jobs);
		for (const result of results) if (result.status === 'fulfilled') started.push(result.value);
		const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
		if (failed) throw failed.reason;
	} catch (error) {
		await teardown();
		throw error;
	}

	const handoff: E2eServers = {
		servers: Object.fromEntries(started.map((s) => [s.engine, { engine: s.engine, url: s.url }])),
		users: USERS
	};
	process.env[SERVERS_ENV] = JSON.stringify(handoff);
	return teardown;
}

async function startEngine(engine: Engine, env: Record<string, string>, tmp: string): Promise<Started> {
	const childEnv = { ...process.env, ...env };
	// Never let a DATABASE_URL from the shell leak into the PGlite server.
	if (!env.DATABASE_URL) delete childEnv.DATABASE_URL;
	for (const user of Object.values(USERS)) {
		const result = await run(
			[CLI, 'user', 'create', '--email', user.email, '--name', user.name, '--role', user.role, '--password-stdin'],
			childEnv,
			`${user.password}\n`
		);
		if (result.code !== 0) throw new Error(`[${engine}] vigiles user create ${user.email} failed:\n${result.output}`);
	}

	const logFile = path.join(tmp, `${engine}-server.log`);
	const log = fs.openSync(logFile, 'a');
	const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--host', '127.0.0.1'], {
		cwd: ROOT,
		env: childEnv,
		stdio: ['ignore', 'pipe', log]
	});
	fs.closeSync(log);
	const url = await new Promise<string>((resolve, reject) => {
		let out = '';
		const timer = setTimeout(() => reject(new Error(`[${engine}] server did not start in time:\n${out}`)), START_TIMEOUT_MS);
		child.stdout!.setEncoding('utf8');
		child.stdout!.on('data', (chunk: string) => {
			out += chunk;
			fs.appendFileSync(logFile, chunk);
			const match = /listening on (http:\/\/\S+)/.exec(out);
			if (match) {
				clearTimeout(timer);
				resolve(match[1]);
			}
		});
		child.once('exit', (code) => {
			clearTimeout(timer);
			reject(new Error(`[${engine}] server exited with ${code} before listening:\n${out}\n${fs.readFileSync(logFile, 'utf8')}`));
		});
	}).catch((error) => {
		child.kill('SIGTERM');
		throw error;
	});
	await waitForHealth(url, engine);
	return { engine, url, child, logFile };
}

/** Runs the CLI without blocking, so both engines get ready at the same time. */
function run(args: string[], env: NodeJS.ProcessEnv, input: string): Promise<{ code: number | null; output: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
		let output = '';
		child.stdout.on('data', (chunk) => (output += chunk));
		child.stderr.on('data', (chunk) => (output += chunk));
		child.once('error', reject);
		child.once('close', (code) => resolve({ code, output }));
		child.stdin.end(input);
	});
}

async function waitForHealth(url: string, engine: Engine): Promise<void> {
	const deadline = Date.now() + START_TIMEOUT_MS;
	while (Date.now() < deadline) {
		try {
			const response = await fetch(`${url}/api/health`);
			if (response.ok) return;
		} catch {
			// Not answering yet.
		}
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	throw new Error(`[${engine}] ${url}/api/health did not answer`);
}

async function stopServer(server: Started): Promise<void> {
	const { child } = server;
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	child.kill('SIGTERM');
	const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
	await exited;
	clearTimeout(timer);
}

function withDatabase(url: string, database: string): string {
	const u = new URL(url);
	u.pathname = `/${database}`;
	return u.toString();
}

/** The same rule as scripts/start.mjs: rebuild when any UI source is newer than build/index.html. */
function buildUiIfStale(): void {
	const built = fs.statSync(path.join(ROOT, 'build', 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
	const sources = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package-lock.json'];
	const newest = Math.max(...sources.map((p) => newestMtime(path.join(ROOT, p))));
	if (built >= newest) return;
	console.log(built === 0 ? 'e2e: building the UI…' : 'e2e: UI sources changed; rebuilding…');
	const result = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
	if (result.status !== 0) throw new Error('e2e: the UI build failed; see the output above');
}

function newestMtime(target: string): number {
	const stat = fs.statSync(target, { throwIfNoEntry: false });
	if (!stat) return 0;
	if (!stat.isDirectory()) return stat.mtimeMs;
	let newest = stat.mtimeMs;
	for (const name of fs.readdirSync(target)) newest = Math.max(newest, newestMtime(path.join(target, name)));
	return newest;
}
