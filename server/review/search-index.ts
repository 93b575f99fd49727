/**
 * Full-text search over closed incidents (Postgres `tsvector`, English stemming). An incident is
 * indexed when it closes — its title, summary, cause, every timeline entry and annotation, its
 * follow-ups — and taken out when it is reopened. Searching shows only incidents the reader may
 * see: open to everyone, or restricted with the reader as a member.
 */
import { sql } from 'drizzle-orm';
import type { RoomState } from '../../src/lib/shared/room-state';
import type { Database } from '../db/database';

export interface SearchHit {
	incidentId: string;
	title: string;
	kind: string;
	severity: number;
	closedAt: string;
	/** Matching words marked with «» (plain text, never HTML). */
	snippet: string;
	rank: number;
}

export const MAX_QUERY_CHARS = 200;
/**
 * How much of an incident's text is indexed. A tsvector holds at most 1 MB, and headlines cost
 * time in proportion to the text, so an incident with more text than this is found by its first
 * 200,000 characters (title, summary and cause come first).
 */
export const MAX_INDEXED_CHARS = 200_000;
/** Snippets are cut from this much of the indexed text. */
const HEADLINE_CHARS = 20_000;

/** At most `max` UTF-16 units, never ending inside a surrogate pair. */
function clip(text: string, max: number): string {
	if (text.length <= max) return text;
	const code = text.charCodeAt(max - 1);
	return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

export function searchBody(state: RoomState): string {
	const parts = [
		state.meta.title,
		state.meta.summary,
		state.meta.cause,
		...state.entries.flatMap((entry) => [entry.text, ...entry.annotations.map((a) => a.text)]),
		...state.followUps.map((f) => `${f.text} ${f.owner}`)
	];
	return clip(parts.filter((part) => part.trim() !== '').join('\n'), MAX_INDEXED_CHARS);
}

export class SearchIndex {
	constructor(private readonly database: Database) {}

	async index(incidentId: string, state: RoomState, closedAt: Date): Promise<void> {
		const body = searchBody(state);
		await this.database.db.execute(sql`
			insert into incident_search (incident_id, body, document, closed_at)
			values (${incidentId}, ${body}, to_tsvector('english', ${body}), ${closedAt.toISOString()})
			on conflict (incident_id) do update set body = excluded.body, document = excluded.document, closed_at = excluded.closed_at`);
	}

	async remove(incidentId: string): Promise<void> {
		await this.database.db.execute(sql`delete from incident_search where incident_id = ${incidentId}`);
	}

	async search(userId: string, query: string, limit = 50): Promise<SearchHit[]> {
		type Row = { incident_id: string; title: string; kind: string; severity: number; closed_at: string | Date; snippet: string; rank: number };
		// Rank and limit first; only the hits shown get a headline, cut from a bounded prefix.
		const rows = await this.database.rows<Row>(sql`
			select hit.incident_id, hit.title, hit.kind, hit.severity, hit.closed_at, hit.rank,
				ts_headline('english', left(s.body, ${HEADLINE_CHARS}), hit.q, 'StartSel=«, StopSel=», MaxWords=30, MinWords=10, MaxFragments=2') as snippet
			from (
				select s.incident_id, i.title, i.kind, i.severity, s.closed_at, q, ts_rank(s.document, q) as rank
				from incident_search s
				join incidents i on i.id = s.incident_id
				cross join websearch_to_tsquery('english', ${query}) q
				where s.document @@ q
					and i.closed_at is not null
					and (not i.restricted or exists (
						select 1 from incident_members m where m.incident_id = i.id and m.user_id = ${userId}))
				order by rank desc, s.closed_at desc
				limit ${limit}
			) hit
			join incident_search s on s.incident_id = hit.incident_id
			order by hit.rank desc, hit.closed_at desc`);
		return rows.map((row) => ({
			incidentId: row.incident_id,
			title: row.title,
			kind: row.kind,
			severity: Number(row.severity),
			closedAt: new Date(row.closed_at).toISOString(),
			snippet: row.snippet,
			rank: Number(row.rank)
		}));
	}
}
