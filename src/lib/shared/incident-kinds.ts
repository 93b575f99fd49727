/**
 * Incident kinds, severities and the status values each kind moves through.
 * Closing is a server command, so `closed` is not in either list.
 */
export const INCIDENT_KINDS = ['outage', 'security'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];

export const SEVERITIES = [1, 2, 3, 4] as const;
export type Severity = (typeof SEVERITIES)[number];

export const STATUSES: Record<IncidentKind, readonly string[]> = {
	outage: ['investigating', 'identified', 'monitoring', 'resolved'],
	security: ['detected', 'analysing', 'contained', 'eradicated', 'recovered']
};

export function initialStatus(kind: IncidentKind): string {
	return STATUSES[kind][0];
}

export function isIncidentKind(value: unknown): value is IncidentKind {
	return value === 'outage' || value === 'security';
}

export function isSeverity(value: unknown): value is Severity {
	return value === 1 || value === 2 || value === 3 || value === 4;
}

/** SEV1 is the most severe. */
export function severityLabel(severity: number): string {
	return isSeverity(severity) ? `SEV${severity}` : 'SEV?';
}
