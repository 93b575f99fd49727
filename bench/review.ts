/**
 * The archived review: how long `GET /api/incidents/:id/state?seq=N` takes to rebuild the room
 * at the middle of a long log, from the newest snapshot at or below N (the server saves one every
 * 1000 rows) against replaying from the first row; and how long a full-text search takes over
 * many closed incidents.
 */
import { sql } from 'drizzle-orm';
import * as Y from 'yjs';
import type { RoomState } from '../src/lib/shared/room-state';
import { IncidentStore } from '../server/incidents/incident-store';
import { stateAt } from '../server/review/replay';
import { SearchIndex } from '../server/review/search-index';
import { UserStore } from '../server/users/user-store';
import { benchEngines, openBenchLog, percentile, table, type BenchEngine } from './bench-server';
import { keystrokeItems } from './keystrokes';

const SIZE = Number(process.env.BENCH_REVIEW_ROWS ?? 20000);
const SNAPSHOT_EVERY = 1000;
const CLOSED = Number(process.env.BENCH_SEARCH_INCIDENTS ?? 2000);
const RUNS = 5;

const WORDS = 'database failover replica token cookie laptop malware rotation webhook queue latency certificate dns partition runner secret'.split(' ');

async function median(run: () => Promise<number>): Promise<number> {
	const times: number[] = [];
	for (let i = 0; i < RUNS; i++) times.push(await run());
	return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
}

function syntheticState(i: number): RoomState {
	const word = (k: number) => WORDS[(i * 7 + k * 3) % WORDS.length];
	return {
		meta: { title: `Incident ${i}: ${word(0)} ${word(1)}`, kind: 'outage', severity: 2, status: 'closed', summary: `The ${word(2)} failed and the ${word(3)} followed.`, cause: word(4) },
		entries: Array.from({ length: 30 }, (_, k) => ({
			id: `e${k}`,
			text: `Entry ${k}: saw ${word(k)} trouble near ${word(k + 1)} while checking ${word(k + 2)}`,
			occurredAt: new Date(Date.UTC(2024, 0, 1, 0, k)).toISOString(),
			occurredOffset: 'Z',
			occurredZone: null,
			precision: 'minute' as const,
			occurredUntil: null,
			lane: 'response' as const,
			shared: false,
			milestone: null,
			writtenAt: null,
			annotations: []
		})),
		notes: '',
		checklist: [],
		followUps: []
	};
}

async function measure(engine: BenchEngine) {
	const { database, log, close } = await openBenchLog(engine);
	try {
		const user = await new UserStore(database.db).create({ email: 'bench@example.org', name: 'Bench', password: 'bench-password', role: 'responder' });
		const store = new IncidentStore(database.db);
		const items = keystrokeItems(SIZE, user.id);
		const plain = await store.create({ title: 'no snapshots', kind: 'outage', severity: 3, createdBy: user.id });
		const snapshotted = await store.create({ title: 'snapshots', kind: 'outage', severity: 3, createdBy: user.id });
		const doc = new Y.Doc();
		for (const row of await log.updatesAfter(snapshotted.id, 0, 1)) Y.applyUpdate(doc, row.update);
		for (let i = 0; i < items.length; i += SNAPSHOT_EVERY) {
			const batch = items.slice(i, i + SNAPSHOT_EVERY);
			await log.append(plain.id, batch);
			const rows = await log.append(snapshotted.id, batch);
			for (const item of batch) if (item.update) Y.applyUpdate(doc, item.update);
			await log.saveSnapshot(snapshotted.id, rows[rows.length - 1].seq, Y.encodeStateAsUpdate(doc));
		}
		const head = (await log.headSeq(plain.id)) as number;
		const middle = Math.floor(head / 2) + 500;
		const full = await median(async () => {
			const start = performance.now();
			await stateAt(log, plain.id, middle);
			return performance.now() - start;
		});
		const fromSnapshot = await median(async () => {
			const start = performance.now();
			await stateAt(log, snapshotted.id, middle);
			return performance.now() - start;
		});

		const search = new SearchIndex(database);
		for (let i = 0; i < CLOSED; i++) {
			const incident = await store.create({ title: `closed ${i}`, kind: 'outage', severity: 3, createdBy: user.id });
			await database.db.execute(sql`update incidents set closed_at = now() where id = ${incident.id}`);
			await search.index(incident.id, syntheticState(i), new Date());
		}
		const times: number[] = [];
		for (let i = 0; i < 50; i++) {
			const start = performance.now();
			await search.search(user.id, `${WORDS[i % WORDS.length]} ${WORDS[(i + 5) % WORDS.length]}`);
			times.push(performance.now() - start);
		}
		times.sort((a, b) => a - b);
		return {
			engine,
			'log rows': head,
			'state at seq': middle,
			'replay from row 1 ms': Math.round(full),
			'snapshot + tail ms': Math.round(fromSnapshot),
			'speed-up': `${(full / fromSnapshot).toFixed(1)}×`,
			[`search over ${CLOSED} closed p50 ms`]: percentile(times, 50).toFixed(1),
			'search p99 ms': percentile(times, 99).toFixed(1)
		};
	} finally {
		await close();
	}
}

export async function review(): Promise<void> {
	console.log(`\nArchived review: the room at a middle seq (median of ${RUNS}), and search (50 queries)`);
	const rows = [];
	for (const engine of benchEngines()) rows.push(await measure(engine));
	table(rows);
}
