/**
 * The composition root: config → database → stores → rooms → HTTP app and sync server → listen.
 * `startVigiles` is what `vigiles serve` runs and what the integration tests start on port 0.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { SessionStore } from './auth/session-store';
import { SetupToken } from './auth/setup-token';
import type { ServerConfig } from './config';
import { openDatabase, type Database } from './db/database';
import { createApp } from './http/app';
import { IncidentStore } from './incidents/incident-store';
import { LogStore } from './log/log-store';
import { consoleLogger, type Logger } from './logger';
import { RoomRegistry } from './sync/room-registry';
import { SyncServer } from './sync/upgrade';
import { UserStore } from './users/user-store';

export interface Vigiles {
	/** Where it listens, e.g. `http://127.0.0.1:3000`. */
	url: string;
	port: number;
	database: Database;
	users: UserStore;
	incidents: IncidentStore;
	log: LogStore;
	rooms: RoomRegistry;
	/** The one-time setup link, when the server started with no users. */
	setupUrl: string | null;
	/** Commits pending log writes, closes sockets and the database. Safe to call twice. */
	close(): Promise<void>;
}

export interface StartOptions {
	logger?: Logger;
	/** Skip the built UI (API and sync only). */
	serveUi?: boolean;
	idleUnloadMs?: number;
	/** How long a sync connection may go without a message before it gets a keepalive. */
	keepaliveMs?: number;
}

/** How long shutdown waits for pending log writes before closing anyway. */
const SHUTDOWN_DRAIN_MS = 10_000;

export async function startVigiles(config: ServerConfig, options: StartOptions = {}): Promise<Vigiles> {
	const logger = options.logger ?? consoleLogger();
	const database = await openDatabase(config);
	const users = new UserStore(database.db);
	const sessions = new SessionStore(database.db);
	const incidents = new IncidentStore(database.db);
	const log = new LogStore(database);
	const rooms = new RoomRegistry({ log, logger, idleUnloadMs: options.idleUnloadMs });
	const setupToken = new SetupToken();
	const sync = new SyncServer({ sessions, incidents, rooms, logger, keepaliveMs: options.keepaliveMs });

	const app = createApp({
		users,
		sessions,
		incidents,
		log,
		rooms,
		setupToken,
		logger,
		publicUrl: config.publicUrl,
		uiDir: options.serveUi === false ? null : config.uiDir
	});

	let server: Server;
	try {
		server = await new Promise<Server>((resolve, reject) => {
			const s = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, () => resolve(s as Server));
			(s as Server).once('error', reject);
		});
	} catch (error) {
		await database.close();
		throw error;
	}
	server.on('clientError', (_error, socket) => socket.destroy());
	sync.attach(server);

	const port = (server.address() as AddressInfo).port;
	const localHost = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
	const url = `http://${localHost}:${port}`;
	const base = config.publicUrl ?? url;

	let setupUrl: string | null = null;
	if ((await users.count()) === 0) setupUrl = `${base}/setup#${setupToken.issue()}`;

	const pruner = setInterval(() => void sessions.prune().catch(() => {}), 60 * 60 * 1000);
	pruner.unref();

	let closing: Promise<void> | null = null;
	const close = () =>
		(closing ??= (async () => {
			clearInterval(pruner);
			sync.stop();
			const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
			await rooms.shutdown(SHUTDOWN_DRAIN_MS);
			server.closeAllConnections();
			await stopped;
			await database.close();
		})());

	return { url, port, database, users, incidents, log, rooms, setupUrl, close };
}
