/**
 * The response's records, as server commands (each one a row of the incident's log, folded by
 * shared/records.ts): roles and handoffs, the evidence register with its chain of custody, and
 * destructive steps, which on a security incident wait for a capture of the system they touch
 * unless someone goes ahead with a reason.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { Change } from '../../src/lib/shared/changes';
import { isIsoInstant } from '../../src/lib/shared/doc-schema';
import { initialStatus } from '../../src/lib/shared/incident-kinds';
import { isInFuture } from '../../src/lib/shared/occurred-at';
import { DESTRUCTIVE_ACTIONS, foldRecords, hasCapture, holderAt, STANDARD_ROLES, type IncidentRecords } from '../../src/lib/shared/records';
import type { Incident } from '../incidents/incident-store';
import { commandItem } from '../log/command-item';
import { ApiError, notFound } from './api-error';
import type { AppDeps, AppEnv } from './context';
import { incidentCommand, type CommandActor } from './incident-command';
import { addMember, restrict, setSharing } from './members-routes';
import { readBody, storable } from './read-body';
import { requireUser, requireVisibleIncident } from './session';

const text = (max: number, what = 'must not be empty') =>
	z
		.string({ error: 'must be a string' })
		.trim()
		.min(1, what)
		.max(max, `must be at most ${max} characters`)
		.refine(...storable);

const instant = z
	.string({ error: 'must be an ISO 8601 time with an offset' })
	.refine(isIsoInstant, 'must be an ISO 8601 time with an offset, e.g. 2023-01-04T22:30:00Z')
	.refine((value) => Date.parse(value) >= Date.UTC(1970, 0, 1), 'must not be before 1970')
	.refine((value) => !isInFuture(value, new Date()), 'must not be in the future');

const ROLE = /^[a-z0-9][a-z0-9 _-]{0,39}$/i;

const roleBody = z.object({ userId: z.uuid({ error: 'must be a user id, or null to leave the role unassigned' }).nullable() });

const evidenceBody = z.object({
	what: text(500),
	system: text(200, 'must name the system it was taken from'),
	collectedBy: text(200).optional(),
	acquiredAt: instant,
	sha256: z
		.string({ error: 'must be a SHA-256 in hex' })
		.trim()
		.regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits (the SHA-256 of the item)')
		.transform((value) => value.toLowerCase()),
	storedAt: text(500, 'must say where the item is stored')
});

const transferBody = z.object({ to: text(200), why: text(500, 'must say why custody changes'), at: instant.optional() });

const escalateBody = z.object({
	reason: text(2000, 'must say why this is a security incident'),
	/** People to keep in (made members before the incident is restricted), e.g. those in the room. */
	keep: z.array(z.uuid({ error: 'must be user ids' })).max(100, 'must list at most 100 people').default([])
});

const sealBody = z.object({
	sha256: z
		.string({ error: 'must be the SHA-256 computed now, in hex' })
		.trim()
		.regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits')
		.transform((value) => value.toLowerCase())
});

const actionBody = z.object({
	action: z.enum(DESTRUCTIVE_ACTIONS, { error: `must be one of ${DESTRUCTIVE_ACTIONS.join(', ')}` }),
	system: text(200, 'must name the system'),
	note: z.string().trim().max(2000, 'must be at most 2000 characters').refine(...storable).default(''),
	/** Going ahead without a capture: why. */
	override: text(2000, 'must give the reason for going ahead without a capture').optional()
});

export function responseRoutes(deps: AppDeps): Hono<AppEnv> {
	const app = new Hono<AppEnv>();

	async function records(incidentId: string): Promise<IncidentRecords> {
		return foldRecords(await deps.log.recordEvents(incidentId));
	}

	/** A writer acting on a visible, open incident, one command at a time per incident. */
	const command = <T>(c: Context<AppEnv>, task: (incident: Incident, actor: CommandActor) => Promise<T>) => incidentCommand(c, deps, task, { open: true });

	const record = (incident: Incident, actor: { id: string; name: string }, change: Change) =>
		deps.rooms.record(incident.id, commandItem(actor.id, change), actor);

	// --- Roles ---------------------------------------------------------------------------------

	app.get('/incidents/:id/roles', async (c) => {
		const incident = await requireVisibleIncident(c, deps.incidents);
		const { roles } = await records(incident.id);
		const atParam = c.req.query('at');
		if (atParam !== undefined && !isIsoInstant(atParam)) {
			throw new ApiError(400, 'invalid_field', 'at: must be an ISO 8601 time with an offset');
		}
		const at = atParam ?? new Date().toISOString();
		const names = new Set([...STANDARD_ROLES, ...roles.map((term) => term.role)]);
		const holders = Object.fromEntries([...names].map((role) => [role, holderAt(roles, role, at)]));
		return c.json({ at, holders, terms: roles });
	});

	app.put('/incidents/:id/roles/:role', async (c) => {
		const role = c.req.param('role').trim().toLowerCase();
		if (!ROLE.test(role)) {
			throw new ApiError(400, 'invalid_field', 'role: must be 1–40 letters, digits, spaces, "-" or "_" (commander, communications, scribe, or your own)');
		}
		const { userId } = await readBody(c, roleBody);
		return command(c, async (incident, actor) => {
			const { roles } = await records(incident.id);
			const current = roles.find((term) => term.role === role && term.until === null) ?? null;
			if ((current?.userId ?? null) === userId) return c.json({ role, holder: current, changed: false });
			let name: string | null = null;
			if (userId !== null) {
				const user = await deps.users.findById(userId);
				if (!user || user.disabledAt || !(await deps.incidents.getVisible(incident.id, user.id))) {
					throw new ApiError(422, 'not_assignable', 'that user cannot see this incident (add them as a member first) or does not exist');
				}
				if (user.role === 'observer') throw new ApiError(422, 'not_assignable', 'observers cannot hold a response role');
				name = user.name;
			}
			const row = await record(incident, actor, {
				type: 'role.assigned',
				role,
				userId,
				name,
				previous: current ? { userId: current.userId, name: current.name } : null
			});
			const after = foldRecords([{ seq: row.seq, at: row.at.toISOString(), actor, changes: row.changes }]);
			return c.json({ role, holder: userId === null ? null : { ...after.roles[0] }, changed: true, seq: row.seq });
		});
	});

	// --- Evidence ------------------------------------------------------------------------------

	app.get('/incidents/:id/evidence', async (c) => {
		const incident = await requireVisibleIncident(c, deps.incidents);
		return c.json({ evidence: (await records(incident.id)).evidence });
	});

	app.post('/incidents/:id/evidence', async (c) => {
		const body = await readBody(c, evidenceBody);
		return command(c, async (incident, actor) => {
			const evidenceId = randomUUID();
			const row = await record(incident, actor, {
				type: 'evidence.added',
				evidenceId,
				what: body.what,
				system: body.system,
				collectedBy: body.collectedBy ?? actor.name,
				acquiredAt: new Date(body.acquiredAt).toISOString(),
				sha256: body.sha256,
				storedAt: body.storedAt
			});
			return c.json({ item: findItem(await records(incident.id), evidenceId), seq: row.seq }, 201);
		});
	});

	app.post('/incidents/:id/evidence/:evidenceId/transfers', async (c) => {
		const body = await readBody(c, transferBody);
		return command(c, async (incident, actor) => {
			const item = findItem(await records(incident.id), c.req.param('evidenceId'));
			if (item.holder.trim().toLowerCase() === body.to.trim().toLowerCase()) {
				throw new ApiError(409, 'same_holder', `${item.holder} already holds this item`);
			}
			// Custody runs forward: no hand-over before the item was acquired or before the last one.
			const at = new Date(body.at ?? Date.now()).toISOString();
			const since = item.custody.at(-1)?.at ?? item.acquiredAt;
			if (Date.parse(at) < Date.parse(since)) {
				throw new ApiError(422, 'invalid_field', `at: must not be before ${since} (${item.custody.length > 0 ? 'the last hand-over' : 'when the item was acquired'})`);
			}
			const row = await record(incident, actor, {
				type: 'evidence.transferred',
				evidenceId: item.id,
				what: item.what,
				from: item.holder,
				to: body.to,
				at,
				why: body.why
			});
			return c.json({ item: findItem(await records(incident.id), item.id), seq: row.seq }, 201);
		});
	});

	app.post('/incidents/:id/evidence/:evidenceId/seal', async (c) => {
		const { sha256 } = await readBody(c, sealBody);
		return command(c, async (incident, actor) => {
			const item = findItem(await records(incident.id), c.req.param('evidenceId'));
			if (item.sealed) throw new ApiError(409, 'already_sealed', `this item was sealed at seq ${item.sealed.seq}`);
			if (sha256 !== item.sha256) {
				throw new ApiError(409, 'hash_mismatch', `the SHA-256 given (${sha256}) is not the one registered (${item.sha256}): the item may have changed; do not seal it`);
			}
			const row = await record(incident, actor, { type: 'evidence.sealed', evidenceId: item.id, what: item.what, sha256 });
			return c.json({ item: findItem(await records(incident.id), item.id), seq: row.seq });
		});
	});

	// --- Destructive steps ---------------------------------------------------------------------

	app.get('/incidents/:id/actions', async (c) => {
		const incident = await requireVisibleIncident(c, deps.incidents);
		return c.json({ actions: (await records(incident.id)).actions });
	});

	app.post('/incidents/:id/actions', async (c) => {
		const body = await readBody(c, actionBody);
		return command(c, async (incident, actor) => {
			const { evidence } = await records(incident.id);
			const captured = hasCapture(evidence, body.system);
			if (incident.kind === 'security' && !captured && body.override === undefined) {
				throw new ApiError(
					409,
					'capture_missing',
					`no capture of ${body.system} is in the evidence register: a ${body.action} destroys what is on it. Capture memory, disk and logs first, or go ahead with a reason ("override").`,
					{ system: body.system, action: body.action }
				);
			}
			const override = !captured && incident.kind === 'security' ? (body.override ?? null) : null;
			const row = await record(incident, actor, { type: 'action.taken', action: body.action, system: body.system, note: body.note, override });
			return c.json({ seq: row.seq, action: body.action, system: body.system, captured, override }, 201);
		});
	});

	app.get('/incidents/:id/records', async (c) => {
		requireUser(c);
		const incident = await requireVisibleIncident(c, deps.incidents);
		return c.json(await records(incident.id));
	});

	// --- Escalation ----------------------------------------------------------------------------

	/**
	 * An outage turns out to be a security incident. The server applies what a security incident
	 * starts with: its first phase, the containment checklist (before the outage's steps), the
	 * incident restricted to its members (the one escalating and the people in `keep` among
	 * them) and stakeholder links off, each a row in the log; the reason is logged with it.
	 */
	app.post('/incidents/:id/escalate', async (c) => {
		const { reason, keep } = await readBody(c, escalateBody);
		return command(c, async (incident, actor) => {
			if (incident.kind === 'security') throw new ApiError(409, 'already_security', 'the incident is already a security incident');
			// Everyone to keep must be a user who can be a member; checked before anything changes.
			const kept = [];
			for (const userId of new Set(keep)) {
				const user = await deps.users.findById(userId);
				if (!user || user.disabledAt) throw new ApiError(422, 'invalid_field', `keep: ${userId} is not an active user`);
				kept.push(user);
			}
			const room = await deps.rooms.get(incident.id);
			const state = await room.roomState();
			const template = await deps.templates.get('security');
			// A template id the outage's checklist already uses gets its own, so no step is lost.
			const taken = new Set(state.checklist.map((item) => item.id));
			const steps = template.items.map((item) => (taken.has(item.id) ? { ...item, id: `security-${item.id}` } : item));
			const status = initialStatus('security');
			const row = await room.changeAndRecord(
				actor,
				{ type: 'incident.escalate', status, checklist: steps },
				commandItem(actor.id, {
					type: 'incident.escalated',
					from: incident.kind,
					status,
					reason,
					checklist: steps.map((item) => ({ id: item.id, label: item.label }))
				})
			);
			for (const user of [actor, ...kept]) await addMember(deps, incident.id, user, actor);
			if (!incident.restricted) await restrict(deps, incident.id, true, actor);
			if (incident.linksEnabled) await setSharing(deps, incident.id, false, actor);
			deps.logger.info('incident escalated to security', { incidentId: incident.id, by: actor.id });
			return c.json({ incident: await deps.incidents.get(incident.id), seq: row.seq });
		});
	});

	return app;
}

function findItem(records: IncidentRecords, evidenceId: string) {
	const item = records.evidence.find((e) => e.id === evidenceId);
	if (!item) throw notFound('evidence item');
	return item;
}
