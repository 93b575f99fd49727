/**
 * A throwaway Vigiles server per engine for benchmarks: embedded PGlite in a temp folder, and a
 * Postgres server when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set, in a database created
 * for the run and dropped after.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { PROJECT_ROOT } from '../server/config';
import { memoryLogger } from '../server/logger';
import { startVigiles, type Vigiles } from '../server/main';
import { openDatabase, type Database } from '../server/db/database';
import { LogStore } from '../server/log/log-store';
import { loadOrCreateSigningKey } from '../server/log/signing-key';

export type BenchEngine = 'pglite' | 'postgres';

export function benchEngines(): BenchEngine[] {
	return process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

export interface BenchServer {
	vigiles: Vigiles;
	url: string;
	wsUrl: string;
	close(): Promise<void>;
}

interface Scratch {
	dir: string;
	databaseUrl: string | undefined;
	drop(): Promise<void>;
}

/** A temp folder, and on the postgres engine a database created for this run. */
async function scratchDatabase(engine: BenchEngine): Promise<Scratch> {
	const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vigiles-bench-'));
	let databaseUrl: string | undefined;
	let dropDatabase = async () => {};
	if (engine === 'postgres') {
		const base = (process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL) as string;
		const name = `vigiles_bench_${Date.now().toString(36)}`;
		const admin = postgres(base, { max: 1, onnotice: () => {} });
		await admin.unsafe(`create database "${name}"`);
		await admin.end();
		const url = new URL(base);
		url.pathname = `/${name}`;
		databaseUrl = url.toString();
		dropDatabase = async () => {
			const conn = postgres(base, { max: 1, onnotice: () => {} });
			await conn.unsafe(`drop database if exists "${name}" with (force)`);
			await conn.end();
		};
	}
	return {
		dir: scratch,
		databaseUrl,
		drop: async () => {
			await dropDatabase();
			fs.rmSync(scratch, { recursive: true, force: true });
		}
	};
}

/** A migrated database and a log store on it, without a server. */
export async function openBenchLog(engine: BenchEngine): Promise<{ database: Database; log: LogStore; close(): Promise<void> }> {
	const { dir, databaseUrl, drop } = await scratchDatabase(engine);
	const database = await openDatabase({ databaseUrl, dataDir: path.join(dir, 'data') });
	const { signer } = loadOrCreateSigningKey(path.join(dir, 'signing-key.pem'));
	const log = new LogStore(database, signer);
	await log.registerKey();
	return {
		database,
		log,
		close: async () => {
			await database.close();
			await drop();
		}
	};
}

export async function startBenchServer(engine: BenchEngine): Promise<BenchServer> {
	const { dir: scratch, databaseUrl, drop } = await scratchDatabase(engine);
	const vigiles = await startVigiles(
		{
			databaseUrl,
			dataDir: path.join(scratch, 'data'),
			port: 0,
			host: '127.0.0.1',
			publicUrl: undefined,
			uiDir: path.join(PROJECT_ROOT, 'build'),
			signingKeyFile: path.join(scratch, 'signing-key.pem'),
			pinnedPublicKey: undefined,
			checkpointUrl: undefined,
			allowedOrigins: []
		},
		{ logger: memoryLogger(), serveUi: false }
	);
	return {
		vigiles,
		url: `http://127.0.0.1:${vigiles.port}`,
		wsUrl: `ws://127.0.0.1:${vigiles.port}`,
		close: async () => {
			await vigiles.close();
			await drop();
		}
	};
}

export async function signIn(server: BenchServer, name: string): Promise<{ id: string; cookie: string }> {
	const email = `${name.toLowerCase()}@bench.example`;
	const password = 'benchmark-password';
	const user = await server.vigiles.users.create({ email, name, password, role: 'responder' });
	const res = await fetch(`${server.url}/api/auth/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email, password })
	});
	return { id: user.id, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] };
}

export function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function table(rows: Record<string, string | number>[]): void {
	console.table(rows);
}
