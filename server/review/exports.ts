/**
 * Exports for people who were not in the room: a Markdown postmortem and a CSV of the timeline.
 * Both are built from the same inputs the review page uses: the final document state, the
 * records folded from the log, provenance (who added what, when the server received it), the
 * figures, and the verify outcome. Every time is in UTC, with the zone it was given in.
 */
import { stringify } from 'csv-stringify/sync';
import { formatDuration, incidentFigures } from '../../src/lib/shared/incident-figures';
import { formatUtc } from '../../src/lib/shared/occurred-at';
import type { Provenance } from '../../src/lib/shared/provenance';
import { roleLabel, type IncidentOrigin, type IncidentRecords } from '../../src/lib/shared/records';
import type { RoomState } from '../../src/lib/shared/room-state';
import { sortTimeline } from '../../src/lib/shared/timeline-order';
import { severityLabel } from '../../src/lib/shared/incident-kinds';
import { MILESTONE_LABELS, type EntryView } from '../../src/lib/shared/doc-schema';

export interface ExportInput {
	incident: { id: string; title: string; kind: string; severity: number; createdAt: string; closedAt: string | null };
	state: RoomState;
	records: IncidentRecords;
	origin: IncidentOrigin;
	provenance: Provenance;
	integrity: { ok: boolean; headSeq: number; checkpoints: number; firstBadSeq: number | null };
	generatedAt: Date;
}

function when(entry: EntryView): string {
	const start = formatUtc(entry.occurredAt, entry.precision);
	const until = entry.occurredUntil ? ` – ${formatUtc(new Date(Date.parse(entry.occurredUntil) - 1).toISOString(), entry.precision)}` : '';
	const zone = entry.occurredOffset !== 'Z' && entry.occurredOffset !== '+00:00' ? ` (given as UTC${entry.occurredOffset})` : '';
	return `${start}${until}${zone}`;
}

/**
 * Text from the room as one line of inert Markdown: line breaks become spaces, inline markup
 * characters are escaped (with ~ for strikethrough and fences, & for entities), what would open
 * a block at the start of a line (a list item, a setext underline, a numbered item) is escaped
 * too, and so are bare web and mail addresses, which renderers would turn into links.
 */
function md(text: string): string {
	return text
		.replace(/\r\n?|[\n\u2028\u2029]/g, ' ')
		.trimStart()
		.replace(/([\\`*_[\]<>|#~&])/g, '\\$1')
		.replace(/^([-+=])/, '\\$1')
		.replace(/^(\d+)([.)])/, '$1\\$2')
		// GitHub and GitLab turn bare addresses into links: "https\://", "www\." and "a\@b" stay text.
		.replace(/:\/\//g, '\\://')
		.replace(/(?<![a-z0-9])www\./gi, (m) => `${m.slice(0, 3)}\\.`)
		.replace(/@/g, '\\@');
}

export function ordered(input: Pick<ExportInput, 'state' | 'provenance'>): EntryView[] {
	return sortTimeline(input.state.entries, (id) => input.provenance.entries[id]?.addedSeq);
}

export function postmortemMarkdown(input: ExportInput): string {
	const { incident, state, records, provenance } = input;
	const entries = ordered(input);
	const figures = incidentFigures(state.meta.kind, entries);
	const out: string[] = [];
	out.push(`# Postmortem: ${md(state.meta.title)}`, '');
	out.push(
		`- Kind: ${incident.kind === 'security' ? 'security incident' : 'outage'}, ${severityLabel(state.meta.severity)}`,
		`- Opened: ${formatUtc(incident.createdAt)}`,
		...input.origin.escalations.map(
			(e) => `- Escalated from ${e.from === 'outage' ? 'an outage' : md(e.from)} to a security incident: ${formatUtc(e.at)} by ${md(e.by ?? 'unknown')}: ${md(e.reason)}`
		),
		`- Closed: ${incident.closedAt ? formatUtc(incident.closedAt) : 'not closed'}${records.closed ? ` by ${md(records.closed.by ?? 'unknown')}` : ''}`,
		...(incident.kind === 'security' && records.closed
			? [`- Credentials rotated: ${records.closed.credentialsRotated ? `confirmed by ${md(records.closed.by ?? 'unknown')} at close` : 'not confirmed'}`]
			: []),
		`- Record: ${input.integrity.ok ? 'verified' : `FAILED verification at seq ${input.integrity.firstBadSeq}`} (${input.integrity.headSeq} log rows, ${input.integrity.checkpoints} signed checkpoints)`,
		`- Incident id: ${incident.id}`,
		''
	);
	out.push('## Summary', '', state.meta.summary.trim() === '' ? '_No summary written._' : md(state.meta.summary), '');
	if (incident.kind === 'outage' || state.meta.cause.trim() !== '') {
		out.push('## Cause', '', state.meta.cause.trim() === '' ? '_Not recorded._' : md(state.meta.cause), '');
	}
	out.push('## Figures', '');
	for (const figure of figures) {
		const value =
			figure.ms === null
				? 'not recorded'
				: `${formatDuration(figure.ms, figure.precision)}${figure.precision === 'day' ? ' (good to a day)' : ''}${figure.ms < 0 ? ' (ends before it starts: check the marks)' : ''}`;
		out.push(`- ${figure.label}: ${value}`);
	}
	out.push('');
	const lanes: { lane: EntryView['lane']; title: string }[] =
		incident.kind === 'security'
			? [
					{ lane: 'intrusion', title: 'Intrusion timeline (what the intruder did, reconstructed)' },
					{ lane: 'response', title: 'Response timeline (what we did and saw)' }
				]
			: [
					{ lane: 'response', title: 'Timeline' },
					{ lane: 'intrusion', title: 'Intrusion timeline' }
				];
	for (const { lane, title } of lanes) {
		const inLane = entries.filter((entry) => entry.lane === lane);
		if (inLane.length === 0 && lane === 'intrusion' && incident.kind !== 'security') continue;
		out.push(`## ${title}`, '');
		if (inLane.length === 0) out.push('_No entries._');
		out.push('| Occurred (UTC) | What | Added by | Received |', '|---|---|---|---|');
		for (const entry of inLane) {
			const p = provenance.entries[entry.id];
			const mark = entry.milestone ? ` **[${MILESTONE_LABELS[entry.milestone]}]**` : '';
			out.push(`| ${md(when(entry))} | ${md(entry.text)}${mark} | ${md(p?.addedBy?.name ?? 'unknown')} | ${p ? formatUtc(p.addedAt) : ''} |`);
		}
		out.push('');
	}
	out.push('## Roles over time', '');
	if (records.roles.length === 0) out.push('_No roles were assigned._');
	for (const term of records.roles) {
		out.push(`- ${md(roleLabel(term.role))}: ${md(term.name)}, from ${formatUtc(term.from)} ${term.until ? `to ${formatUtc(term.until)}` : 'to the end'}`);
	}
	out.push('');
	if (incident.kind === 'security' || records.evidence.length > 0) {
		out.push('## Evidence register', '');
		if (records.evidence.length === 0) out.push('_No evidence registered._');
		for (const item of records.evidence) {
			out.push(
				`### ${md(item.what)}`,
				'',
				`- From: ${md(item.system)}; collected by ${md(item.collectedBy)}; acquired ${formatUtc(item.acquiredAt)}`,
				`- SHA-256: \`${item.sha256}\``,
				`- Stored at: ${md(item.storedAt)}`,
				`- Registered: ${formatUtc(item.registeredAt)} by ${md(item.registeredBy ?? 'unknown')} (seq ${item.registeredSeq})`,
				`- Sealed: ${item.sealed ? `${formatUtc(item.sealed.at)} by ${md(item.sealed.by ?? 'unknown')} (seq ${item.sealed.seq})` : 'no'}`
			);
			for (const step of item.custody) {
				out.push(`- Custody: ${md(step.from)} → ${md(step.to)} at ${formatUtc(step.at)}: ${md(step.why)} (recorded by ${md(step.recordedBy ?? 'unknown')}, seq ${step.seq})`);
			}
			out.push('');
		}
	}
	if (records.actions.length > 0) {
		out.push('## Destructive steps', '');
		for (const action of records.actions) {
			const override = action.override ? ` — **without a capture**: ${md(action.override)}` : '';
			out.push(`- ${formatUtc(action.at)}: ${action.action} of ${md(action.system)} by ${md(action.by ?? 'unknown')}${override}`);
		}
		out.push('');
	}
	if (state.checklist.length > 0) {
		out.push('## Checklist', '');
		for (const item of state.checklist) {
			out.push(`- [${item.done ? 'x' : ' '}] ${md(item.label)}${item.exception ? ` — skipped: ${md(item.exception)}` : ''}`);
		}
		out.push('');
	}
	out.push('## Follow-up actions', '');
	if (state.followUps.length === 0) out.push('_None._');
	for (const followUp of state.followUps) {
		out.push(`- [${followUp.done ? 'x' : ' '}] ${md(followUp.text)} (owner: ${md(followUp.owner || 'nobody')})`);
	}
	out.push('', `_Generated by Vigiles at ${formatUtc(input.generatedAt.toISOString())} from the incident's log._`, '');
	return out.join('\n');
}

export const CSV_COLUMNS = [
	'occurred_at_utc',
	'occurred_until_utc',
	'precision',
	'given_offset',
	'lane',
	'milestone',
	'text',
	'shared_with_stakeholders',
	'added_by',
	'received_at_utc',
	'added_seq',
	'annotations'
] as const;

export function timelineCsv(input: Pick<ExportInput, 'state' | 'provenance'>): string {
	const rows = ordered(input).map((entry) => {
		const p = input.provenance.entries[entry.id];
		// Free text is neutralized; every other cell is a value readEntry has already checked
		// (an ISO time, "Z" or ±hh:mm, a known precision, lane or milestone), which cannot hold a
		// formula and is kept exactly as it is, so scripts reading the CSV get "-07:00", not "'-07:00".
		return [
			entry.occurredAt,
			entry.occurredUntil ?? '',
			entry.precision,
			entry.occurredOffset,
			entry.lane,
			entry.milestone ?? '',
			neutralize(entry.text),
			entry.shared ? 'yes' : 'no',
			neutralize(p?.addedBy?.name ?? ''),
			p?.addedAt ?? '',
			p?.addedSeq ?? '',
			neutralize(entry.annotations.map((a) => a.text).join(' | '))
		];
	});
	return stringify([[...CSV_COLUMNS], ...rows], { quoted_string: true });
}

/**
 * A cell a spreadsheet would run as a formula is prefixed with ': one that starts with =, +, -,
 * @, a tab or a line break, or with spaces before one of the first four (some trim them).
 */
function neutralize(text: string): string {
	// The full-width forms too (＝＋－＠): some spreadsheets read them as the ASCII ones.
	return /^[=+\-@\t\r\n\uFF1D\uFF0B\uFF0D\uFF20]|^\s+[=+\-@\uFF1D\uFF0B\uFF0D\uFF20]/.test(text) ? `'${text}` : text;
}
