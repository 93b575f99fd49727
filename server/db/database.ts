/**
 * Opens the database on either engine and applies migrations: a Postgres server through
 * postgres.js when a URL is given, otherwise embedded PGlite in `DATA_DIR/pgdata`, guarded by a
 * one-process lock. Both give the same drizzle API, so nothing above this file knows which.
 */
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { PROJECT_ROOT, type DatabaseConfig } from '../config';
import { lockDataDir } from './data-dir-lock';
import * as schema from './schema';

export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** The transaction handle drizzle passes to `db.transaction(fn)`. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export type Engine = 'pglite' | 'postgres';

export interface Database {
	db: Db;
	engine: Engine;
	/**
	 * Claims the database for one serving process (rooms are held in memory and relays do not yet
	 * cross processes). PGlite is already one process's by its folder lock; on a Postgres server
	 * this holds a session advisory lock on a reserved connection. Resolves to its release.
	 */
	claimForServing(): Promise<() => Promise<void>>;
	/** Runs raw SQL and returns its rows, the same shape on both engines. */
	rows<T>(query: SQL): Promise<T[]>;
	close(): Promise<void>;
}

const MIGRATIONS = path.join(PROJECT_ROOT, 'drizzle');

export function pgliteDir(dataDir: string): string {
	return path.join(dataDir, 'pgdata');
}

export async function openDatabase(config: DatabaseConfig, options: { migrate?: boolean } = {}): Promise<Database> {
	const database = config.databaseUrl ? await openPostgres(config.databaseUrl) : await openPglite(config.dataDir);
	if (options.migrate !== false) {
		try {
			await migrateDatabase(database);
		} catch (error) {
			await database.close();
			throw error;
		}
	}
	return database;
}

/** Another `vigiles serve` already serves this database. */
export class DatabaseInUseError extends Error {
	override name = 'DatabaseInUseError';
}

/** The advisory lock key of a serving process ('vigi' as a number). */
const SERVE_LOCK_KEY = 0x76696769;

/** The database server cannot be reached (or refuses us); the message says where and why. */
export class DatabaseUnavailableError extends Error {
	override name = 'DatabaseUnavailableError';
}

/** `host:port/database`, without credentials, for messages. */
function describeUrl(url: string): string {
	try {
		const u = new URL(url);
		return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
	} catch {
		return '(an unparsable DATABASE_URL)';
	}
}

async function openPostgres(url: string): Promise<Database> {
	let client: ReturnType<typeof postgres>;
	try {
		client = postgres(url, {
			max: 10,
			connect_timeout: 10,
			onnotice: () => {},
			connection: { application_name: 'vigiles' }
		});
	} catch (error) {
		throw new DatabaseUnavailableError(`DATABASE_URL is not a usable Postgres URL: ${(error as Error).message}`);
	}
	try {
		await client`select 1`;
	} catch (error) {
		await client.end({ timeout: 1 }).catch(() => {});
		const e = error as { code?: string; message?: string };
		throw new DatabaseUnavailableError(`cannot reach the Postgres server at ${describeUrl(url)}: ${e.code ?? ''} ${e.message ?? ''}`.trim());
	}
	const db = drizzlePostgres(client, { schema }) as unknown as Db;
	return {
		db,
		engine: 'postgres',
		claimForServing: async () => {
			const reserved = await client.reserve();
			const [row] = await reserved<{ ok: boolean }[]>`select pg_try_advisory_lock(${SERVE_LOCK_KEY}) as ok`;
			if (!row?.ok) {
				reserved.release();
				throw new DatabaseInUseError(
					`another Vigiles server is already serving ${describeUrl(url)}; run one server per database (the commands verify, export, user create and migrate may run beside it)`
				);
			}
			return async () => {
				await reserved`select pg_advisory_unlock(${SERVE_LOCK_KEY})`.catch(() => {});
				reserved.release();
			};
		},
		rows: async <T>(query: SQL) => [...((await db.execute(query)) as unknown as T[])],
		close: () => client.end({ timeout: 5 })
	};
}

async function openPglite(dataDir: string): Promise<Database> {
	const lock = lockDataDir(dataDir);
	let client: PGlite;
	try {
		client = await PGlite.create(pgliteDir(dataDir));
	} catch (error) {
		lock.release();
		throw error;
	}
	const db = drizzlePglite(client, { schema }) as unknown as Db;
	return {
		db,
		engine: 'pglite',
		claimForServing: async () => async () => {},
		rows: async <T>(query: SQL) => ((await db.execute(query)) as unknown as { rows: T[] }).rows,
		close: async () => {
			try {
				await client.close();
			} finally {
				lock.release();
			}
		}
	};
}

export async function migrateDatabase(database: Database): Promise<void> {
	if (database.engine === 'postgres') {
		await migratePostgres(database.db as never, { migrationsFolder: MIGRATIONS });
	} else {
		await migratePglite(database.db as never, { migrationsFolder: MIGRATIONS });
	}
}

/** Connection-level failures that a retry can outlive (the server restarting, a network blip). */
export function isTransientDbError(error: unknown): boolean {
	const e = error as { code?: string; errno?: string; message?: string } | null;
	if (!e || typeof e !== 'object') return false;
	const code = String(e.code ?? e.errno ?? '');
	if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300') return true;
	if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
	if (/^CONNECTION_(CLOSED|ENDED|DESTROYED)$/.test(code) || code === 'CONNECT_TIMEOUT') return true;
	return false;
}

export { sql };
