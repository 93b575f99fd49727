/**
 * Appended updates per second: group commit (what arrives during a commit joins the next batch,
 * up to 500 rows per transaction) against one row per commit, on each engine. Every row is
 * chained and hashed either way; what differs is how many transactions carry them.
 */
import { GroupCommit } from '../server/log/group-commit';
import { memoryLogger } from '../server/logger';
import { UserStore } from '../server/users/user-store';
import { IncidentStore } from '../server/incidents/incident-store';
import { benchEngines, openBenchLog, table, type BenchEngine } from './bench-server';
import { keystrokeItems } from './keystrokes';

const UPDATES = Number(process.env.BENCH_APPEND_UPDATES ?? 3000);

async function rate(engine: BenchEngine, maxBatch: number): Promise<number> {
	const { database, log, close } = await openBenchLog(engine);
	try {
		const user = await new UserStore(database.db).create({ email: 'bench@example.org', name: 'Bench', password: 'bench-password', role: 'responder' });
		const incident = await new IncidentStore(database.db).create({ title: 'append bench', kind: 'outage', severity: 3, createdBy: user.id });
		const items = keystrokeItems(UPDATES, user.id);
		const queue = new GroupCommit<null>({
			append: (batch) => log.append(incident.id, batch),
			committed: () => {},
			failed: (error) => {
				throw error;
			},
			pressure: () => {},
			logger: memoryLogger(),
			maxBatch,
			highWater: Number.POSITIVE_INFINITY
		});
		const start = performance.now();
		const all = items.map((item) => queue.push(item, null));
		await Promise.all(all);
		const seconds = (performance.now() - start) / 1000;
		if ((await log.headSeq(incident.id)) !== UPDATES + 1) throw new Error('not every update was appended');
		return UPDATES / seconds;
	} finally {
		await close();
	}
}

export async function logAppend(): Promise<void> {
	console.log(`\nAppended updates/s: ${UPDATES} keystroke updates arriving at once (higher is better)`);
	const rows = [];
	for (const engine of benchEngines()) {
		const single = await rate(engine, 1);
		const group = await rate(engine, 500);
		rows.push({
			engine,
			'one row per commit': Math.round(single),
			'group commit': Math.round(group),
			'speed-up': `${(group / single).toFixed(1)}×`
		});
	}
	table(rows);
}
