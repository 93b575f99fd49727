/**
 * Presence (y-protocols awareness) for one room. The server keeps the room's awareness and
 * decides which states a connection may set:
 *   - the stock client re-broadcasts every state it hears (others' included), so entries for
 *     clientIDs another live connection speaks for, or that belong to another user, are echoes
 *     or forgeries: dropped, not punished;
 *   - a connection claims a clientID with its first non-null state for it;
 *   - the `user` field of every accepted state is set from the session (id, name, colour, role);
 *   - a claimed clientID is reserved for its user in the document too (`onClaim`), so nobody can
 *     read a colleague's clientID from presence and squat on it to lock them out of writing.
 */
import * as awarenessProtocol from 'y-protocols/awareness';
import type * as Y from 'yjs';
import { encodeAwareness } from '../../src/lib/shared/protocol';
import { decodeAwarenessUpdate, encodeAwarenessEntries, userColor } from './awareness-filter';
import type { Connection } from './connection';

/**
 * How many clientIDs one connection may speak for. A browser tab has one; a few more leave room
 * for clients that run several documents over one socket.
 */
const MAX_CLIENTS_PER_CONNECTION = 4;

export class RoomPresence {
	private readonly awareness: awarenessProtocol.Awareness;
	/** Which live connection speaks for an awareness clientID. */
	private readonly owners = new Map<number, Connection>();
	/** Which user an awareness clientID was first claimed by, kept after they leave. */
	private readonly claimedBy = new Map<number, string>();

	constructor(
		doc: Y.Doc,
		/** clientID → userId from the document's bindings: presence may not contradict them. */
		private readonly documentOwner: (clientId: number) => string | undefined,
		/** A connection claimed a clientID; from now on only its user may write under it. */
		private readonly onClaim: (clientId: number, userId: string) => void,
		private readonly broadcast: (frame: Uint8Array) => void
	) {
		this.awareness = new awarenessProtocol.Awareness(doc);
		this.awareness.setLocalState(null);
		this.awareness.on('update', this.onUpdate);
	}

	/** Everyone's current states, as one awareness frame (null when nobody is present). */
	snapshotFrame(): Uint8Array | null {
		const clients = [...this.awareness.getStates().keys()];
		return clients.length > 0 ? encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, clients)) : null;
	}

	/** Applies what `conn` may set from an awareness update; throws ProtocolError if it is malformed. */
	accept(conn: Connection, update: Uint8Array): void {
		const accepted = [];
		for (const entry of decodeAwarenessUpdate(update)) {
			const liveOwner = this.owners.get(entry.clientId);
			if (liveOwner !== undefined && liveOwner !== conn) continue;
			const reservedFor = this.documentOwner(entry.clientId) ?? this.claimedBy.get(entry.clientId);
			if (reservedFor !== undefined && reservedFor !== conn.user.id) continue;
			if (liveOwner === undefined) {
				if (entry.state === null) continue;
				if (conn.awarenessClients.size >= MAX_CLIENTS_PER_CONNECTION) continue;
				this.owners.set(entry.clientId, conn);
				if (!this.claimedBy.has(entry.clientId)) {
					this.claimedBy.set(entry.clientId, conn.user.id);
					this.onClaim(entry.clientId, conn.user.id);
				}
				conn.awarenessClients.add(entry.clientId);
			}
			if (entry.state !== null) {
				entry.state = {
					...entry.state,
					user: { id: conn.user.id, name: conn.user.name, color: userColor(conn.user.id), role: conn.user.role }
				};
			}
			accepted.push(entry);
		}
		if (accepted.length > 0) {
			awarenessProtocol.applyAwarenessUpdate(this.awareness, encodeAwarenessEntries(accepted), conn);
		}
	}

	/** Removes the states a leaving connection spoke for. */
	leave(conn: Connection): void {
		const owned = [...conn.awarenessClients].filter((id) => this.owners.get(id) === conn);
		for (const id of owned) this.owners.delete(id);
		if (owned.length > 0) awarenessProtocol.removeAwarenessStates(this.awareness, owned, 'leave');
	}

	destroy(): void {
		this.awareness.off('update', this.onUpdate);
		this.awareness.destroy();
	}

	private readonly onUpdate = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
		const changed = added.concat(updated, removed);
		if (changed.length === 0) return;
		this.broadcast(encodeAwareness(awarenessProtocol.encodeAwarenessUpdate(this.awareness, changed)));
	};
}
