/**
 * Incidents: create, list, read, and read their log.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { INCIDENT_KINDS } from '../../src/lib/shared/incident-kinds';
import { MAX_LOG_PAGE, MAX_TITLE_LENGTH } from '../../src/lib/shared/limits';
import type { AppDeps, AppEnv } from './context';
import { queryInt, readBody, storable } from './read-body';
import { requireAdmin, requireUser, requireVisibleIncident, requireWriter } from './session';
import { zipSync } from 'fflate';
import { buildBundle } from '../log/export-bundle';

/** The largest seq a query may name (Postgres integer). */
const MAX_SEQ = 2_147_483_647;

const createIncidentBody = z.object({
	title: z
		.string()
		.trim()
		.min(1, 'must not be empty')
		.max(MAX_TITLE_LENGTH, `must be at most ${MAX_TITLE_LENGTH} characters`)
		.refine(...storable),
	kind: z.enum(INCIDENT_KINDS, { error: 'must be "outage" or "security"' }),
	severity: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)], {
		error: 'must be 1, 2, 3 or 4 (1 is the most severe)'
	})
});

export function incidentsRoutes(deps: AppDeps): Hono<AppEnv> {
	const app = new Hono<AppEnv>();

	const visibleIncident = (c: Context<AppEnv>) => requireVisibleIncident(c, deps.incidents);

	app.post('/incidents', async (c) => {
		const user = requireWriter(c);
		const body = await readBody(c, createIncidentBody);
		const template = await deps.templates.get(body.kind);
		const incident = await deps.incidents.create({ ...body, createdBy: user.id, checklist: template.items });
		deps.logger.info('incident created', { incidentId: incident.id, by: user.id });
		return c.json(incident, 201);
	});

	app.get('/incidents', async (c) => {
		const user = requireUser(c);
		return c.json({ incidents: await deps.incidents.listVisible(user.id) });
	});

	app.get('/incidents/:id', async (c) => {
		return c.json(await visibleIncident(c));
	});

	app.get('/incidents/:id/log', async (c) => {
		const incident = await visibleIncident(c);
		const after = queryInt(c, 'after', 0, 0, MAX_SEQ);
		const before = c.req.query('before') === undefined ? undefined : queryInt(c, 'before', MAX_SEQ, 1, MAX_SEQ);
		const limit = queryInt(c, 'limit', 100, 1, MAX_LOG_PAGE);
		const events = await deps.log.events(incident.id, { after, before, limit });
		const headSeq = (await deps.log.headSeq(incident.id)) ?? incident.headSeq;
		return c.json({ events, headSeq });
	});

	/** The rows that set the phase (creation, status changes), for the room's phase clock. */
	app.get('/incidents/:id/phases', async (c) => {
		const incident = await visibleIncident(c);
		const headSeq = (await deps.log.headSeq(incident.id)) ?? incident.headSeq;
		return c.json({ events: await deps.log.phaseEvents(incident.id), headSeq });
	});

	app.get('/incidents/:id/verify', async (c) => {
		requireAdmin(c);
		const incident = await visibleIncident(c);
		return c.json(await deps.integrity.fresh(incident.id));
	});

	/** The room's integrity badge: the verify outcome without the details (at most a minute old). */
	app.get('/incidents/:id/integrity', async (c) => {
		const incident = await visibleIncident(c);
		const { report, checkedAt } = await deps.integrity.recent(incident.id);
		return c.json({
			ok: report.ok,
			checkedAt: checkedAt.toISOString(),
			headSeq: report.headSeq,
			checkpoints: report.checkpoints,
			unprotectedTail: report.unprotectedTail,
			firstBadSeq: report.firstBadSeq,
			problems: report.problems.length
		});
	});

	app.get('/incidents/:id/export', async (c) => {
		const incident = await visibleIncident(c);
		const folder = `vigiles-${incident.id}`;
		// The whole log read and zipped: one of the review slots, so exports cannot starve the rooms.
		const zip = await deps.reviewWork.run(async () => {
			const files = await buildBundle(deps.log.database, incident, deps.signer.publicKey);
			return zipSync(Object.fromEntries([...files].map(([name, bytes]) => [`${folder}/${name}`, new Uint8Array(bytes)])));
		});
		return c.body(zip as Uint8Array<ArrayBuffer>, 200, {
			'Content-Type': 'application/zip',
			'Content-Disposition': `attachment; filename="${folder}.zip"`
		});
	});

	app.get('/incidents/:id/provenance', async (c) => {
		const incident = await visibleIncident(c);
		return c.json(await deps.log.provenance(incident.id));
	});

	return app;
}
