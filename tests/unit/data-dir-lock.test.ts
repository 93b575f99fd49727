import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from '../../server/db/data-dir-lock';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'vigiles-lock-'));

describe('lockDataDir', () => {
	it('refuses a folder another live process holds, naming its pid', () => {
		const dir = tmp();
		fs.writeFileSync(path.join(dir, 'vigiles.pid'), String(process.ppid));
		expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
		expect(() => lockDataDir(dir)).toThrow(new RegExp(`pid ${process.ppid}`));
	});

	it('refuses a second lock from the same process', () => {
		const dir = tmp();
		const lock = lockDataDir(dir);
		expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
		lock.release();
		lockDataDir(dir).release();
	});

	it('takes over a lock whose process is gone', () => {
		const dir = tmp();
		const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
		fs.writeFileSync(path.join(dir, 'vigiles.pid'), gone);
		const lock = lockDataDir(dir);
		expect(fs.readFileSync(path.join(dir, 'vigiles.pid'), 'utf8')).toBe(String(process.pid));
		lock.release();
		expect(fs.existsSync(path.join(dir, 'vigiles.pid'))).toBe(false);
	});

	it('takes over a lock file left empty by a crash mid-write', () => {
		const dir = tmp();
		fs.writeFileSync(path.join(dir, 'vigiles.pid'), '');
		lockDataDir(dir).release();
	});
});
