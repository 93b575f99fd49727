/**
 * One process owns an embedded database folder. PGlite has no lock of its own, and two processes
 * writing one data folder corrupt it, so every command that opens the embedded database first
 * takes this lock.
 *
 * The lock is a numbered file, `DIR/vigiles.lock.N`, holding its owner's pid; the owner is the
 * highest number, and numbers only grow. Taking the lock means creating the next number
 * exclusively, so of several processes racing for it exactly one succeeds, whether the last
 * owner released it (its file then says pid 0) or was killed (its pid no longer runs). Nobody
 * deletes or renames a file out from under a live owner: the winner of number N removes only the
 * numbers below N, whose owners are gone. A pid-based lock rather than an mtime-based one
 * (proper-lockfile) because after SIGKILL we can tell at once that the owner is gone.
 */
import { randomBytes } from 'node:crypto';
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

const LOCK_PREFIX = 'vigiles.lock.';

export function lockDataDir(dataDir: string): DataDirLock {
	fs.mkdirSync(dataDir, { recursive: true });
	// Each lock file appears with its content at once (a hard link to a file already written),
	// so nobody ever reads an empty lock and takes it for a dead one.
	const mine = path.join(dataDir, `.vigiles.lock.tmp.${process.pid}.${randomBytes(4).toString('hex')}`);
	fs.writeFileSync(mine, String(process.pid), { mode: 0o600 });
	try {
		for (let attempt = 0; attempt < 20; attempt++) {
			const top = highestLock(dataDir);
			if (top) {
				if (!fs.existsSync(top.file)) continue; // cleared away by a winner while we looked
				const owner = readPid(top.file);
				if (owner !== null && (owner === process.pid || isRunning(owner))) throw new DataDirLockedError(dataDir, owner);
			}
			const generation = (top?.generation ?? 0) + 1;
			const file = path.join(dataDir, `${LOCK_PREFIX}${generation}`);
			try {
				fs.linkSync(mine, file);
			} catch (error) {
				if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue; // someone else took this number
				throw error;
			}
			// A number below the top can be free again once a winner cleared it away; holding it
			// means nothing. Only the highest number is the lock.
			if ((highestLock(dataDir)?.generation ?? 0) > generation) {
				fs.rmSync(file, { force: true });
				continue;
			}
			// Ours. The lower numbers belonged to processes that are gone.
			for (const old of locks(dataDir)) if (old.generation < generation) fs.rmSync(old.file, { force: true });
			return heldLock(file);
		}
		throw new Error(`could not lock ${dataDir}: the lock keeps changing hands`);
	} finally {
		fs.rmSync(mine, { force: true });
	}
}

function locks(dataDir: string): { generation: number; file: string }[] {
	return fs
		.readdirSync(dataDir)
		.filter((name) => name.startsWith(LOCK_PREFIX) && /^\d+$/.test(name.slice(LOCK_PREFIX.length)))
		.map((name) => ({ generation: Number(name.slice(LOCK_PREFIX.length)), file: path.join(dataDir, name) }));
}

function highestLock(dataDir: string): { generation: number; file: string } | null {
	return locks(dataDir).reduce<{ generation: number; file: string } | null>((top, lock) => (!top || lock.generation > top.generation ? lock : top), null);
}

/** Releasing replaces the file's pid with 0 in one step, keeping its number so numbers only grow. */
function heldLock(file: string): DataDirLock {
	let released = false;
	return {
		release() {
			if (released) return;
			released = true;
			try {
				if (readPid(file) !== process.pid) return;
				const replacement = `${file}.released.${process.pid}`;
				fs.writeFileSync(replacement, '0');
				fs.renameSync(replacement, file);
			} catch {
				// already gone
			}
		}
	};
}

function readPid(file: string): number | null {
	try {
		const pid = Number(fs.readFileSync(file, 'utf8').trim());
		if (pid === 0) return 0;
		return Number.isInteger(pid) && pid > 0 ? pid : null;
	} catch {
		return null;
	}
}

function isRunning(pid: number): boolean {
	if (pid === 0) return false;
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}
