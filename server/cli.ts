/**
 * The `vigiles` command. Every command that touches the database takes the same
 * `--data DIR` / VIGILES_DATA_DIR / DATABASE_URL, resolved in config.ts.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, databaseConfig, serverConfig, trustConfig, type ConfigFlags } from './config';
import { IncidentStore } from './incidents/incident-store';
import { buildBundle, writeBundle } from './log/export-bundle';
import { IncidentVerifier } from './log/incident-verifier';
import { SigningKeyError, trustedPublicKey } from './log/signing-key';
import { DataDirLockedError } from './db/data-dir-lock';
import { DatabaseInUseError, DatabaseUnavailableError, openDatabase } from './db/database';
import { seedDemo } from './demo/seed-demo';
import { emailField, nameField, passwordField } from './http/auth-routes';
import { consoleLogger } from './logger';
import { startVigiles } from './main';
import { EmailTakenError, ROLES, UserStore, type Role } from './users/user-store';

const USAGE = `Usage: vigiles <command> [options]

Commands:
  serve [--port N] [--host H] [--data DIR] [--public-url URL] [--checkpoint-url URL]
                        Run the server (UI, /api and /sync on one port).
  migrate [--data DIR]  Apply database migrations and exit.
  user create --email E --name N [--admin | --role admin|responder|observer] --password-stdin [--data DIR]
                        Add a user; the password is read from standard input.
  demo [--port N] [--data DIR]
                        Create a demo admin and the GitHub 2018 incident, then serve.
  verify <incidentId | --all> [--data DIR] [--public-key PEM-or-file]
                        Check the log's chain and signed checkpoints; prints a JSON report and
                        exits 1 naming the first bad seq.
  export <incidentId> --out DIR [--force] [--data DIR]
                        Write an offline-verifiable bundle (manifest, events, checkpoints,
                        public key, verify.mjs) into DIR; an existing bundle there is kept
                        unless --force.
  list [--data DIR]     The incidents, newest first: id, kind, severity, status, title.

Database: --database-url URL or DATABASE_URL selects a Postgres server; otherwise the embedded
database lives in --data DIR, VIGILES_DATA_DIR, or ./.vigiles (./.vigiles-demo for demo).
Keys: the checkpoint signing key is --signing-key FILE / VIGILES_SIGNING_KEY_FILE (default
DATA_DIR/signing-key.pem); pin its public key with --public-key / VIGILES_PUBLIC_KEY.`;

class UsageError extends Error {}

const common = {
	data: { type: 'string' },
	'database-url': { type: 'string' },
	'signing-key': { type: 'string' },
	'public-key': { type: 'string' },
	help: { type: 'boolean', short: 'h' }
} as const;

async function main(argv: string[]): Promise<number> {
	const [command, ...rest] = argv;
	switch (command) {
		case 'serve':
			return serveCommand(rest, false);
		case 'demo':
			return serveCommand(rest, true);
		case 'migrate':
			return migrateCommand(rest);
		case 'verify':
			return verifyCommand(rest);
		case 'export':
			return exportCommand(rest);
		case 'list':
			return listCommand(rest);
		case 'user':
			if (rest[0] === 'create') return userCreateCommand(rest.slice(1));
			throw new UsageError(`unknown user command "${rest[0] ?? ''}"; try "vigiles user create"`);
		case undefined:
		case 'help':
		case '--help':
		case '-h':
			console.log(USAGE);
			return command === undefined ? 2 : 0;
		default:
			throw new UsageError(`unknown command "${command}"`);
	}
}

type ArgOptions = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

function parse(args: string[], options: ArgOptions) {
	return parseWithPositionals(args, options, 0).values;
}

function parseWithPositionals(args: string[], options: ArgOptions, positionals: number) {
	try {
		const parsed = parseArgs({ args, options: { ...common, ...options }, allowPositionals: positionals > 0, strict: true });
		if (parsed.positionals.length > positionals) throw new Error(`unexpected argument "${parsed.positionals[positionals]}"`);
		return parsed;
	} catch (error) {
		throw new UsageError((error as Error).message);
	}
}

async function verifyCommand(args: string[]): Promise<number> {
	const { values, positionals } = parseWithPositionals(args, { all: { type: 'boolean' } }, 1);
	const flags = values as ConfigFlags & { all?: boolean };
	if (!flags.all && positionals.length === 0) throw new UsageError('name an incident id, or pass --all');
	if (flags.all && positionals.length > 0) throw new UsageError('pass an incident id or --all, not both');
	const config = databaseConfig(flags);
	const trusted = trustedPublicKey(trustConfig(flags, config.dataDir));
	const database = await openDatabase(config);
	try {
		const verifier = new IncidentVerifier(database, trusted);
		const incidents = new IncidentStore(database.db);
		const ids = flags.all ? (await incidents.listAll()).map((i) => i.id) : positionals;
		for (const id of ids) {
			if (!(await incidents.exists(id))) {
				console.error(`vigiles: incident ${id} not found`);
				return 1;
			}
		}
		const reports = [];
		for (const id of ids) reports.push(await verifier.verify(id));
		const ok = reports.every((r) => r.ok);
		console.log(JSON.stringify(flags.all ? { ok, incidents: reports } : reports[0], null, 2));
		for (const report of reports.filter((r) => !r.ok)) {
			console.error(`vigiles: incident ${report.incident} FAILED at seq ${report.firstBadSeq ?? '?'}: ${report.problems[0]?.message ?? ''}`);
		}
		return ok ? 0 : 1;
	} finally {
		await database.close();
	}
}

async function exportCommand(args: string[]): Promise<number> {
	const { values, positionals } = parseWithPositionals(args, { out: { type: 'string' }, force: { type: 'boolean' } }, 1);
	const flags = values as ConfigFlags & { out?: string; force?: boolean };
	if (positionals.length === 0) throw new UsageError('name the incident to export');
	if (!flags.out) throw new UsageError('--out DIR is required');
	if (!flags.force && fs.existsSync(path.join(flags.out, 'manifest.json'))) {
		console.error(`vigiles: ${path.resolve(flags.out)} already holds an export; choose another folder, or pass --force to replace it`);
		return 1;
	}
	const config = databaseConfig(flags);
	const trusted = trustedPublicKey(trustConfig(flags, config.dataDir));
	const database = await openDatabase(config);
	try {
		const incident = await new IncidentStore(database.db).get(positionals[0]);
		if (!incident) {
			console.error(`vigiles: incident ${positionals[0]} not found`);
			return 1;
		}
		const files = await buildBundle(database, incident, trusted.key);
		writeBundle(flags.out, files);
		console.log(`exported incident ${incident.id} (${incident.headSeq} rows) to ${path.resolve(flags.out)}; check it with: cd ${flags.out} && node verify.mjs`);
		return 0;
	} finally {
		await database.close();
	}
}

async function listCommand(args: string[]): Promise<number> {
	const flags = parse(args, {}) as ConfigFlags;
	const database = await openDatabase(databaseConfig(flags));
	try {
		const incidents = await new IncidentStore(database.db).listAll();
		if (incidents.length === 0) console.log('no incidents yet');
		for (const i of incidents) {
			const status = i.closedAt ? 'closed' : i.status;
			console.log([i.id, i.kind.padEnd(8), `SEV${i.severity}`, status.padEnd(12), i.title].join('  '));
		}
		return 0;
	} finally {
		await database.close();
	}
}

async function serveCommand(args: string[], demo: boolean): Promise<number> {
	const flags = parse(args, {
		port: { type: 'string' },
		host: { type: 'string' },
		'public-url': { type: 'string' },
		'checkpoint-url': { type: 'string' }
	}) as ConfigFlags & { help?: boolean };
	if (flags.help) {
		console.log(USAGE);
		return 0;
	}
	if (demo && !flags.data && !process.env.VIGILES_DATA_DIR) flags.data = '.vigiles-demo';
	const config = serverConfig(flags);
	const logger = consoleLogger();
	const vigiles = await startVigiles(config, { logger });
	const where = config.databaseUrl ? 'a Postgres server (DATABASE_URL)' : `embedded PGlite in ${config.dataDir}`;
	console.log(
		`Vigiles is listening on ${vigiles.url}${config.publicUrl ? ` (public URL ${config.publicUrl})` : ''} (database: ${where})`
	);
	console.log(
		`Checkpoints are signed with key ${vigiles.signer.keyId} (${vigiles.keyCreated ? 'created now in' : 'from'} ${config.signingKeyFile}).` +
			(config.pinnedPublicKey ? ' It matches the pinned public key.' : ' Pin this public key with VIGILES_PUBLIC_KEY:') +
			`\n${config.pinnedPublicKey ? '' : vigiles.signer.publicKeyPem}`
	);

	if (demo) {
		const seeded = await seedDemo(vigiles);
		console.log(
			`\nDemo ready. Sign in at ${config.publicUrl ?? vigiles.url}/login\n  email:    ${seeded.email}\n  password: ${seeded.password}\n` +
				`The GitHub 2018-10-21 incident: ${config.publicUrl ?? vigiles.url}/incidents/${seeded.incidentId}\n`
		);
	} else if (vigiles.setupUrl) {
		console.log(`\nNo users yet. Create the first admin (this link works once):\n  ${vigiles.setupUrl}\n`);
	}

	await new Promise<void>((resolve) => {
		let stopping = false;
		const stop = (signal: string) => {
			if (stopping) return;
			stopping = true;
			logger.info(`${signal} received; finishing log writes and closing`);
			void vigiles.close().then(resolve, (error) => {
				logger.error('error while shutting down', { error });
				resolve();
			});
		};
		// Repeats are ignored, not fatal: under `npm start`, Ctrl-C reaches this process twice
		// (from the terminal and forwarded by npm), and shutdown is bounded anyway.
		process.on('SIGTERM', () => stop('SIGTERM'));
		process.on('SIGINT', () => stop('SIGINT'));
	});
	console.log('Vigiles stopped.');
	return 0;
}

async function migrateCommand(args: string[]): Promise<number> {
	const flags = parse(args, {}) as ConfigFlags;
	const config = databaseConfig(flags);
	const database = await openDatabase(config);
	await database.close();
	console.log(`migrations applied (${config.databaseUrl ? 'Postgres server' : config.dataDir})`);
	return 0;
}

async function userCreateCommand(args: string[]): Promise<number> {
	const flags = parse(args, {
		email: { type: 'string' },
		name: { type: 'string' },
		admin: { type: 'boolean' },
		role: { type: 'string' },
		'password-stdin': { type: 'boolean' }
	}) as ConfigFlags & { email?: string; name?: string; admin?: boolean; role?: string; 'password-stdin'?: boolean };
	if (!flags['password-stdin']) throw new UsageError('pass the password on standard input with --password-stdin');
	if (flags.admin && flags.role && flags.role !== 'admin') throw new UsageError('--admin and --role disagree');
	const role = (flags.admin ? 'admin' : (flags.role ?? 'responder')) as Role;
	if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
	const email = check('--email', emailField, flags.email);
	const name = check('--name', nameField, flags.name);
	const password = check('password (standard input)', passwordField, (await readStdin()).replace(/\r?\n$/, ''));

	const database = await openDatabase(databaseConfig(flags));
	try {
		const user = await new UserStore(database.db).create({ email, name, password, role });
		console.log(`created ${user.role} ${user.email} (${user.id})`);
		return 0;
	} catch (error) {
		if (error instanceof EmailTakenError) {
			console.error(`vigiles: ${error.message}`);
			return 1;
		}
		throw error;
	} finally {
		await database.close();
	}
}

function check<T>(what: string, schema: z.ZodType<T>, value: unknown): T {
	if (value === undefined) throw new UsageError(`${what} is required`);
	const result = schema.safeParse(value);
	if (!result.success) throw new UsageError(`${what}: ${result.error.issues[0].message}`);
	return result.data;
}

async function readStdin(): Promise<string> {
	if (process.stdin.isTTY) throw new UsageError('--password-stdin reads the password from a pipe, e.g. echo "$PW" | vigiles user create …');
	const chunks: Buffer[] = [];
	for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks).toString('utf8');
}

main(process.argv.slice(2)).then(
	(code) => process.exit(code),
	(error) => {
		if (error instanceof UsageError) {
			console.error(`vigiles: ${error.message}\n\n${USAGE}`);
			process.exit(2);
		}
		if (
			error instanceof DataDirLockedError ||
			error instanceof ConfigError ||
			error instanceof SigningKeyError ||
			error instanceof DatabaseUnavailableError ||
			error instanceof DatabaseInUseError
		) {
			console.error(`vigiles: ${error.message}`);
			process.exit(1);
		}
		if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
			console.error(`vigiles: the port is already in use (${(error as Error).message}); choose another with --port or PORT`);
			process.exit(1);
		}
		console.error('vigiles: failed:', error);
		process.exit(1);
	}
);
