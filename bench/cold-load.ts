/**
 * Cold load of an incident whose log holds N keystroke updates: from the latest snapshot plus
 * the rows after it (SNAPSHOT_EVERY = 1000, so at most ~1000 rows of tail; here 500) against a
 * full replay of the log. Both through Room.load, the server's own load path.
 */
import * as Y from 'yjs';
import { IncidentStore } from '../server/incidents/incident-store';
import { memoryLogger } from '../server/logger';
import { Room } from '../server/sync/room';
import { UserStore } from '../server/users/user-store';
import { benchEngines, openBenchLog, table, type BenchEngine } from './bench-server';
import { keystrokeItems } from './keystrokes';

const SIZES = (process.env.BENCH_LOAD_SIZES ?? '10000,100000').split(',').map(Number);
const TAIL = 500;
const RUNS = 3;

async function median(run: () => Promise<number>): Promise<number> {
	const times: number[] = [];
	for (let i = 0; i < RUNS; i++) times.push(await run());
	return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
}

async function measure(engine: BenchEngine, size: number) {
	const { database, log, close } = await openBenchLog(engine);
	try {
		const user = await new UserStore(database.db).create({ email: 'bench@example.org', name: 'Bench', password: 'bench-password', role: 'responder' });
		const store = new IncidentStore(database.db);
		const deps = { log, logger: memoryLogger(), onBroken: () => {}, onEmpty: () => {} };
		const load = async (incidentId: string) => {
			const start = performance.now();
			const room = await Room.load(incidentId, deps);
			const ms = performance.now() - start;
			room.destroy();
			return ms;
		};

		const items = keystrokeItems(size, user.id);
		const plain = await store.create({ title: 'replay', kind: 'outage', severity: 3, createdBy: user.id });
		const snapshotted = await store.create({ title: 'snapshot', kind: 'outage', severity: 3, createdBy: user.id });
		for (let i = 0; i < items.length; i += 1000) {
			await log.append(plain.id, items.slice(i, i + 1000));
			await log.append(snapshotted.id, items.slice(i, i + 1000));
		}
		// The snapshot a room would have saved TAIL rows ago.
		const replayed = await Room.load(snapshotted.id, deps);
		const snapshotSeq = replayed.headSeq - TAIL;
		const doc = new Y.Doc();
		for (const row of await log.updatesAfter(snapshotted.id, 0, snapshotSeq)) Y.applyUpdate(doc, row.update);
		await log.saveSnapshot(snapshotted.id, snapshotSeq, Y.encodeStateAsUpdate(doc));
		replayed.destroy();

		const full = await median(() => load(plain.id));
		const fromSnapshot = await median(() => load(snapshotted.id));
		return {
			engine,
			'logged updates': size,
			'full replay ms': Math.round(full),
			[`snapshot + ${TAIL} rows ms`]: Math.round(fromSnapshot),
			'speed-up': `${(full / fromSnapshot).toFixed(1)}×`
		};
	} finally {
		await close();
	}
}

export async function coldLoad(): Promise<void> {
	console.log(`\nCold load of an incident (median of ${RUNS}; lower is better)`);
	const rows = [];
	for (const engine of benchEngines()) for (const size of SIZES) rows.push(await measure(engine, size));
	table(rows);
}
