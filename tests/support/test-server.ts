/**
 * A real Vigiles server for a test: its own fresh database on the given engine, port 0,
 * a memory logger. Owns setup and teardown; `restart()` stops it and starts it again on the
 * same database, as a redeploy would.
 */
import path from 'node:path';
import { PROJECT_ROOT, type ServerConfig } from '../../server/config';
import { memoryLogger } from '../../server/logger';
import { startVigiles, type Vigiles } from '../../server/main';
import type { Role } from '../../server/users/user-store';
import { freshDatabase, type EngineName, type FreshDatabase } from './engines';

export interface TestUser {
	id: string;
	email: string;
	name: string;
	password: string;
	role: Role;
	/** `vigiles_session=…`, ready for a Cookie header. */
	cookie: string;
}

export interface TestServer {
	engine: EngineName;
	config: ServerConfig;
	vigiles: Vigiles;
	url: string;
	wsUrl: string;
	logger: ReturnType<typeof memoryLogger>;
	createUser(role?: Role, name?: string): Promise<TestUser>;
	login(email: string, password: string): Promise<string>;
	createIncident(user: TestUser, body?: Partial<{ title: string; kind: string; severity: number }>): Promise<{ id: string }>;
	api(user: TestUser | null, method: string, pathname: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers }>;
	restart(): Promise<void>;
	close(): Promise<void>;
}

let userCounter = 0;

export async function startTestServer(
	engine: EngineName,
	options: {
		publicUrl?: string;
		keepaliveMs?: number;
		checkpointIntervalMs?: number;
		snapshotEvery?: number;
		pinnedPublicKey?: string;
		checkpointUrl?: string;
		idleUnloadMs?: number;
		commitQueueLimit?: number;
		waitingMs?: number;
	} = {}
): Promise<TestServer> {
	const database: FreshDatabase = await freshDatabase(engine);
	const logger = memoryLogger();
	const startOptions = {
		keepaliveMs: options.keepaliveMs,
		checkpointIntervalMs: options.checkpointIntervalMs,
		snapshotEvery: options.snapshotEvery,
		idleUnloadMs: options.idleUnloadMs,
		commitQueueLimit: options.commitQueueLimit,
		waitingMs: options.waitingMs
	};
	const config: ServerConfig = {
		...database.config,
		port: 0,
		host: '127.0.0.1',
		publicUrl: options.publicUrl,
		uiDir: path.join(PROJECT_ROOT, 'build'),
		signingKeyFile: path.join(database.config.dataDir, '..', 'signing-key.pem'),
		pinnedPublicKey: options.pinnedPublicKey,
		checkpointUrl: options.checkpointUrl,
		allowedOrigins: []
	};
	let vigiles = await startVigiles(config, { logger, serveUi: false, ...startOptions });
	let port = vigiles.port;

	const server: TestServer = {
		engine,
		config,
		get vigiles() {
			return vigiles;
		},
		get url() {
			return `http://127.0.0.1:${port}`;
		},
		get wsUrl() {
			return `ws://127.0.0.1:${port}`;
		},
		logger,
		async createUser(role = 'responder', name?: string) {
			const n = ++userCounter;
			const email = `user${n}-${process.pid}@example.org`;
			const password = `password-${n}-long-enough`;
			const user = await vigiles.users.create({ email, name: name ?? `User ${n}`, password, role });
			const cookie = await server.login(email, password);
			return { id: user.id, email, name: user.name, password, role, cookie };
		},
		async login(email, password) {
			const res = await fetch(`${server.url}/api/auth/login`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ email, password })
			});
			if (res.status !== 200) throw new Error(`login failed with ${res.status}`);
			const setCookie = res.headers.get('set-cookie') ?? '';
			return setCookie.split(';')[0];
		},
		async createIncident(user, body = {}) {
			const res = await server.api(user, 'POST', '/api/incidents', {
				title: 'Checkout is down',
				kind: 'outage',
				severity: 2,
				...body
			});
			if (res.status !== 201) throw new Error(`create incident failed: ${res.status} ${JSON.stringify(res.json)}`);
			return res.json;
		},
		async api(user, method, pathname, body) {
			const headers: Record<string, string> = {};
			if (user) headers.cookie = user.cookie;
			if (body !== undefined) headers['content-type'] = 'application/json';
			const res = await fetch(`${server.url}${pathname}`, {
				method,
				headers,
				body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
			});
			const text = await res.text();
			let json: unknown = null;
			try {
				json = text ? JSON.parse(text) : null;
			} catch {
				json = text;
			}
			return { status: res.status, json, headers: res.headers };
		},
		async restart() {
			await vigiles.close();
			vigiles = await startVigiles({ ...config, port }, { logger, serveUi: false, ...startOptions });
			port = vigiles.port;
		},
		async close() {
			await vigiles.close();
			await database.drop();
		}
	};
	return server;
}
