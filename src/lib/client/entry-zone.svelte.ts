/**
 * The zone a typed time without an offset is read in: the viewer's own zone or UTC. Remembered
 * per browser in localStorage, since a responder who works in UTC wants it every time.
 */
const STORAGE_KEY = 'vigiles:entry-zone';

export type ZoneMode = 'local' | 'utc';

/** The viewer's IANA zone, e.g. `Europe/Berlin`. */
export function viewerZone(): string {
	return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

export class EntryZone {
	mode = $state<ZoneMode>(readStored());
	readonly local = viewerZone();
	/** Nothing to choose when the viewer's own zone is UTC. */
	readonly localIsUtc = isUtc(this.local);

	get zone(): string {
		return this.mode === 'utc' || this.localIsUtc ? 'UTC' : this.local;
	}

	set(mode: ZoneMode): void {
		this.mode = mode;
		try {
			localStorage.setItem(STORAGE_KEY, mode);
		} catch {
			// Storage can be full or blocked; the choice then lasts for this page only.
		}
	}
}

export function isUtc(zone: string): boolean {
	return ['UTC', 'Etc/UTC', 'Etc/GMT', 'GMT', 'Etc/Universal', 'Universal', 'Etc/Zulu', 'Zulu'].includes(zone);
}

function readStored(): ZoneMode {
	try {
		return localStorage.getItem(STORAGE_KEY) === 'utc' ? 'utc' : 'local';
	} catch {
		return 'local';
	}
}
