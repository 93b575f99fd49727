/**
 * One process owns an embedded database folder. PGlite has no lock of its own, and two processes
 * writing one data folder corrupt it, so every command that opens the embedded database first
 * takes `DIR/vigiles.pid` (created exclusively, holding the owner's pid).
 *
 * A lock whose pid is no longer running (the owner was killed) is taken over, so a restart after
 * a crash needs no cleanup. A pid-based lock rather than an mtime-based one (proper-lockfile) for
 * exactly that reason: after SIGKILL we can tell at once that the owner is gone.
 */
import fs from 'node:fs';
import path from 'node:path';

export class DataDirLockedError extends Error {
	override name = 'DataDirLockedError';
	constructor(
		readonly dataDir: string,
		readonly ownerPid: number
	) {
		super(
			`the embedded database in ${dataDir} is in use by another Vigiles process (pid ${ownerPid}). ` +
				'A running `vigiles serve` holds it: stop the server first, then run this command.'
		);
	}
}

export interface DataDirLock {
	release(): void;
}

const LOCK_FILE = 'vigiles.pid';

export function lockDataDir(dataDir: string): DataDirLock {
	fs.mkdirSync(dataDir, { recursive: true });
	const file = path.join(dataDir, LOCK_FILE);
	for (let attempt = 0; attempt < 3; attempt++) {
		try {
			const fd = fs.openSync(file, 'wx', 0o600);
			fs.writeSync(fd, String(process.pid));
			fs.closeSync(fd);
			let released = false;
			return {
				release() {
					if (released) return;
					released = true;
					try {
						if (readPid(file) === process.pid) fs.unlinkSync(file);
					} catch {
						// already gone
					}
				}
			};
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			const owner = readPid(file);
			if (owner !== null && owner !== process.pid && isRunning(owner)) throw new DataDirLockedError(dataDir, owner);
			if (owner === process.pid) throw new DataDirLockedError(dataDir, owner);
			// The owner is gone (or the file is empty/garbled from a crash mid-write): take it over.
			try {
				fs.unlinkSync(file);
			} catch {
				// someone else removed it first; try again
			}
		}
	}
	throw new Error(`could not lock ${dataDir}: the lock file keeps changing`);
}

function readPid(file: string): number | null {
	try {
		const pid = Number(fs.readFileSync(file, 'utf8').trim());
		return Number.isInteger(pid) && pid > 0 ? pid : null;
	} catch {
		return null;
	}
}

function isRunning(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}
