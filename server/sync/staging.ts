/**
 * The room's staging document: the committed state plus every accepted update still waiting for
 * its commit. Each inbound update is judged here before it may be queued for the log:
 *   - it must decode completely (malformed bytes throw ProtocolError before anything changes);
 *   - content under a clientID bound to another user is refused (ForbiddenChangeError);
 *   - applied here, it is either new (the log gets a row) or a repeat (no row, no relay),
 *     and the changes it made are described in the incident's terms.
 */
import * as Y from 'yjs';
import { changesOf, watchChanges } from '../../src/lib/shared/change-watcher';
import type { Change } from '../../src/lib/shared/changes';
import { checklistMap, metaMap, readMeta, type IncidentMeta } from '../../src/lib/shared/doc-schema';
import { isIncidentKind, isSeverity, STATUSES } from '../../src/lib/shared/incident-kinds';
import { MAX_CHECKLIST_LABEL, MAX_TITLE_LENGTH } from '../../src/lib/shared/limits';
import { ProtocolError } from '../../src/lib/shared/protocol';

/** A change the connection is not allowed to make (for example, content under someone else's clientID). */
export class ForbiddenChangeError extends Error {
	override name = 'ForbiddenChangeError';
	/** True when staging already holds the refused update (it must be rebuilt without it). */
	applied = false;
}

/** A new change for a closed (archived) incident: refused, and staging holds none of it. */
export class IncidentClosedError extends Error {
	override name = 'IncidentClosedError';
}

/**
 * An update that depends on content the server does not have (a gap in a client's clocks, a
 * reference to an unknown item, a deletion of unknown content). Yjs would hold it "pending";
 * the server refuses it instead and asks the client to resync, so its documents never hold
 * pending content and every client and every replay integrates exactly the same updates.
 * An honest client meets this only in a race right after reconnecting, and a resync cures it.
 */
export class MissingDependencyError extends Error {
	override name = 'MissingDependencyError';
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

	/** Each checklist step as accepted: which map it is, its label and capture flag (see refusedChecklist). */
	private readonly steps = new Map<string, StepIdentity>();

	constructor(committed: Y.Doc) {
		this.doc = cloneDoc(committed);
		this.stopWatching = this.watch();
		this.readSteps();
	}

	/**
	 * Judges `update` from `actorId` and applies it here if it is acceptable and new.
	 * Returns null for a repeat; throws before changing anything for a malformed or forbidden one.
	 */
	apply(update: Uint8Array, actorId: string, ownerOf: (clientId: number) => string | undefined, origin: unknown): Judgement | null {
		const decoded = decode(update);
		checkDependencies(decoded, this.doc.store);
		const newClientIds: number[] = [];
		for (const [client, end] of contentRanges(decoded)) {
			if (end <= Y.getState(this.doc.store, client)) continue;
			const owner = ownerOf(client);
			if (owner !== undefined && owner !== actorId) {
				throw new ForbiddenChangeError(`new content under clientID ${client}, which belongs to another user`, { cause: client });
			}
			if (owner === undefined) newClientIds.push(client);
		}

		const pendingBefore = pendingBytes(this.doc);
		this.lastOutcome = null;
		try {
			Y.applyUpdate(this.doc, update, origin);
			const outcome = this.lastOutcome as TransactionOutcome | null;
			// Content that waits for something missing changes no state yet, but it is new: it must
			// be logged, or a replay would lack it. Compared by value: Yjs rewrites the pending
			// delete set on every transaction even when nothing in it changed.
			if (!sameBytes(pendingBefore, pendingBytes(this.doc))) {
				// checkDependencies should have refused this; never let pending content in.
				throw new MissingDependencyError('the update left content waiting for something the server does not have');
			}
			if (!outcome?.novel) return null;
			const changes: Change[] = outcome && outcome.changes.length > 0 ? outcome.changes : [{ type: 'doc.changed' }];
			const refusal = origin === 'server' ? null : (refusedMeta(changes, this.doc) ?? refusedChecklist(changes, this.doc, this.steps));
			if (refusal) {
				const error = new ForbiddenChangeError(refusal);
				error.applied = true;
				throw error;
			}
			this.readSteps(checklistIds(changes));
			return {
				changes,
				newClientIds,
				meta: changes.some((c) => c.type === 'field.changed') ? readMeta(this.doc) : undefined
			};
		} catch (error) {
			if (error instanceof ForbiddenChangeError) throw error;
			// Whatever threw after the update began to apply, staging may now hold part of it.
			throw new StagingCorruptedError(`update could not be applied: ${(error as Error).message}`, { cause: error });
		}
	}

	/** Applies already-accepted updates again, in order (rebuilding after a failure). */
	replay(updates: Uint8Array[]): void {
		for (const update of updates) Y.applyUpdate(this.doc, update, 'rebuild');
		this.readSteps();
	}

	/** Notes these steps (all of them when no ids are given) as they are now. */
	private readSteps(ids?: Iterable<string>): void {
		const checklist = checklistMap(this.doc);
		for (const id of ids ?? checklist.keys()) {
			const step = stepIdentity(checklist.get(id));
			if (step) this.steps.set(id, step);
			else this.steps.delete(id);
		}
	}

	/** The staged state as one update, for a server-side change to be made on. */
	encode(): Uint8Array {
		return Y.encodeStateAsUpdate(this.doc);
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

/**
 * Header values a client may not write. The header is the incident's identity, so each value
 * must be one the schema knows: a kind, a severity, a non-empty title of at most
 * MAX_TITLE_LENGTH characters, and a status that is a phase of the kind it ends up with
 * ("closed" is not: only the close command, after its gates, moves an incident there). The
 * kind is not a client's to change: a security incident stays one (turning it into an outage
 * would drop its closing gates and its capture-before-destroy rule), and an outage becomes one
 * by the escalate command, which brings the security defaults with it.
 */
export function refusedMeta(changes: Change[], doc: Y.Doc): string | null {
	const touched = new Set(changes.flatMap((c) => (c.type === 'field.changed' ? [c.field] : [])));
	if (touched.size === 0) return null;
	const meta = metaMap(doc);
	const kind = meta.get('kind');
	if (touched.has('kind')) {
		if (!isIncidentKind(kind)) return `kind ${JSON.stringify(plainValue(kind))} is not "outage" or "security"`;
		const change = changes.find((c) => c.type === 'field.changed' && c.field === 'kind');
		if (change?.type === 'field.changed' && change.from === 'security' && kind === 'outage') {
			return 'a security incident cannot be turned into an outage (its closing gates and capture rule would be dropped)';
		}
		return 'the kind changes only by escalation, a command: POST /api/incidents/:id/escalate (it adds the containment checklist, restricts the incident and turns stakeholder links off)';
	}
	if (touched.has('severity') && !isSeverity(meta.get('severity'))) {
		return `severity ${JSON.stringify(plainValue(meta.get('severity')))} is not 1, 2, 3 or 4`;
	}
	if (touched.has('title')) {
		const title = meta.get('title');
		if (typeof title !== 'string' || title.trim() === '' || title.length > MAX_TITLE_LENGTH) {
			return `the title must be 1 to ${MAX_TITLE_LENGTH} characters`;
		}
	}
	if (touched.has('status') || touched.has('kind')) {
		const status = meta.get('status');
		const phases = STATUSES[isIncidentKind(kind) ? kind : 'outage'];
		if (typeof status !== 'string' || !phases.includes(status)) {
			const what = isIncidentKind(kind) ? (kind === 'outage' ? 'an outage' : 'a security') : 'this';
			return `status ${JSON.stringify(plainValue(status))} is not a phase of ${what} incident${status === 'closed' ? ' (closing is a command with gates: POST /api/incidents/:id/close)' : ''}`;
		}
	}
	return null;
}

/**
 * Checklist writes a client may not make. The closing gate of a security incident counts on its
 * containment steps, so a step stays in the list (none is ever deleted) and stays well formed:
 * a Y.Map with a non-empty label of at most MAX_CHECKLIST_LABEL characters, `done` a boolean,
 * `order` a number, `exception` (the reason a step was skipped) a string and `capture` a
 * boolean when present. A malformed step would drop out of the list the gate reads. A step also
 * keeps its label: renaming "Revoke possibly compromised credentials" and ticking it would pass
 * the gate without the step.
 */
export function refusedChecklist(changes: Change[], doc: Y.Doc, before: ReadonlyMap<string, StepIdentity> = new Map()): string | null {
	const checklist = checklistMap(doc);
	for (const itemId of checklistIds(changes)) {
		const item = checklist.get(itemId) as unknown;
		if (item === undefined) return `checklist step ${JSON.stringify(plainValue(itemId))} cannot be removed (skip it with a reason instead)`;
		if (!(item instanceof Y.Map)) return `checklist step ${JSON.stringify(plainValue(itemId))} must be a map of label, done and order`;
		const label = item.get('label');
		if (typeof label !== 'string' || label.trim() === '' || label.length > MAX_CHECKLIST_LABEL) {
			return `checklist step ${JSON.stringify(plainValue(itemId))}: the label must be 1 to ${MAX_CHECKLIST_LABEL} characters`;
		}
		const was = before.get(itemId);
		if (was !== undefined) {
			// Ticks and skips are edits of the step itself, which the log names as such; a new map in
			// its place (even with the same label, already ticked) would hide them, and win a race
			// with the server's own steps.
			if (was.map !== stepIdentity(item)?.map) return `checklist step ${JSON.stringify(plainValue(itemId))} cannot be replaced (tick it or skip it instead)`;
			if (was.label !== label) return `checklist step ${JSON.stringify(plainValue(itemId))} keeps its label ${JSON.stringify(plainValue(was.label))} (add a new step instead)`;
			if (was.capture !== (item.get('capture') === true)) return `checklist step ${JSON.stringify(plainValue(itemId))} keeps whether it is a capture step`;
		}
		if (typeof item.get('done') !== 'boolean') return `checklist step ${JSON.stringify(plainValue(itemId))}: done must be true or false`;
		const order = item.get('order');
		if (typeof order !== 'number' || !Number.isFinite(order)) return `checklist step ${JSON.stringify(plainValue(itemId))}: order must be a number`;
		const exception = item.get('exception');
		if (exception !== undefined && exception !== null && typeof exception !== 'string') {
			return `checklist step ${JSON.stringify(plainValue(itemId))}: the reason for skipping it must be text`;
		}
		const capture = item.get('capture');
		if (capture !== undefined && typeof capture !== 'boolean') return `checklist step ${JSON.stringify(plainValue(itemId))}: capture must be true or false`;
	}
	return null;
}

export interface StepIdentity {
	/** The Y.Map's own id ("client:clock"): a different map under the same key is a replacement. */
	map: string;
	label: string;
	capture: boolean;
}

function stepIdentity(value: unknown): StepIdentity | null {
	if (!(value instanceof Y.Map) || value._item === null) return null;
	const label = value.get('label');
	if (typeof label !== 'string') return null;
	return { map: `${value._item.id.client}:${value._item.id.clock}`, label, capture: value.get('capture') === true };
}

/** The checklist steps an update's changes touched. */
function checklistIds(changes: Change[]): Set<string> {
	return new Set(
		changes.flatMap((c) => (c.type === 'checklist.added' || c.type === 'checklist.edited' || c.type === 'checklist.toggled' || c.type === 'checklist.excepted' ? [c.itemId] : []))
	);
}

function plainValue(value: unknown): unknown {
	return typeof value === 'string' && value.length > 40 ? `${value.slice(0, 40)}…` : value instanceof Y.AbstractType ? '(a shared type)' : value ?? null;
}

/** Applying an update threw partway: staging may hold part of it and must be rebuilt. */
export class StagingCorruptedError extends ProtocolError {}

export function cloneDoc(doc: Y.Doc): Y.Doc {
	const copy = new Y.Doc({ gc: doc.gc });
	Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
	return copy;
}

/** What the document holds in waiting (structs and deletes that lack a dependency), as bytes. */
function pendingBytes(doc: Y.Doc): Uint8Array[] {
	const store = doc.store;
	return [store.pendingStructs?.update ?? new Uint8Array(0), store.pendingDs ?? new Uint8Array(0)];
}

function sameBytes(a: Uint8Array[], b: Uint8Array[]): boolean {
	return a.length === b.length && a.every((bytes, i) => Buffer.compare(Buffer.from(bytes), Buffer.from(b[i])) === 0);
}

function sameState(a: Map<number, number>, b: Map<number, number>): boolean {
	if (a.size !== b.size) return false;
	for (const [client, clock] of a) if (b.get(client) !== clock) return false;
	return true;
}

type Decoded = ReturnType<typeof Y.decodeUpdate>;

/** Clocks beyond this are not real editing history; refusing them keeps arithmetic exact. */
const MAX_CLOCK = 2 ** 31;

/** Decoding the whole update is also the first validation: malformed bytes throw before anything changes. */
function decode(update: Uint8Array): Decoded {
	try {
		return Y.decodeUpdate(update);
	} catch (error) {
		throw new ProtocolError(`update could not be decoded: ${(error as Error).message}`);
	}
}

/**
 * Refuses an update that Yjs would have to hold pending: structs that do not continue their
 * client's clock, references (origin, right origin, parent) to items neither in the document
 * nor in the update, and deletions of content neither has.
 */
function checkDependencies(decoded: Decoded, store: Y.Doc['store']): void {
	const ranges = new Map<number, [number, number][]>();
	for (const struct of decoded.structs) {
		if (!(struct instanceof Y.Item) && !(struct instanceof Y.GC)) continue;
		const { client, clock } = struct.id;
		if (clock + struct.length > MAX_CLOCK) throw new ProtocolError(`clock ${clock} of client ${client} is out of range`);
		const list = ranges.get(client) ?? [];
		list.push([clock, clock + struct.length]);
		ranges.set(client, list);
	}
	// Each client's content must continue where the server's ends, without a gap; then what the
	// server will know of that client is one run of clocks, [0, known end).
	const knownEnd = new Map<number, number>();
	for (const [client, list] of ranges) {
		list.sort((a, b) => a[0] - b[0]);
		let next = Y.getState(store, client);
		for (const [from, to] of list) {
			if (from > next) throw new MissingDependencyError(`content of client ${client} starts at clock ${from}, after a gap from ${next}`);
			next = Math.max(next, to);
		}
		knownEnd.set(client, next);
	}
	// One lookup per reference (a scan of the ranges per reference made a large honest update
	// quadratic: 1.3 s to judge 80,000 offline keystrokes that Yjs applies in 0.1 s).
	const end = (client: number) => knownEnd.get(client) ?? Y.getState(store, client);
	for (const struct of decoded.structs) {
		if (!(struct instanceof Y.Item)) continue;
		for (const ref of [struct.origin, struct.rightOrigin, struct.parent]) {
			if (ref instanceof Y.ID && ref.clock >= end(ref.client)) {
				throw new MissingDependencyError(`an item refers to ${ref.client}:${ref.clock}, which the server does not have`);
			}
		}
	}
	for (const [client, deletions] of decoded.ds.clients) {
		for (const { clock, len } of deletions) {
			if (clock + len > MAX_CLOCK) throw new ProtocolError(`deletion range of client ${client} is out of range`);
			if (clock + len > end(client)) {
				throw new MissingDependencyError(`a deletion covers ${client}:${clock}..${clock + len}, which the server does not have`);
			}
		}
	}
}

/** For each clientID with structs in the update, the clock just past its last struct. */
function contentRanges(decoded: Decoded): Map<number, number> {
	const ends = new Map<number, number>();
	for (const struct of decoded.structs) {
		if (!(struct instanceof Y.Item) && !(struct instanceof Y.GC)) continue;
		const end = struct.id.clock + struct.length;
		if (end > (ends.get(struct.id.client) ?? 0)) ends.set(struct.id.client, end);
	}
	return ends;
}
