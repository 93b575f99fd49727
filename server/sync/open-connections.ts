/**
 * Every open sync connection, from the moment its upgrade succeeds (before its room has loaded),
 * so that an access change (sign-out, removal, revoked token, new role) reaches connections
 * still waiting for their room as surely as those already in it.
 */
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import type { Connection } from './connection';

export class OpenConnections {
	private readonly connections = new Set<Connection>();

	add(conn: Connection): void {
		this.connections.add(conn);
		conn.onClose(() => this.connections.delete(conn));
	}

	[Symbol.iterator](): IterableIterator<Connection> {
		return this.connections.values();
	}

	/** Closes every connection that matches, in one incident or (with null) in all. */
	closeWhere(incidentId: string | null, match: (conn: Connection) => boolean, code: number, reason: string): void {
		for (const conn of [...this.connections]) {
			if ((incidentId === null || conn.incidentId === incidentId) && match(conn)) conn.close(code, reason);
		}
	}

	/** Closes every connection that belongs to this session (signed out, expired, revoked). */
	closeSession(sessionId: string, reason = 'signed out'): void {
		this.closeWhere(null, (conn) => conn.user.sessionId === sessionId, CLOSE_CODES.UNAUTHORIZED, reason);
	}
}
