/**
 * The door to `/sync/:incidentId`. Everything is decided before the WebSocket handshake: a
 * request without a valid session gets HTTP 401 and an unknown incident 404, and no room is
 * loaded for either. Accepted sockets get error handlers at once (a bad frame must never
 * become an uncaught exception), a size limit, and a heartbeat that drops dead peers.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import { MAX_SYNC_MESSAGE_BYTES } from '../../src/lib/shared/limits';
import { EVENTS_PARAM } from '../../src/lib/shared/protocol';
import type { SessionStore } from '../auth/session-store';
import type { IncidentStore } from '../incidents/incident-store';
import type { Logger } from '../logger';
import { originAllowed, type OriginPolicy } from '../http/same-origin';
import { resolveCaller, sessionTokenFromCookieHeader } from '../http/session';
import type { ApiTokenStore } from '../auth/api-token-store';
import { Connection } from './connection';
import type { OpenConnections } from './open-connections';
import type { RoomRegistry } from './room-registry';

const SYNC_PATH = /^\/sync\/([^/]+)\/?$/;
/** Dead peers are found by ping every HEARTBEAT_MS; idle connections get a keepalive every KEEPALIVE_MS. */
export const HEARTBEAT_MS = 30_000;
export const KEEPALIVE_MS = 10_000;

export interface SyncServerDeps {
	sessions: SessionStore;
	tokens: ApiTokenStore;
	incidents: IncidentStore;
	rooms: RoomRegistry;
	logger: Logger;
	keepaliveMs?: number;
	origins: OriginPolicy;
	connections: OpenConnections;
}

export class SyncServer {
	private readonly wss = new WebSocketServer({
		noServer: true,
		maxPayload: MAX_SYNC_MESSAGE_BYTES,
		perMessageDeflate: false
	});
	private readonly alive = new WeakMap<WebSocket, boolean>();
	private readonly heartbeat: NodeJS.Timeout;
	private readonly keepalive: NodeJS.Timeout;
	private accepting = true;

	constructor(private readonly deps: SyncServerDeps) {
		this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
		this.heartbeat.unref();
		const keepaliveMs = deps.keepaliveMs ?? KEEPALIVE_MS;
		this.keepalive = setInterval(() => {
			for (const conn of this.deps.connections) conn.keepAlive(keepaliveMs);
		}, keepaliveMs);
		this.keepalive.unref();
	}

	attach(server: Server): void {
		server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
			socket.on('error', () => socket.destroy());
			this.handleUpgrade(req, socket, head).catch((error) => {
				this.deps.logger.error('upgrade failed', { error });
				reject(socket, 500, 'Internal Server Error');
			});
		});
	}

	/** Stops taking new sockets; open ones are closed by the room registry's shutdown. */
	stop(): void {
		this.accepting = false;
		clearInterval(this.heartbeat);
		clearInterval(this.keepalive);
	}

	private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
		if (!this.accepting) return reject(socket, 503, 'Service Unavailable');
		const url = new URL(req.url ?? '/', 'http://localhost');
		const match = SYNC_PATH.exec(url.pathname);
		if (!match) return reject(socket, 404, 'Not Found');
		// Cross-site WebSocket hijacking: SameSite=Lax cookies ride along on a same-site page's socket.
		const origin = req.headers.origin;
		if (origin !== undefined && !originAllowed(this.deps.origins, origin, req.headers.host)) {
			this.deps.logger.warn('refused a sync upgrade from another origin', { origin });
			return reject(socket, 403, 'Forbidden');
		}
		const session = await resolveCaller(
			this.deps.sessions,
			this.deps.tokens,
			req.headers.authorization,
			sessionTokenFromCookieHeader(req.headers.cookie)
		);
		if (!session) return reject(socket, 401, 'Unauthorized');
		let incidentId: string;
		try {
			incidentId = decodeURIComponent(match[1]);
		} catch {
			return reject(socket, 404, 'Not Found');
		}
		// A restricted incident the user may not see does not exist for them: the same 404.
		if (!(await this.deps.incidents.getVisible(incidentId, session.user.id))) return reject(socket, 404, 'Not Found');
		if (socket.destroyed) return;

		this.wss.handleUpgrade(req, socket, head, (ws) => {
			const conn = new Connection(
				ws,
				incidentId,
				{ id: session.user.id, name: session.user.name, role: session.user.role, sessionId: session.sessionId },
				url.searchParams.get(EVENTS_PARAM) === '1'
			);
			this.deps.connections.add(conn);
			this.alive.set(ws, true);
			ws.on('pong', () => this.alive.set(ws, true));
			// `ws` has already sent its close frame (1002, 1009…) when it reports a protocol error.
			ws.on('error', (error: Error & { code?: string }) => {
				this.deps.logger.warn('sync socket error', { incidentId, userId: conn.user.id, error });
				conn.inbound({ violation: `WebSocket protocol error (${error.code ?? error.message})`, code: null });
			});
			ws.on('message', (data, isBinary) => {
				if (!conn.allowMessage()) {
					conn.inbound({ violation: 'sent more messages than the server accepts', code: CLOSE_CODES.TOO_MANY });
				} else if (!isBinary) {
					conn.inbound({ violation: 'text frames are not part of the sync protocol', code: CLOSE_CODES.BAD_MESSAGE });
				} else {
					conn.inbound({ frame: toBytes(data) });
				}
			});
			void this.deps.rooms.join(incidentId, conn);
		});
	}

	private beat(): void {
		for (const ws of this.wss.clients) {
			if (this.alive.get(ws) === false) {
				ws.terminate();
				continue;
			}
			this.alive.set(ws, false);
			try {
				ws.ping();
			} catch {
				ws.terminate();
			}
		}
	}
}

function reject(socket: Duplex, status: number, text: string): void {
	if (socket.destroyed) return;
	const body = JSON.stringify({ error: { code: text.toLowerCase().replace(/ /g, '_'), message: text } });
	socket.end(
		`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
	);
}

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
	if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
