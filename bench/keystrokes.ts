/**
 * Realistic log items for benchmarks: one entry added, then typed into one character per update,
 * as the stock client sends them (each keystroke is its own Yjs update and its own log row).
 */
import * as Y from 'yjs';
import { summarizeChanges, type Change } from '../src/lib/shared/changes';
import { addEntry, entriesMap } from '../src/lib/shared/doc-schema';
import type { ChangeItem } from '../server/log/log-store';

const TEXT = 'The primary database in us-east stopped accepting writes after the failover; replicas lag. ';

export function keystrokeItems(count: number, actorId: string): ChangeItem[] {
	const doc = new Y.Doc();
	const updates: Uint8Array[] = [];
	doc.on('update', (update: Uint8Array) => updates.push(update));
	addEntry(doc, { id: 'typed', text: '', occurredAt: new Date().toISOString(), occurredOffset: 'Z', precision: 'exact', writtenAt: new Date().toISOString() });
	const text = entriesMap(doc).get('typed')?.get('text') as Y.Text;
	for (let i = 1; i < count; i++) text.insert(text.length, TEXT[i % TEXT.length]);
	doc.destroy();
	return updates.map((update, i) => {
		const changes: Change[] = i === 0 ? [{ type: 'entry.added', entryId: 'typed', text: '' }] : [{ type: 'entry.edited', entryId: 'typed', fields: ['text'] }];
		return {
			at: new Date(),
			actorId,
			type: changes[0].type,
			summary: summarizeChanges(changes),
			changes,
			update,
			newClientIds: [],
			meta: undefined
		};
	});
}
