/**
 * Verifying an incident's chain reads every row and hashes it on the main thread, so the readers
 * who may ask for it (the room's badge for everyone in the room, the postmortem and CSV downloads)
 * go through the review work limiter and share a recent result: a report is reused while the
 * log's head has not moved and it is less than a minute old. A tampered row is therefore shown
 * in the badge within a minute; the admin's full report (`/verify`, `vigiles verify`) is always
 * computed afresh.
 */
import { LRUCache } from 'lru-cache';
import type { IncidentVerifier, VerifyReport } from '../log/incident-verifier';
import type { LogStore } from '../log/log-store';
import type { WorkLimiter } from './work-limiter';

export const RECENT_REPORT_MS = 60_000;

export interface CheckedReport {
	report: VerifyReport;
	checkedAt: Date;
}

export class IntegrityChecks {
	private readonly recentReports = new LRUCache<string, CheckedReport>({ max: 1000, ttl: RECENT_REPORT_MS });

	constructor(
		private readonly verifier: IncidentVerifier,
		private readonly log: LogStore,
		private readonly limiter: WorkLimiter
	) {}

	/** A full verification now (waiting for a slot). */
	fresh(incidentId: string): Promise<VerifyReport> {
		return this.limiter.run(() => this.verifier.verify(incidentId));
	}

	/** A report no older than a minute for the log as it stands. */
	async recent(incidentId: string): Promise<CheckedReport> {
		const head = (await this.log.headSeq(incidentId)) ?? 0;
		const cached = this.recentReports.get(`${incidentId}:${head}`);
		if (cached) return cached;
		const checked = { report: await this.fresh(incidentId), checkedAt: new Date() };
		this.recentReports.set(`${incidentId}:${checked.report.headSeq}`, checked);
		return checked;
	}
}
