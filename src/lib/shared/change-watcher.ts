/**
 * Derives `Change`s from what a Yjs transaction did to the incident document: the server's
 * staging document watches every update it judges, and the log row's `changes` come from here.
 */
import * as Y from 'yjs';
import { snippet, storable, type Change } from './changes';
import { ROOTS } from './doc-schema';

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
