/**
 * The only reader of process.env. Every command builds its Config here, from flags first, then
 * the environment, then defaults, so `vigiles serve --data X` and `VIGILES_DATA_DIR=X` agree.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DatabaseConfig {
	/** A Postgres server (postgres.js) when set; otherwise embedded PGlite under `dataDir`. */
	databaseUrl: string | undefined;
	/** Folder for the embedded database and the process lock. */
	dataDir: string;
}

/** Where the checkpoint signing key lives and which public key verification trusts. */
export interface TrustConfig {
	/** Ed25519 private key (PKCS#8 PEM), created at first start with mode 0600. */
	signingKeyFile: string;
	/** A pinned public key (PEM text or a PEM file's path): the server refuses any other key. */
	pinnedPublicKey: string | undefined;
	/** Where to POST each signed checkpoint, so a copy lives outside this server. */
	checkpointUrl: string | undefined;
}

export interface ServerConfig extends DatabaseConfig, TrustConfig {
	port: number;
	host: string;
	/**
	 * The address users reach Vigiles at (for the setup link and the Secure cookie flag),
	 * e.g. `https://vigiles.example.org`. Defaults to `http://localhost:PORT`.
	 */
	publicUrl: string | undefined;
	/** Folder of the built UI (SvelteKit adapter-static output). */
	uiDir: string;
	/** Further browser origins allowed to use the API and the sync socket, e.g. a second hostname. */
	allowedOrigins: string[];
}

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface ConfigFlags {
	'signing-key'?: string;
	'public-key'?: string;
	'checkpoint-url'?: string;
	port?: string;
	host?: string;
	data?: string;
	'database-url'?: string;
	'public-url'?: string;
}

export class ConfigError extends Error {
	override name = 'ConfigError';
}

export function databaseConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
	const databaseUrl = nonEmpty(flags['database-url']) ?? nonEmpty(env.DATABASE_URL);
	const dataDir = path.resolve(nonEmpty(flags.data) ?? nonEmpty(env.VIGILES_DATA_DIR) ?? '.vigiles');
	return { databaseUrl, dataDir };
}

export function trustConfig(flags: ConfigFlags, dataDir: string, env: NodeJS.ProcessEnv = process.env): TrustConfig {
	const checkpointUrl = nonEmpty(flags['checkpoint-url']) ?? nonEmpty(env.VIGILES_CHECKPOINT_URL);
	if (checkpointUrl !== undefined && !/^https?:\/\//.test(checkpointUrl)) {
		throw new ConfigError(`checkpoint URL must start with http:// or https://, got "${checkpointUrl}"`);
	}
	return {
		signingKeyFile: path.resolve(nonEmpty(flags['signing-key']) ?? nonEmpty(env.VIGILES_SIGNING_KEY_FILE) ?? path.join(dataDir, 'signing-key.pem')),
		pinnedPublicKey: nonEmpty(flags['public-key']) ?? nonEmpty(env.VIGILES_PUBLIC_KEY),
		checkpointUrl
	};
}

export function serverConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv = process.env): ServerConfig {
	const rawPort = nonEmpty(flags.port) ?? nonEmpty(env.PORT) ?? '3000';
	const port = Number(rawPort);
	if (!Number.isInteger(port) || port < 0 || port > 65535) {
		throw new ConfigError(`port must be a whole number from 0 to 65535, got "${rawPort}"`);
	}
	const publicUrl = nonEmpty(flags['public-url']) ?? nonEmpty(env.VIGILES_PUBLIC_URL);
	if (publicUrl !== undefined && !/^https?:\/\/[^/]+\/?$/.test(publicUrl)) {
		throw new ConfigError(`public URL must look like https://host[:port], got "${publicUrl}"`);
	}
	const database = databaseConfig(flags, env);
	return {
		...database,
		...trustConfig(flags, database.dataDir, env),
		port,
		host: nonEmpty(flags.host) ?? nonEmpty(env.HOST) ?? '0.0.0.0',
		publicUrl: publicUrl?.replace(/\/$/, ''),
		allowedOrigins: (nonEmpty(env.VIGILES_ALLOWED_ORIGINS) ?? '')
			.split(',')
			.map((o) => o.trim().replace(/\/$/, ''))
			.filter((o) => o !== ''),
		uiDir: path.resolve(nonEmpty(env.VIGILES_UI_DIR) ?? path.join(PROJECT_ROOT, 'build'))
	};
}

function nonEmpty(value: string | undefined): string | undefined {
	return value === undefined || value.trim() === '' ? undefined : value;
}
