import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from '../../server/db/data-dir-lock';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'vigiles-lock-'));
const lockFiles = (dir: string) => fs.readdirSync(dir).filter((name) => name.startsWith('vigiles.lock.')).sort();

describe('lockDataDir', () => {
	it('refuses a folder another live process holds, naming its pid', () => {
		const dir = tmp();
		fs.writeFileSync(path.join(dir, 'vigiles.lock.1'), String(process.ppid));
		expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
		expect(() => lockDataDir(dir)).toThrow(new RegExp(`pid ${process.ppid}`));
		expect(lockFiles(dir)).toEqual(['vigiles.lock.1']);
	});

	it('refuses a second lock from the same process, and is free again once released', () => {
		const dir = tmp();
		const lock = lockDataDir(dir);
		expect(() => lockDataDir(dir)).toThrow(DataDirLockedError);
		lock.release();
		// A released lock keeps its number and says pid 0, so numbers only ever grow.
		expect(fs.readFileSync(path.join(dir, 'vigiles.lock.1'), 'utf8')).toBe('0');
		const next = lockDataDir(dir);
		expect(lockFiles(dir)).toEqual(['vigiles.lock.2']);
		next.release();
	});

	it('outbids a lock whose process is gone, and clears it away', () => {
		const dir = tmp();
		const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
		fs.writeFileSync(path.join(dir, 'vigiles.lock.7'), gone);
		const lock = lockDataDir(dir);
		expect(lockFiles(dir)).toEqual(['vigiles.lock.8']);
		expect(fs.readFileSync(path.join(dir, 'vigiles.lock.8'), 'utf8')).toBe(String(process.pid));
		lock.release();
		expect(lockFiles(dir)).toEqual(['vigiles.lock.8']);
	});

	it('outbids a lock file left empty by a crash mid-write', () => {
		const dir = tmp();
		fs.writeFileSync(path.join(dir, 'vigiles.lock.1'), '');
		lockDataDir(dir).release();
	});
});
