/**
 * The composition root: config → database → stores → rooms → HTTP app and sync server → listen.
 * `startVigiles` is what `vigiles serve` runs and what the integration tests start on port 0.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { ApiTokenStore } from './auth/api-token-store';
import { LoginThrottle } from './auth/login-throttle';
import { SessionStore } from './auth/session-store';
import { SetupToken } from './auth/setup-token';
import type { ServerConfig } from './config';
import { openDatabase, type Database } from './db/database';
import { createApp } from './http/app';
import { IncidentStore } from './incidents/incident-store';
import { MemberStore } from './incidents/member-store';
import { LinkStore } from './share/link-store';
import { ShareHub } from './share/share-hub';
import { CheckpointPublisher } from './log/checkpoint-publisher';
import { keyIdOf } from './log/log-chain.mjs';
import { LogStore } from './log/log-store';
import { IncidentVerifier } from './log/incident-verifier';
import { IntegrityChecks } from './review/integrity-checks';
import { Replayer } from './review/replayer';
import { WorkLimiter } from './review/work-limiter';
import { keyFileTooOpen, loadOrCreateSigningKey, readPinnedKey, SigningKeyError, trustedPublicKey, type Signer } from './log/signing-key';
import { consoleLogger, type Logger } from './logger';
import { OpenConnections } from './sync/open-connections';
import { RoomRegistry } from './sync/room-registry';
import { IncidentLock } from './incidents/incident-lock';
import { TemplateStore } from './incidents/template-store';
import { SearchIndex } from './review/search-index';
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
	verifier: IncidentVerifier;
	/** The review work limiter (replays, verification for readers, bundle exports). */
	reviewWork: WorkLimiter;
	/** The one-time setup link, when the server started with no users. */
	setupUrl: string | null;
	/** The checkpoint signing key, and whether this start created it. */
	signer: Signer;
	keyCreated: boolean;
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
	/** At most one checkpoint per incident this often while it changes (default 60 s). */
	checkpointIntervalMs?: number;
	/** Rows between snapshots (default 1000). */
	snapshotEvery?: number;
	/** Uncommitted changes per room before it stops reading from its sockets (default 2000). */
	commitQueueLimit?: number;
	/** How long an out-of-order update may wait for the content it continues (default 10 s). */
	waitingMs?: number;
}

/** How long shutdown waits for pending log writes before closing anyway. */
const SHUTDOWN_DRAIN_MS = 10_000;

export async function startVigiles(config: ServerConfig, options: StartOptions = {}): Promise<Vigiles> {
	const logger = options.logger ?? consoleLogger();
	const { signer, created: keyCreated } = loadSigner(config, logger);
	const database = await openDatabase(config);
	let releaseServing: () => Promise<void>;
	try {
		releaseServing = await database.claimForServing();
	} catch (error) {
		await database.close();
		throw error;
	}
	const users = new UserStore(database.db);
	const sessions = new SessionStore(database.db);
	const tokens = new ApiTokenStore(database.db);
	const incidents = new IncidentStore(database.db);
	const members = new MemberStore(database.db);
	const links = new LinkStore(database.db);
	const log = new LogStore(database, signer);
	await log.registerKey();
	const verifier = new IncidentVerifier(database, trustedPublicKey(config));
	const publisher = config.checkpointUrl ? new CheckpointPublisher(config.checkpointUrl, signer.publicKeyPem, logger) : null;
	const rooms = new RoomRegistry({
		log,
		logger,
		idleUnloadMs: options.idleUnloadMs,
		checkpointIntervalMs: options.checkpointIntervalMs,
		snapshotEvery: options.snapshotEvery,
		commitQueueLimit: options.commitQueueLimit,
		waitingMs: options.waitingMs,
		onCheckpoint: publisher ? (checkpoint) => publisher.publish(checkpoint) : undefined,
		onCommitted: (incidentId) => share.changed(incidentId)
	});
	const share = new ShareHub(rooms, logger);
	const connections = new OpenConnections();
	const setupToken = new SetupToken();
	/** Costly reads of the record (replays, verification for readers, bundle exports) share two slots. */
	const reviewWork = new WorkLimiter();
	const sync = new SyncServer({
		sessions,
		tokens,
		incidents,
		rooms,
		connections,
		logger,
		keepaliveMs: options.keepaliveMs,
		origins: { publicUrl: config.publicUrl, allowedOrigins: config.allowedOrigins }
	});

	const app = createApp({
		users,
		sessions,
		tokens,
		loginThrottle: new LoginThrottle(),
		incidents,
		members,
		templates: new TemplateStore(database.db),
		search: new SearchIndex(database),
		replayer: new Replayer(log, reviewWork),
		integrity: new IntegrityChecks(verifier, log, reviewWork),
		reviewWork,
		incidentLock: new IncidentLock(),
		links,
		share,
		log,
		rooms,
		connections,
		signer,
		setupToken,
		logger,
		publicUrl: config.publicUrl,
		allowedOrigins: config.allowedOrigins,
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
	// Idle keep-alive connections stay open longer than any client or proxy keeps one (Node's 5 s
	// default is shorter than a load balancer's 60 s): a client that sends on a socket the server
	// has just closed gets ECONNRESET instead of an answer. Seen when a busy client's event loop
	// stalled past 5 s between two requests.
	server.keepAliveTimeout = 65_000;
	server.headersTimeout = 66_000;
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
			share.shutdown();
			const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
			await rooms.shutdown(SHUTDOWN_DRAIN_MS);
			await publisher?.flush();
			server.closeAllConnections();
			await stopped;
			await releaseServing();
			await database.close();
		})());

	return { url, port, database, users, incidents, log, rooms, verifier, reviewWork, setupUrl, signer, keyCreated, close };
}

/**
 * Loads (or creates) the checkpoint signing key and checks it against the pinned public key:
 * a server whose key is not the pinned one would sign checkpoints nobody can verify.
 */
function loadSigner(config: ServerConfig, logger: Logger) {
	const loaded = loadOrCreateSigningKey(config.signingKeyFile);
	if (keyFileTooOpen(config.signingKeyFile)) {
		logger.warn('the signing key file can be read by other users; chmod 600 it', { file: config.signingKeyFile });
	}
	if (config.pinnedPublicKey) {
		const pinned = readPinnedKey(config.pinnedPublicKey);
		if (keyIdOf(pinned) !== loaded.signer.keyId) {
			throw new SigningKeyError(
				`the signing key in ${config.signingKeyFile} (key ${loaded.signer.keyId}) is not the pinned public key (key ${keyIdOf(pinned)})`
			);
		}
	}
	return loaded;
}
