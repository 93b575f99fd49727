import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { changesOf, watchChanges } from '../../src/lib/shared/change-watcher';
import { rowTypeFor, summarizeChanges, type Change } from '../../src/lib/shared/changes';
import { addAnnotation, addEntry, entriesMap, metaMap, notesText, writeInitialMeta } from '../../src/lib/shared/doc-schema';

/** Applies `edit` on a writer doc and returns the changes a watching replica derives from the update. */
function changesFrom(setup: (doc: Y.Doc) => void, edit: (doc: Y.Doc) => void): Change[] {
	const writer = new Y.Doc();
	setup(writer);
	const replica = new Y.Doc();
	Y.applyUpdate(replica, Y.encodeStateAsUpdate(writer));
	watchChanges(replica);
	let seen: Change[] = [];
	replica.on('afterTransaction', (tr: Y.Transaction) => (seen = changesOf(tr)));
	const updates: Uint8Array[] = [];
	writer.on('update', (u: Uint8Array) => updates.push(u));
	edit(writer);
	Y.applyUpdate(replica, Y.mergeUpdates(updates));
	return seen;
}

const base = (doc: Y.Doc) => {
	writeInitialMeta(doc, { title: 'API down', kind: 'outage', severity: 2 });
	addEntry(doc, { id: 'e1', text: 'first', occurredAt: '2018-10-21T22:52:00.000Z', occurredOffset: 'Z', precision: 'minute', writtenAt: '2018-10-21T22:53:00.000Z' });
};

describe('changes derived from an update', () => {
	it('names an added entry with its id and text', () => {
		const changes = changesFrom(base, (doc) =>
			addEntry(doc, { id: 'e2', text: 'Deploys\nlocked', occurredAt: '2018-10-21T23:07:00.000Z', occurredOffset: 'Z', precision: 'minute', writtenAt: '2018-10-21T23:08:00.000Z' })
		);
		expect(changes).toEqual([{ type: 'entry.added', entryId: 'e2', text: 'Deploys locked' }]);
	});

	it('names an edit of an entry text as one change however many characters changed', () => {
		const changes = changesFrom(base, (doc) => {
			const text = entriesMap(doc).get('e1')?.get('text') as Y.Text;
			doc.transact(() => {
				text.insert(5, ' finding');
				text.delete(0, 1);
			});
		});
		expect(changes).toEqual([{ type: 'entry.edited', entryId: 'e1', fields: ['text'] }]);
	});

	it('names changed entry fields', () => {
		const changes = changesFrom(base, (doc) => entriesMap(doc).get('e1')?.set('shared', true));
		expect(changes).toEqual([{ type: 'entry.edited', entryId: 'e1', fields: ['shared'] }]);
	});

	it('names a removed entry', () => {
		expect(changesFrom(base, (doc) => entriesMap(doc).delete('e1'))).toEqual([{ type: 'entry.removed', entryId: 'e1' }]);
	});

	it('gives a field change from and to', () => {
		const changes = changesFrom(base, (doc) => metaMap(doc).set('status', 'identified'));
		expect(changes).toEqual([{ type: 'field.changed', field: 'status', from: 'investigating', to: 'identified' }]);
	});

	it('names an annotation with its entry', () => {
		const changes = changesFrom(base, (doc) => addAnnotation(doc, 'e1', { id: 'a1', text: 'see graph', writtenAt: '2018-10-21T23:00:00.000Z' }));
		expect(changes).toEqual([{ type: 'annotation.added', entryId: 'e1', annotationId: 'a1', text: 'see graph' }]);
	});

	it('names notes edits once per update', () => {
		const changes = changesFrom(base, (doc) => {
			notesText(doc).insert(0, 'a');
			notesText(doc).insert(1, 'b');
		});
		expect(changes).toEqual([{ type: 'notes.edited' }]);
	});

	it('finds nothing in an update outside the schema', () => {
		expect(changesFrom(base, (doc) => doc.getMap('elsewhere').set('x', 1))).toEqual([]);
	});
});

describe('row types and summaries', () => {
	it('uses the shared type of all changes, or doc.updated for a mix', () => {
		expect(rowTypeFor([{ type: 'notes.edited' }])).toBe('notes.edited');
		expect(rowTypeFor([{ type: 'notes.edited' }, { type: 'entry.removed', entryId: 'x' }])).toBe('doc.updated');
		expect(rowTypeFor([])).toBe('doc.changed');
	});

	it('says what changed in the incident\'s terms', () => {
		expect(
			summarizeChanges([
				{ type: 'field.changed', field: 'severity', from: 2, to: 1 },
				{ type: 'entry.added', entryId: 'e9', text: 'Paged DB team' }
			])
		).toBe('severity: "2" → "1"; added entry e9: "Paged DB team"');
	});
});

describe('reading entries defensively', () => {
	it('drops entries whose occurred-at is not a real ISO instant', async () => {
		const { readEntries, isIsoInstant } = await import('../../src/lib/shared/doc-schema');
		expect(isIsoInstant('2018-10-21T22:52:00.000Z')).toBe(true);
		expect(isIsoInstant('2018-10-21T22:52+02:00')).toBe(true);
		for (const bad of ['1', '2018-02-30T00:00:00Z', '2018-10-21', '2018-10-21T25:00Z', '2018-10-21T22:52+99:99', '2018-10-21T22:52-15:00', 'yesterday', 20181021]) {
			expect(isIsoInstant(bad), String(bad)).toBe(false);
		}
		const doc = new Y.Doc();
		addEntry(doc, { id: 'ok', text: 'fine', occurredAt: '2018-10-21T22:52:00.000Z', occurredOffset: 'Z', precision: 'minute', writtenAt: '2018-10-21T22:53:00.000Z' });
		addEntry(doc, { id: 'bad', text: 'shown raw before', occurredAt: '1', occurredOffset: 'Z', precision: 'minute', writtenAt: '1' });
		expect(readEntries(doc).map((e) => e.id)).toEqual(['ok']);
	});

	it('reads an offset outside the clocks people use (−12:00 to +14:00) as Z', async () => {
		const { readEntries, isUtcOffset } = await import('../../src/lib/shared/doc-schema');
		for (const good of ['Z', '+05:30', '-12:00', '+14:00', '+05:45']) expect(isUtcOffset(good), good).toBe(true);
		for (const bad of ['+99:99', '+14:30', '-12:30', '-13:00', '-15:00', '+05:60', '05:30', 'z', '+5:30']) expect(isUtcOffset(bad), bad).toBe(false);
		const doc = new Y.Doc();
		addEntry(doc, { id: 'odd', text: 'x', occurredAt: '2018-10-21T22:52:00.000Z', occurredOffset: '+99:99', precision: 'minute', writtenAt: '2018-10-21T22:53:00.000Z' });
		expect(readEntries(doc)[0].occurredOffset).toBe('Z');
	});

	it('keeps what Postgres cannot store out of summaries: NUL and broken Unicode become U+FFFD', () => {
		const changes = changesFrom(base, (doc) =>
			addEntry(doc, { id: 'e\u0000x', text: 'evil\u0000text \ud800', occurredAt: '2018-10-21T23:00:00.000Z', occurredOffset: 'Z', precision: 'minute', writtenAt: '2018-10-21T23:00:00.000Z' })
		);
		expect(changes).toEqual([{ type: 'entry.added', entryId: 'e\ufffdx', text: 'evil\ufffdtext \ufffd' }]);
		expect(() => JSON.stringify(summarizeChanges(changes))).not.toThrow();
	});
});
