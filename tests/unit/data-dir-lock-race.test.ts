import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../server/config';

/**
 * Several processes start at once against a stale lock (its owner was killed). Each holds the lock
 * for a moment if it gets it and appends "enter"/"leave" to a shared journal; two holders at once
 * would show as two "enter" lines without a "leave" between them.
 */
describe('the data-folder lock under a race', () => {
	it('lets at most one of six racing processes hold a stale lock at a time', async () => {
		const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigiles-race-'));
		const journal = path.join(dir, 'journal');
		fs.writeFileSync(path.join(dir, 'vigiles.lock.3'), '999999999');
		const script = `
			import { lockDataDir } from ${JSON.stringify(path.join(PROJECT_ROOT, 'server/db/data-dir-lock.ts'))};
			import fs from 'node:fs';
			const deadline = Date.now() + 3000;
			while (Date.now() < deadline) {
				try {
					const lock = lockDataDir(${JSON.stringify(dir)});
					fs.appendFileSync(${JSON.stringify(journal)}, 'enter ' + process.pid + '\\n');
					const until = Date.now() + 5; while (Date.now() < until) {}
					fs.appendFileSync(${JSON.stringify(journal)}, 'leave ' + process.pid + '\\n');
					lock.release();
				} catch (error) {
					if (error.name !== 'DataDirLockedError') throw error;
				}
			}
		`;
		const runs = Array.from({ length: 6 }, () =>
			new Promise<number | null>((resolve) => {
				const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: PROJECT_ROOT, stdio: 'inherit' });
				child.on('exit', (code) => resolve(code));
			})
		);
		expect(await Promise.all(runs)).toEqual([0, 0, 0, 0, 0, 0]);
		const lines = fs.readFileSync(journal, 'utf8').trim().split('\n');
		expect(lines.length).toBeGreaterThan(10);
		let holder: string | null = null;
		for (const line of lines) {
			const [what, pid] = line.split(' ');
			if (what === 'enter') {
				expect(holder, `two holders: ${holder} and ${pid}`).toBeNull();
				holder = pid;
			} else {
				expect(holder).toBe(pid);
				holder = null;
			}
		}
		fs.rmSync(dir, { recursive: true, force: true });
	}, 30_000);
});
