/**
 * Closing discipline and the archived review: the gates (live and at close), close, reopen (an
 * admin, with a reason), the room as it was at any seq, the Markdown postmortem, the timeline as
 * CSV, checklist templates, and search over closed incidents.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { missingGates } from '../../src/lib/shared/close-gates';
import { INCIDENT_KINDS, STATUSES, type IncidentKind } from '../../src/lib/shared/incident-kinds';
import { MAX_CHECKLIST_LABEL } from '../../src/lib/shared/limits';
import { foldOrigin, foldRecords } from '../../src/lib/shared/records';
import { commandItem } from '../log/command-item';
import { postmortemMarkdown, timelineCsv, type ExportInput } from '../review/exports';
import { MAX_QUERY_CHARS } from '../review/search-index';
import { ApiError } from './api-error';
import type { AppDeps, AppEnv } from './context';
import { queryInt, readBody, storable } from './read-body';
import { requireAdmin, requireUser, requireVisibleIncident, requireWriter } from './session';
import type { Incident } from '../incidents/incident-store';

const MAX_SEQ = 2_147_483_647;

const closeBody = z.object({ credentialsRotated: z.boolean({ error: 'must be true or false' }).optional() });

const reopenBody = z.object({
	reason: z.string({ error: 'must say why' }).trim().min(1, 'must say why the incident is reopened').max(2000).refine(...storable),
	/** The phase to reopen into; the kind's last phase when absent. */
	status: z.string().optional()
});

const templateBody = z.object({
	items: z
		.array(
			z.object({
				id: z
					.string()
					.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, "-" or "_"')
					.refine((id) => !['__proto__', 'constructor', 'prototype'].includes(id), 'must not be __proto__, constructor or prototype')
					.optional(),
				label: z.string().trim().min(1, 'must not be empty').max(MAX_CHECKLIST_LABEL).refine(...storable),
				capture: z.boolean().optional()
			}),
			{ error: 'must be a list of {label, capture?}' }
		)
		.max(50, 'must have at most 50 items')
});

export function reviewRoutes(deps: AppDeps): Hono<AppEnv> {
	const app = new Hono<AppEnv>();

	async function exportInput(incident: Incident): Promise<ExportInput> {
		const room = await deps.rooms.get(incident.id);
		const [state, recordEvents, originEvents, provenance, { report }] = await Promise.all([
			room.roomState(),
			deps.log.recordEvents(incident.id),
			deps.log.originEvents(incident.id),
			deps.log.provenance(incident.id),
			deps.integrity.recent(incident.id)
		]);
		return {
			incident,
			state,
			records: foldRecords(recordEvents),
			origin: foldOrigin(originEvents),
			provenance,
			integrity: { ok: report.ok, headSeq: report.headSeq, checkpoints: report.checkpoints.count, firstBadSeq: report.firstBadSeq },
			generatedAt: new Date()
		};
	}

	/** What is still missing before the incident may close (the room shows it live). */
	app.get('/incidents/:id/close-check', async (c) => {
		const incident = await requireVisibleIncident(c, deps.incidents);
		const room = await deps.rooms.get(incident.id);
		const [state, events, origin] = await Promise.all([room.roomState(), deps.log.recordEvents(incident.id), deps.log.originEvents(incident.id)]);
		const attest = { credentialsRotated: c.req.query('credentialsRotated') === 'true' };
		const missing = missingGates(incident.kind as IncidentKind, state, foldRecords(events), attest, foldOrigin(origin).required);
		return c.json({ closed: incident.closedAt !== null, ready: missing.length === 0, missing });
	});

	app.post('/incidents/:id/close', async (c) => {
		const actor = requireWriter(c);
		const body = await readBody(c, closeBody);
		const visible = await requireVisibleIncident(c, deps.incidents);
		return deps.incidentLock.run(visible.id, async () => {
			const incident = await requireVisibleIncident(c, deps.incidents);
			if (incident.closedAt) throw new ApiError(409, 'already_closed', `the incident was closed at ${incident.closedAt}`);
			const room = await deps.rooms.get(incident.id);
			const who = { id: actor.id, name: actor.name };
			const closed = await room.close(async (state) => {
				const [events, origin] = await Promise.all([deps.log.recordEvents(incident.id), deps.log.originEvents(incident.id)]);
				const kind = incident.kind as IncidentKind;
				const missing = missingGates(kind, state, foldRecords(events), body, foldOrigin(origin).required);
				if (missing.length > 0) {
					throw new ApiError(422, 'close_gates', `the incident cannot close yet; missing: ${missing.map((m) => m.message).join('; ')}`, { missing });
				}
				const exceptions = state.checklist
					.filter((item) => !item.done && item.exception !== null)
					.map((item) => ({ itemId: item.id, label: item.label, reason: item.exception as string }));
				const row = commandItem(actor.id, {
					type: 'incident.closed',
					kind,
					summary: state.meta.summary.slice(0, 500),
					credentialsRotated: body.credentialsRotated === true,
					exceptions
				});
				return { rows: [row], actor: who, result: state };
			});
			const closedRow = closed.rows.find((row) => row.type === 'incident.closed');
			try {
				await deps.search.index(incident.id, closed.result, closedRow?.at ?? new Date());
			} catch (error) {
				// The incident is closed and its record is whole; only finding it by search is lost.
				deps.logger.error('search indexing failed after close', { incidentId: incident.id, error: String(error) });
			}
			const checkpoint = await deps.log.lastCheckpoint(incident.id);
			deps.logger.info('incident closed', { incidentId: incident.id, by: actor.id });
			return c.json({ incident: await deps.incidents.get(incident.id), checkpoint });
		});
	});

	app.post('/incidents/:id/reopen', async (c) => {
		const actor = requireAdmin(c);
		const body = await readBody(c, reopenBody);
		const visible = await requireVisibleIncident(c, deps.incidents);
		return deps.incidentLock.run(visible.id, async () => {
			const incident = await requireVisibleIncident(c, deps.incidents);
			if (!incident.closedAt) throw new ApiError(409, 'not_closed', 'the incident is not closed');
			const phases = STATUSES[incident.kind as IncidentKind];
			const status = body.status ?? phases[phases.length - 1];
			if (!phases.includes(status)) {
				throw new ApiError(400, 'invalid_field', `status: must be one of ${phases.join(', ')}`);
			}
			const room = await deps.rooms.get(incident.id);
			await room.reopen(commandItem(actor.id, { type: 'incident.reopened', reason: body.reason, status }), { id: actor.id, name: actor.name }, status);
			await deps.search.remove(incident.id);
			deps.logger.info('incident reopened', { incidentId: incident.id, by: actor.id, status });
			return c.json({ incident: await deps.incidents.get(incident.id) });
		});
	});

	/** The room as it was right after log row `seq` (default: the head). */
	app.get('/incidents/:id/state', async (c) => {
		const incident = await requireVisibleIncident(c, deps.incidents);
		const headSeq = (await deps.log.headSeq(incident.id)) ?? incident.headSeq;
		const seq = queryInt(c, 'seq', headSeq, 1, MAX_SEQ);
		if (seq > headSeq) throw new ApiError(400, 'invalid_field', `seq: the log ends at ${headSeq}`);
		return c.body(await deps.replayer.json(incident.id, seq, headSeq), 200, { 'Content-Type': 'application/json; charset=utf-8' });
	});

	app.get('/incidents/:id/postmortem.md', async (c) => {
		const incident = await requireVisibleIncident(c, deps.incidents);
		const markdown = postmortemMarkdown(await exportInput(incident));
		return c.body(markdown, 200, {
			'Content-Type': 'text/markdown; charset=utf-8',
			'Content-Disposition': `attachment; filename="postmortem-${incident.id}.md"`
		});
	});

	app.get('/incidents/:id/timeline.csv', async (c) => {
		const incident = await requireVisibleIncident(c, deps.incidents);
		const input = await exportInput(incident);
		return c.body(timelineCsv(input), 200, {
			'Content-Type': 'text/csv; charset=utf-8',
			'Content-Disposition': `attachment; filename="timeline-${incident.id}.csv"`
		});
	});

	app.get('/search', async (c) => {
		const user = requireUser(c);
		const q = (c.req.query('q') ?? '').trim();
		if (q === '') throw new ApiError(400, 'invalid_field', 'q: must not be empty');
		if (q.length > MAX_QUERY_CHARS) throw new ApiError(400, 'invalid_field', `q: must be at most ${MAX_QUERY_CHARS} characters`);
		if (/\u0000/.test(q)) throw new ApiError(400, 'invalid_field', 'q: must not contain NUL characters');
		return c.json({ query: q, results: await deps.search.search(user.id, q) });
	});

	app.get('/checklist-templates', async (c) => {
		requireUser(c);
		const templates = await Promise.all(INCIDENT_KINDS.map((kind) => deps.templates.get(kind)));
		return c.json({ templates });
	});

	app.put('/checklist-templates/:kind', async (c) => {
		const admin = requireAdmin(c);
		const kind = c.req.param('kind');
		if (!(INCIDENT_KINDS as readonly string[]).includes(kind)) throw new ApiError(404, 'not_found', 'no such incident kind (outage or security)');
		const { items } = await readBody(c, templateBody);
		const ids = items.flatMap((item) => (item.id ? [item.id] : []));
		if (new Set(ids).size !== ids.length) throw new ApiError(400, 'invalid_field', 'items: ids must be unique');
		const template = await deps.templates.set(kind as IncidentKind, items, admin.id);
		deps.logger.info('checklist template changed', { kind, items: items.length, by: admin.id });
		return c.json(template);
	});

	return app;
}

