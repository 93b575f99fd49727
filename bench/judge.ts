/**
 * What judging costs next to applying, for large updates: a client that wrote offline for
 * minutes reconnects and sends everything at once (4,000 writes: entries added and appended to,
 * beside 13,500 entries from nine others), and one update that edits each of 20,000 entries. The
 * server judges an update (dependencies, ownership, what it changed) before it may be logged;
 * plain `Y.applyUpdate` of the same update is the floor. The judge runs under a wall-clock budget
 * (3 s + 1 ms per KiB), so this ratio is what keeps honest updates far from being refused as too
 * costly on a busy machine, and crafted ones cheap to refuse. Each row was super-linear once:
 * a dependency check that scanned ranges (row 1), edits merged by scanning a list (row 2), and
 * deep observers, for which Yjs sorts events by a path it finds by walking arrays (row 3).
 */
import * as Y from 'yjs';
import { addAnnotation, addEntry, entriesMap } from '../src/lib/shared/doc-schema';
import { Staging } from '../server/sync/staging';
import { table } from './bench-server';

const RUNS = 5;

function entry(id: string, text: string) {
	const now = new Date().toISOString();
	return { id, text, occurredAt: now, occurredOffset: 'Z', precision: 'exact' as const, writtenAt: now };
}

function median(values: number[]): number {
	return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

export async function judgeCost(): Promise<void> {
	const room = new Y.Doc();
	for (let c = 0; c < 9; c++) {
		const other = new Y.Doc();
		for (let n = 0; n < 1500; n++) addEntry(other, entry(`o${c}-${n}`, `client ${c} entry ${n}`));
		Y.applyUpdate(room, Y.encodeStateAsUpdate(other));
	}
	const offline = new Y.Doc();
	Y.applyUpdate(offline, Y.encodeStateAsUpdate(room));
	const before = Y.encodeStateVector(offline);
	let last = '';
	for (let n = 0; n < 4000; n++) {
		if (n % 3 === 0 && last) {
			const text = entriesMap(offline).get(last)?.get('text') as Y.Text;
			text.insert(text.length, ` +${n}`);
		} else {
			last = `m-${n}`;
			addEntry(offline, entry(last, `offline entry ${n}`));
		}
	}
	const reconnect = Y.encodeStateAsUpdate(offline, before);

	// One update that touches every entry of a 20,000-entry room (a bulk edit, or a crafted one).
	const big = new Y.Doc();
	for (let n = 0; n < 20_000; n++) addEntry(big, entry(`b${n}`, `entry ${n}`));
	const editor = new Y.Doc();
	Y.applyUpdate(editor, Y.encodeStateAsUpdate(big));
	const seen = Y.encodeStateVector(editor);
	editor.transact(() => entriesMap(editor).forEach((value) => value.set('lane', 'response')));
	const bulk = Y.encodeStateAsUpdate(editor, seen);

	// One update that edits each of 10,000 comments on one entry (maps inside one array).
	const discussed = new Y.Doc();
	addEntry(discussed, entry('talk', 'the busiest entry'));
	for (let n = 0; n < 10_000; n++) addAnnotation(discussed, 'talk', { id: `a${n}`, text: `comment ${n}`, writtenAt: new Date().toISOString() });
	const commenter = new Y.Doc();
	Y.applyUpdate(commenter, Y.encodeStateAsUpdate(discussed));
	const read = Y.encodeStateVector(commenter);
	const comments = entriesMap(commenter).get('talk')?.get('annotations') as Y.Array<Y.Map<unknown>>;
	commenter.transact(() => comments.forEach((comment) => comment.set('edited', true)));
	const commentEdits = Y.encodeStateAsUpdate(commenter, read);

	console.log(`\nJudging large updates (median of ${RUNS}); the budget is 3 s + 1 ms per KiB`);
	table([
		measure('a reconnect after 4,000 offline writes', room, reconnect),
		measure('one update editing 20,000 entries', big, bulk),
		measure('one update editing 10,000 comments of one entry', discussed, commentEdits)
	]);
}

function measure(what: string, room: Y.Doc, update: Uint8Array): Record<string, string | number> {
	const judged: number[] = [];
	const applied: number[] = [];
	for (let run = 0; run < RUNS; run++) {
		const staging = new Staging(room);
		let t0 = performance.now();
		staging.apply(update, 'writer', () => undefined, 'client');
		judged.push(performance.now() - t0);
		staging.destroy();
		const plain = new Y.Doc();
		Y.applyUpdate(plain, Y.encodeStateAsUpdate(room));
		t0 = performance.now();
		Y.applyUpdate(plain, update);
		applied.push(performance.now() - t0);
		plain.destroy();
	}
	const judge = median(judged);
	const apply = median(applied);
	return {
		update: what,
		KiB: Math.round(update.byteLength / 1024),
		'judge ms': Math.round(judge),
		'Y.applyUpdate ms': Math.round(apply),
		overhead: `${(judge / apply).toFixed(1)}×`,
		'budget ms': 3000 + Math.ceil(update.byteLength / 1024)
	};
}
