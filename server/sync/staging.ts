/**
 * The room's staging document: the committed state plus every accepted update still waiting for
 * its commit. Each inbound update is judged here before it may be queued for the log:
 *   - it must decode completely (malformed bytes throw ProtocolError before anything changes);
 *   - content under a clientID bound to another user is refused (ForbiddenChangeError);
 *   - applied here, it is either new (the log gets a row) or a repeat (no row, no relay),
 *     and the changes it made are described in the incident's terms.
 */
import * as Y from 'yjs';
import { changesOf, watchChanges, type Change } from '../../src/lib/shared/changes';
import { readMeta, type IncidentMeta } from '../../src/lib/shared/doc-schema';
import { ProtocolError } from '../../src/lib/shared/protocol';

/** A change the connection is not allowed to make (for example, content under someone else's clientID). */
export class ForbiddenChangeError extends Error {
	override name = 'ForbiddenChangeError';
}

export interface Judgement {
	changes: Change[];
	/** clientIDs this update introduces; the caller binds them to the actor. */
	newClientIds: number[];
	/** The meta after the update, when a field changed. */
	meta: IncidentMeta | undefined;
}

interface TransactionOutcome {
	novel: boolean;
	changes: Change[];
}

export class Staging {
	private doc: Y.Doc;
	private stopWatching: () => void;
	private lastOutcome: TransactionOutcome | null = null;

	constructor(committed: Y.Doc) {
		this.doc = cloneDoc(committed);
		this.stopWatching = this.watch();
	}

	/**
	 * Judges `update` from `actorId` and applies it here if it is acceptable and new.
	 * Returns null for a repeat; throws before changing anything for a malformed or forbidden one.
	 */
	apply(update: Uint8Array, actorId: string, ownerOf: (clientId: number) => string | undefined, origin: unknown): Judgement | null {
		const newClientIds: number[] = [];
		for (const [client, end] of contentRanges(update)) {
			if (end <= Y.getState(this.doc.store, client)) continue;
			const owner = ownerOf(client);
			if (owner !== undefined && owner !== actorId) {
				throw new ForbiddenChangeError(`new content under clientID ${client}, which belongs to another user`, { cause: client });
			}
			if (owner === undefined) newClientIds.push(client);
		}

		const store = this.doc.store;
		const pendingBefore = [store.pendingStructs, store.pendingDs];
		this.lastOutcome = null;
		try {
			Y.applyUpdate(this.doc, update, origin);
		} catch (error) {
			throw new StagingCorruptedError(`update could not be applied: ${(error as Error).message}`);
		}
		const outcome = this.lastOutcome as TransactionOutcome | null;
		// An update whose content waits for something missing changes no state yet, but it is new.
		const pendingChanged = store.pendingStructs !== pendingBefore[0] || store.pendingDs !== pendingBefore[1];
		if (!outcome?.novel && !pendingChanged) return null;
		const changes: Change[] = outcome && outcome.changes.length > 0 ? outcome.changes : [{ type: 'doc.changed' }];
		return {
			changes,
			newClientIds,
			meta: changes.some((c) => c.type === 'field.changed') ? readMeta(this.doc) : undefined
		};
	}

	/** A copy of the staged state, for a server-side change to be made on. */
	copy(): Y.Doc {
		return cloneDoc(this.doc);
	}

	/** Starts over from the committed state plus the updates still queued (after an apply threw halfway). */
	rebuild(committed: Y.Doc, queued: Uint8Array[]): void {
		this.destroy();
		this.doc = cloneDoc(committed);
		for (const update of queued) Y.applyUpdate(this.doc, update, 'rebuild');
		this.stopWatching = this.watch();
	}

	destroy(): void {
		this.stopWatching();
		this.doc.destroy();
	}

	private watch(): () => void {
		const stop = watchChanges(this.doc);
		const onTransaction = (tr: Y.Transaction) => {
			this.lastOutcome = {
				novel: tr.deleteSet.clients.size > 0 || !sameState(tr.beforeState, tr.afterState),
				changes: changesOf(tr)
			};
		};
		this.doc.on('afterTransaction', onTransaction);
		const doc = this.doc;
		return () => {
			stop();
			doc.off('afterTransaction', onTransaction);
		};
	}
}

/** Applying an update threw partway: staging may hold part of it and must be rebuilt. */
export class StagingCorruptedError extends ProtocolError {}

export function cloneDoc(doc: Y.Doc): Y.Doc {
	const copy = new Y.Doc({ gc: doc.gc });
	Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
	return copy;
}

function sameState(a: Map<number, number>, b: Map<number, number>): boolean {
	if (a.size !== b.size) return false;
	for (const [client, clock] of a) if (b.get(client) !== clock) return false;
	return true;
}

/** True for the empty update every client sends as its sync step 2 when it has nothing new. */
export function isEmptyUpdate(update: Uint8Array): boolean {
	return contentRanges(update).size === 0 && Y.decodeUpdate(update).ds.clients.size === 0;
}

/**
 * For each clientID with structs in the update, the clock just past its last struct. Decoding
 * the whole update here is also the validation: malformed bytes throw before anything changes.
 */
function contentRanges(update: Uint8Array): Map<number, number> {
	let decoded: ReturnType<typeof Y.decodeUpdate>;
	try {
		decoded = Y.decodeUpdate(update);
	} catch (error) {
		throw new ProtocolError(`update could not be decoded: ${(error as Error).message}`);
	}
	const ends = new Map<number, number>();
	for (const struct of decoded.structs) {
		if (!(struct instanceof Y.Item) && !(struct instanceof Y.GC)) continue;
		const end = struct.id.clock + struct.length;
		if (end > (ends.get(struct.id.client) ?? 0)) ends.set(struct.id.client, end);
	}
	return ends;
}
