/**
 * The database engines every integration test runs on: embedded PGlite always, and a Postgres
 * server when TEST_DATABASE_URL is set. `freshDatabase` gives each test its own migrated
 * database, copied from the run's template (see global-setup.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { inject } from 'vitest';
import type { DatabaseConfig } from '../../server/config';
import { withDatabase } from './global-setup';

export type EngineName = 'pglite' | 'postgres';

export function engines(): EngineName[] {
	return inject('postgresTemplate') ? ['pglite', 'postgres'] : ['pglite'];
}

export interface FreshDatabase {
	engine: EngineName;
	config: DatabaseConfig;
	drop(): Promise<void>;
}

let counter = 0;

export async function freshDatabase(engine: EngineName): Promise<FreshDatabase> {
	const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'vigiles-db-'));
	if (engine === 'pglite') {
		const dataDir = path.join(scratch, 'data');
		fs.cpSync(inject('pgliteTemplate'), dataDir, { recursive: true });
		for (const name of fs.readdirSync(dataDir)) if (name.startsWith('vigiles.lock.')) fs.rmSync(path.join(dataDir, name), { force: true });
		return {
			engine,
			config: { databaseUrl: undefined, dataDir },
			drop: async () => fs.rmSync(scratch, { recursive: true, force: true })
		};
	}
	const baseUrl = process.env.TEST_DATABASE_URL as string;
	const template = inject('postgresTemplate') as string;
	const name = `vigiles_t${process.pid}x${++counter}_${inject('runId')}`;
	const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
	try {
		// Copying a template fails while another copy of it is running; retry briefly.
		for (let attempt = 0; ; attempt++) {
			try {
				await admin.unsafe(`create database "${name}" template "${template}"`);
				break;
			} catch (error) {
				if (attempt > 50 || !/being accessed by other users/.test((error as Error).message)) throw error;
				await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
			}
		}
	} finally {
		await admin.end();
	}
	return {
		engine,
		config: { databaseUrl: withDatabase(baseUrl, name), dataDir: path.join(scratch, 'data') },
		drop: async () => {
			const conn = postgres(baseUrl, { max: 1, onnotice: () => {} });
			await conn.unsafe(`drop database if exists "${name}" with (force)`);
			await conn.end();
			fs.rmSync(scratch, { recursive: true, force: true });
		}
	};
}
