/**
 * What an accepted update changed, in the incident's own terms. The server derives these from
 * each update it accepts and stores them with the log row (`changes`), and the row's `summary`
 * is `summarizeChanges(changes)`. The browser reads them to learn who added and edited what.
 *
 * Event names are `noun.verb` in the past tense.
 */
import * as Y from 'yjs';
import { ROOTS } from './doc-schema';

export type Change =
	| {
			type: 'incident.created';
			title: string;
			kind: string;
			severity: number;
			/** The checklist it started with (the closing gate of a security incident counts these steps). */
			checklist?: { id: string; label: string }[];
	  }
	| { type: 'incident.escalated'; from: string; status: string; reason: string; checklist: { id: string; label: string }[] }
	| { type: 'field.changed'; field: string; from: unknown; to: unknown }
	| { type: 'entry.added'; entryId: string; text: string }
	| { type: 'entry.edited'; entryId: string; fields: string[] }
	| { type: 'entry.removed'; entryId: string }
	| { type: 'annotation.added'; entryId: string; annotationId: string; text: string }
	| { type: 'annotation.removed'; entryId: string }
	| { type: 'annotation.edited'; entryId: string }
	| { type: 'notes.edited' }
	| { type: 'checklist.added'; itemId: string; label: string }
	| { type: 'checklist.toggled'; itemId: string; label: string; done: boolean }
	| { type: 'checklist.edited'; itemId: string }
	| { type: 'checklist.excepted'; itemId: string; label: string; reason: string | null }
	| { type: 'followup.added'; followUpId: string; text: string; owner: string }
	| { type: 'followup.edited'; followUpId: string }
	| { type: 'followup.removed'; followUpId: string }
	| { type: 'doc.changed' }
	| { type: 'checkpoint.signed'; seq: number; head: string; at: string; keyId: string; signature: string }
	| { type: 'security.refused'; reason: string; clientId?: number }
	| { type: 'member.added'; userId: string; name: string }
	| { type: 'member.removed'; userId: string; name: string }
	| { type: 'incident.restricted'; restricted: boolean }
	| { type: 'sharing.changed'; enabled: boolean }
	| { type: 'link.created'; linkId: string; label: string; expiresAt: string }
	| { type: 'link.revoked'; linkId: string; label: string }
	| { type: 'link.used'; linkId: string; label: string }
	| { type: 'role.assigned'; role: string; userId: string | null; name: string | null; previous: { userId: string; name: string } | null }
	| {
			type: 'evidence.added';
			evidenceId: string;
			what: string;
			system: string;
			collectedBy: string;
			acquiredAt: string;
			sha256: string;
			storedAt: string;
	  }
	| { type: 'evidence.transferred'; evidenceId: string; what: string; from: string; to: string; at: string; why: string }
	| { type: 'evidence.sealed'; evidenceId: string; what: string; sha256: string }
	| { type: 'action.taken'; action: string; system: string; note: string; override: string | null }
	| {
			type: 'incident.closed';
			kind: string;
			summary: string;
			credentialsRotated: boolean;
			exceptions: { itemId: string; label: string; reason: string }[];
	  }
	| { type: 'incident.reopened'; reason: string; status: string };

export type ChangeType = Change['type'];

const SNIPPET = 80;

/** NUL and unpaired surrogates, which Postgres text and jsonb refuse, become U+FFFD. */
export function storable(text: string): string {
	return text.replace(/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\ufffd');
}

export function snippet(text: string): string {
	const oneLine = storable(text).replace(/\s+/g, ' ').trim();
	return oneLine.length > SNIPPET ? `${oneLine.slice(0, SNIPPET - 1)}…` : oneLine;
}

/** Per transaction: the changes merged so far, by what they merge on (see record). */
const MERGE_KEY = 'vigiles:merged';
const TRANSACTION_KEY = 'vigiles:changes';

/**
 * Records, on each transaction's `meta`, the changes it made to the document's roots. Read them
 * with `changesOf(transaction)` from an `afterTransaction` handler registered after this one.
 * Returns a function that stops watching.
 *
 * The events are made here from `transaction.changed`, not taken from `observeDeep`: to call deep
 * observers Yjs sorts the events by path, and finding an array child's path walks the array from
 * its start, so one update editing many maps inside one array (comments on an entry) cost
 * seconds. Paths here are the keys only (keysFrom), which the descriptions need.
 */
export function watchChanges(doc: Y.Doc): () => void {
	const meta = doc.getMap(ROOTS.meta);
	const entries = doc.getMap(ROOTS.entries);
	const notes = doc.getText(ROOTS.notes);

	const onMeta = (events: Y.YEvent<any>[], tr: Y.Transaction) => {
		for (const event of events) {
			if (event.target !== meta) continue;
			event.changes.keys.forEach((change, key) => {
				const to = meta.get(key);
				record(tr, { type: 'field.changed', field: key, from: plain(change.oldValue), to: plain(to) });
			});
		}
	};
	const onEntries = (events: Y.YEvent<any>[], tr: Y.Transaction) => {
		for (const event of events) describeEntryEvent(event, entries, tr);
	};
	const onNotes = (_event: Y.YTextEvent, tr: Y.Transaction) => record(tr, { type: 'notes.edited' });
	const checklist = doc.getMap(ROOTS.checklist);
	const onChecklist = (events: Y.YEvent<any>[], tr: Y.Transaction) => {
		for (const event of events) {
			const path = keysFrom(event.target, checklist);
			const itemId = path.length > 0 ? String(path[0]) : null;
			if (itemId === null) {
				event.changes.keys.forEach((change, key) => {
					const added = change.action === 'add' ? checklist.get(key) : undefined;
					const label = added instanceof Y.Map ? added.get('label') : undefined;
					if (typeof label === 'string') record(tr, { type: 'checklist.added', itemId: key, label: snippet(label) });
					else record(tr, { type: 'checklist.edited', itemId: key });
				});
				continue;
			}
			const item = checklist.get(itemId);
			const label = item instanceof Y.Map && typeof item.get('label') === 'string' ? snippet(item.get('label') as string) : '';
			let described = false;
			if (path.length === 1 && item instanceof Y.Map) {
				if (event.changes.keys.has('done')) {
					record(tr, { type: 'checklist.toggled', itemId, label, done: item.get('done') === true });
					described = true;
				}
				if (event.changes.keys.has('exception')) {
					const reason = item.get('exception');
					record(tr, { type: 'checklist.excepted', itemId, label, reason: typeof reason === 'string' && reason.trim() !== '' ? snippet(reason) : null });
					described = true;
				}
			}
			if (!described) record(tr, { type: 'checklist.edited', itemId });
		}
	};

	const followUps = doc.getMap(ROOTS.followUps);
	const onFollowUps = (events: Y.YEvent<any>[], tr: Y.Transaction) => {
		for (const event of events) {
			const path = keysFrom(event.target, followUps);
			if (path.length > 0) {
				record(tr, { type: 'followup.edited', followUpId: String(path[0]) });
				continue;
			}
			event.changes.keys.forEach((change, followUpId) => {
				const row = followUps.get(followUpId);
				if (change.action === 'delete') record(tr, { type: 'followup.removed', followUpId });
				else if (change.action === 'add' && row instanceof Y.Map) {
					const text = row.get('text');
					const owner = row.get('owner');
					record(tr, { type: 'followup.added', followUpId, text: typeof text === 'string' ? snippet(text) : '', owner: typeof owner === 'string' ? snippet(owner) : '' });
				} else record(tr, { type: 'followup.edited', followUpId });
			});
		}
	};
	const handlers = new Map<Y.AbstractType<any>, (events: Y.YEvent<any>[], tr: Y.Transaction) => void>([
		[meta, onMeta],
		[entries, onEntries],
		[checklist, onChecklist],
		[followUps, onFollowUps]
	]);
	const onTransaction = (tr: Y.Transaction) => {
		const byRoot = new Map<Y.AbstractType<any>, { event: Y.YEvent<any>; depth: number }[]>();
		tr.changed.forEach((subs, type) => {
			// As Yjs does for observers: nothing is reported inside a type that was deleted.
			if (type._item !== null && type._item.deleted) return;
			const root = rootOf(type);
			if (!handlers.has(root)) return;
			const event =
				type instanceof Y.Map ? new Y.YMapEvent(type, tr, subs) : type instanceof Y.Array ? new Y.YArrayEvent(type, tr) : type instanceof Y.Text ? new Y.YTextEvent(type, tr, subs) : null;
			if (event === null) return;
			const list = byRoot.get(root) ?? [];
			list.push({ event, depth: keysFrom(type, root).length });
			byRoot.set(root, list);
		});
		for (const [root, list] of byRoot) {
			// Outer changes first, as deep observers get them.
			list.sort((a, b) => a.depth - b.depth);
			handlers.get(root)?.(list.map((e) => e.event), tr);
		}
	};
	doc.on('afterTransaction', onTransaction);
	notes.observe(onNotes);
	return () => {
		doc.off('afterTransaction', onTransaction);
		notes.unobserve(onNotes);
	};
}

/** The top-level type a type sits in. */
function rootOf(type: Y.AbstractType<any>): Y.AbstractType<any> {
	let current = type;
	while (current._item !== null && current._item.parent instanceof Y.AbstractType) current = current._item.parent;
	return current;
}

/**
 * The keys from `root` down to `target` (null for a step into an array): `event.path` without
 * array positions, which Yjs finds by walking the array from its start.
 */
function keysFrom(target: Y.AbstractType<any>, root: Y.AbstractType<any>): (string | null)[] {
	const keys: (string | null)[] = [];
	let type: Y.AbstractType<any> = target;
	while (type !== root && type._item !== null && type._item.parent instanceof Y.AbstractType) {
		keys.push(type._item.parentSub);
		type = type._item.parent;
	}
	return keys.reverse();
}

function describeEntryEvent(event: Y.YEvent<any>, entries: Y.Map<unknown>, tr: Y.Transaction): void {
	const path = keysFrom(event.target, entries);
	if (path.length === 0) {
		event.changes.keys.forEach((change, entryId) => {
			if (change.action === 'add') {
				record(tr, { type: 'entry.added', entryId, text: snippet(entryText(entries.get(entryId))) });
			} else if (change.action === 'delete') {
				record(tr, { type: 'entry.removed', entryId });
			} else {
				record(tr, { type: 'entry.edited', entryId, fields: ['*'] });
			}
		});
		return;
	}
	const entryId = String(path[0]);
	if (path.length === 1) {
		record(tr, { type: 'entry.edited', entryId, fields: [...event.changes.keys.keys()] });
	} else if (path[1] === 'annotations') {
		if (path.length === 2) {
			for (const item of event.changes.added) {
				for (const content of item.content.getContent()) {
					if (!(content instanceof Y.Map)) continue;
					const annotationId = content.get('id');
					const text = content.get('text');
					record(tr, {
						type: 'annotation.added',
						entryId,
						annotationId: typeof annotationId === 'string' ? annotationId : '',
						text: typeof text === 'string' ? snippet(text) : ''
					});
				}
			}
			if (event.changes.deleted.size > 0) record(tr, { type: 'annotation.removed', entryId });
		} else {
			record(tr, { type: 'annotation.edited', entryId });
		}
	} else {
		record(tr, { type: 'entry.edited', entryId, fields: [String(path[1])] });
	}
}

function entryText(value: unknown): string {
	if (value instanceof Y.Map) {
		const text = value.get('text');
		if (text instanceof Y.Text) return text.toString();
	}
	return '';
}

/** Longest string kept in a field change's `from`/`to`; the update bytes keep the whole value. */
const MAX_VALUE_CHARS = 500;

/**
 * Turns a Yjs value into something the log's JSON can hold, for `from`/`to` of a field change:
 * long strings cut, NUL characters (which Postgres text cannot store) replaced, nesting bounded.
 */
function plain(value: unknown, depth = 0): unknown {
	if (value === undefined || value === null) return null;
	if (value instanceof Y.AbstractType) return plain(value.toJSON(), depth);
	if (typeof value === 'string') {
		const clean = storable(value);
		return clean.length > MAX_VALUE_CHARS ? `${clean.slice(0, MAX_VALUE_CHARS - 1)}…` : clean;
	}
	if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
	if (typeof value === 'bigint') return value.toString();
	if (typeof value !== 'object') return value;
	if (value instanceof Uint8Array) return `(${value.length} bytes)`;
	if (depth >= 4) return '(nested value)';
	if (Array.isArray(value)) return value.slice(0, 20).map((v) => plain(v, depth + 1));
	const out: Record<string, unknown> = {};
	for (const [key, v] of Object.entries(value).slice(0, 20)) out[plain(key, depth + 1) as string] = plain(v, depth + 1);
	return out;
}

function record(tr: Y.Transaction, change: Change): void {
	if ('entryId' in change) change.entryId = plain(change.entryId) as string;
	if ('itemId' in change) change.itemId = plain(change.itemId) as string;
	if ('followUpId' in change) change.followUpId = plain(change.followUpId) as string;
	if (change.type === 'field.changed') change.field = plain(change.field) as string;
	if (change.type === 'annotation.added') change.annotationId = plain(change.annotationId) as string;
	let list = tr.meta.get(TRANSACTION_KEY) as Change[] | undefined;
	if (!list) {
		list = [];
		tr.meta.set(TRANSACTION_KEY, list);
	}
	// Edits merge per entry (and the notes count once) through an index, not a scan of the list:
	// an update that edits 20,000 entries made the scan quadratic (2.4 s to describe it).
	let merged = tr.meta.get(MERGE_KEY) as Map<string, { change: Change; fields: Set<string> }> | undefined;
	if (!merged) {
		merged = new Map();
		tr.meta.set(MERGE_KEY, merged);
	}
	const key = change.type === 'entry.edited' ? `entry:${change.entryId}` : change.type === 'notes.edited' ? 'notes' : null;
	if (key !== null) {
		const same = merged.get(key);
		if (same) {
			if (same.change.type === 'entry.edited' && change.type === 'entry.edited') {
				for (const field of change.fields) {
					if (same.fields.has(field)) continue;
					same.fields.add(field);
					same.change.fields.push(field);
				}
			}
			return;
		}
		merged.set(key, { change, fields: new Set(change.type === 'entry.edited' ? change.fields : []) });
	}
	list.push(change);
}

/** The changes `watchChanges` recorded on this transaction (empty if none). */
export function changesOf(tr: Y.Transaction): Change[] {
	return (tr.meta.get(TRANSACTION_KEY) as Change[] | undefined) ?? [];
}

/** The log row type for a set of changes: the one type they share, else `doc.updated`. */
export function rowTypeFor(changes: Change[]): string {
	if (changes.length === 0) return 'doc.changed';
	const first = changes[0].type;
	return changes.every((c) => c.type === first) ? first : 'doc.updated';
}

/** A short human summary, one clause per change. */
export function summarizeChanges(changes: Change[]): string {
	if (changes.length === 0) return 'changed the document outside the known schema';
	const parts = changes.slice(0, 5).map(describeChange);
	if (changes.length > 5) parts.push(`and ${changes.length - 5} more change${changes.length === 6 ? '' : 's'}`);
	return parts.join('; ');
}

function describeChange(change: Change): string {
	switch (change.type) {
		case 'incident.created':
			return `created ${change.kind} incident "${snippet(change.title)}" (SEV${change.severity})`;
		case 'field.changed':
			return `${change.field}: ${show(change.from)} → ${show(change.to)}`;
		case 'entry.added':
			return `added entry ${change.entryId}: "${change.text}"`;
		case 'entry.edited':
			return `edited entry ${change.entryId} (${change.fields.join(', ')})`;
		case 'entry.removed':
			return `removed entry ${change.entryId}`;
		case 'annotation.added':
			return `annotated entry ${change.entryId}: "${change.text}"`;
		case 'annotation.removed':
			return `removed an annotation on entry ${change.entryId}`;
		case 'annotation.edited':
			return `edited an annotation on entry ${change.entryId}`;
		case 'notes.edited':
			return 'edited the notes';
		case 'checklist.toggled':
			return `${change.done ? 'checked' : 'unchecked'} "${change.label}"`;
		case 'checklist.added':
			return `added checklist step "${change.label}"`;
		case 'checklist.edited':
			return `edited checklist item ${change.itemId}`;
		case 'checklist.excepted':
			return change.reason === null ? `withdrew the exception on "${change.label}"` : `skipped "${change.label}": ${change.reason}`;
		case 'followup.added':
			return `added follow-up "${change.text}"${change.owner ? ` (owner ${change.owner})` : ''}`;
		case 'followup.edited':
			return `edited follow-up ${change.followUpId}`;
		case 'followup.removed':
			return `removed follow-up ${change.followUpId}`;
		case 'doc.changed':
			return 'changed the document outside the known schema';
		case 'checkpoint.signed':
			return `signed checkpoint at seq ${change.seq}`;
		case 'security.refused':
			return `refused: ${change.reason}`;
		case 'member.added':
			return `added ${change.name} to the incident`;
		case 'member.removed':
			return `removed ${change.name} from the incident`;
		case 'incident.restricted':
			return change.restricted ? 'restricted the incident to its members' : 'opened the incident to every signed-in user';
		case 'sharing.changed':
			return change.enabled ? 'turned stakeholder links on' : 'turned stakeholder links off';
		case 'link.created':
			return `created stakeholder link "${snippet(change.label)}" (expires ${change.expiresAt})`;
		case 'link.revoked':
			return `revoked stakeholder link "${snippet(change.label)}"`;
		case 'link.used':
			return `stakeholder link "${snippet(change.label)}" was used for the first time`;
		case 'role.assigned':
			if (change.userId === null) return `left the ${change.role} role unassigned`;
			return change.previous
				? `handed ${change.role} from ${change.previous.name} to ${change.name}`
				: `made ${change.name} ${change.role}`;
		case 'evidence.added':
			return `registered evidence "${snippet(change.what)}" from ${snippet(change.system)} (SHA-256 ${change.sha256.slice(0, 12)}…)`;
		case 'evidence.transferred':
			return `handed "${snippet(change.what)}" from ${snippet(change.from)} to ${snippet(change.to)}: ${snippet(change.why)}`;
		case 'evidence.sealed':
			return `sealed "${snippet(change.what)}" (SHA-256 checked)`;
		case 'action.taken':
			return change.override === null
				? `recorded ${change.action} of ${snippet(change.system)}`
				: `recorded ${change.action} of ${snippet(change.system)} without a capture: ${snippet(change.override)}`;
		case 'incident.closed':
			return `closed the incident${change.kind === 'security' ? (change.credentialsRotated ? ', confirming credentials were rotated' : '') : ''}${change.exceptions.length > 0 ? ` (${change.exceptions.length} checklist exception${change.exceptions.length === 1 ? '' : 's'})` : ''}`;
		case 'incident.reopened':
			return `reopened the incident: ${snippet(change.reason)}`;
		case 'incident.escalated':
			return `escalated the ${change.from} to a security incident: ${snippet(change.reason)}`;
	}
}

function show(value: unknown): string {
	if (value === null || value === undefined) return '(none)';
	const text = typeof value === 'string' ? value : JSON.stringify(value);
	return `"${snippet(text)}"`;
}
