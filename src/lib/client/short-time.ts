/**
 * A compact time for lines that sit next to other times: `17:20 UTC`, or with the date when it
 * is not the same day as `other` in that zone (`2026-12-02 23:50 GMT+1`).
 */
import { DateTime } from 'luxon';
import { isUtc } from './entry-zone.svelte';

export function shortTime(iso: string, zone: string, other: string | Date = new Date()): string {
	const at = DateTime.fromISO(iso, { zone: 'UTC' }).setZone(zone);
	if (!at.isValid) return iso;
	const otherAt = (typeof other === 'string' ? DateTime.fromISO(other, { zone: 'UTC' }) : DateTime.fromJSDate(other)).setZone(zone);
	const label = isUtc(zone) ? 'UTC' : at.toFormat('ZZZZ');
	return `${at.toFormat(at.toISODate() === otherAt.toISODate() ? 'HH:mm' : 'yyyy-MM-dd HH:mm')} ${label}`;
}
