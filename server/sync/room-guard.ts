/**
 * What a room does with a connection that breaks the rules: closes it with a named code, says so
 * in the server log, and records a `security.refused` row in the incident's own log, attributed
 * to the signed-in user behind the connection. Rows are bounded per user (SECURITY_EVENTS_PER_MINUTE)
 * so that garbage cannot flood the log. Read-only connections' writes are dropped, not punished.
 */
import { storable, summarizeChanges, type Change } from '../../src/lib/shared/changes';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import { ProtocolError } from '../../src/lib/shared/protocol';
import type { ChangeItem } from '../log/log-store';
import type { Logger } from '../logger';
import type { Connection } from './connection';
import { ForbiddenChangeError, MissingDependencyError } from './staging';

const SECURITY_EVENTS_PER_MINUTE = 10;

export class RoomGuard {
	private readonly recent = new Map<string, number[]>();

	constructor(
		private readonly incidentId: string,
		private readonly logger: Logger,
		private readonly now: () => Date,
		/** Appends a security event to the room's log (nothing when the room cannot). */
		private readonly record: (item: ChangeItem, conn: Connection) => void
	) {}

	/** Closes a connection whose message was refused, with the close code that says why. */
	refuse(conn: Connection, error: unknown): void {
		if (error instanceof MissingDependencyError) {
			// Honest clients meet this in a reconnect race; a resync cures it, so it is no security event.
			this.logger.info('asking a connection to resync: its update depends on content the server does not have', {
				incidentId: this.incidentId,
				userId: conn.user.id,
				reason: error.message
			});
			conn.close(CLOSE_CODES.RESYNC, 'an update depends on changes the server does not have; resyncing');
		} else if (error instanceof ProtocolError) {
			this.warn('closing a connection that sent a malformed message', conn, error.message);
			this.securityEvent(conn, `malformed message: ${error.message}`);
			conn.close(CLOSE_CODES.BAD_MESSAGE, error.message);
		} else if (error instanceof ForbiddenChangeError) {
			this.warn('closing a connection that made a forbidden change', conn, error.message);
			this.securityEvent(conn, error.message, typeof error.cause === 'number' ? error.cause : undefined);
			conn.close(CLOSE_CODES.FORBIDDEN, error.message);
		} else {
			this.logger.error('unexpected error handling a sync message', { incidentId: this.incidentId, error });
			conn.close(CLOSE_CODES.BAD_MESSAGE, 'the server could not process this message');
		}
	}

	/** An update that would have taken longer than its budget to apply: refused, recorded, closed. */
	tooCostly(conn: Connection): void {
		const reason = 'an update would have taken the server too long to apply';
		this.warn('closing a connection whose update was too costly to apply', conn, reason);
		this.securityEvent(conn, reason);
		conn.close(CLOSE_CODES.TOO_COSTLY, reason);
	}

	/** The peer broke the WebSocket protocol itself: record it and cut the connection. */
	violation(conn: Connection, reason: string, code: number | null): void {
		if (conn.closed) return;
		this.warn('closing a connection that broke the rules of the socket', conn, reason);
		this.securityEvent(conn, reason);
		if (code !== null) conn.close(code, reason);
		else conn.terminate();
	}

	/**
	 * A read-only connection's write is dropped, not applied, and the connection stays open (its
	 * client sends a sync step 2 on every connect, so closing it would loop). Each dropped write
	 * is counted and recorded as a security event (within the per-user bound). The empty step 2
	 * every client sends is not a write.
	 */
	dropWrite(conn: Connection, kind: string, update: Uint8Array): void {
		// The empty update is two zero bytes (no structs, no deletes); nothing else is decoded here.
		if (update.length <= 2 && update.every((b) => b === 0)) return;
		conn.droppedWrites++;
		if (conn.droppedWrites <= 3 || conn.droppedWrites % 100 === 0) {
			this.logger.warn('dropped a write from a read-only connection', {
				incidentId: this.incidentId,
				userId: conn.user.id,
				kind,
				dropped: conn.droppedWrites
			});
		}
		this.securityEvent(conn, `dropped a write from a read-only ${conn.user.role} (${conn.droppedWrites} so far on this connection)`);
	}

	private warn(message: string, conn: Connection, reason: string): void {
		this.logger.warn(message, { incidentId: this.incidentId, userId: conn.user.id, reason });
	}

	private securityEvent(conn: Connection, reason: string, clientId?: number): void {
		const now = this.now().getTime();
		const recent = (this.recent.get(conn.user.id) ?? []).filter((t) => now - t < 60_000);
		if (recent.length >= SECURITY_EVENTS_PER_MINUTE) return;
		recent.push(now);
		this.recent.set(conn.user.id, recent);
		const change: Change = { type: 'security.refused', reason: storable(reason).slice(0, 300), ...(clientId !== undefined ? { clientId } : {}) };
		this.record(
			{
				at: this.now(),
				actorId: conn.user.id,
				type: 'security.refused',
				summary: summarizeChanges([change]),
				changes: [change],
				update: null,
				newClientIds: []
			},
			conn
		);
	}
}
