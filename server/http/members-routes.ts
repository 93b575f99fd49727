/**
 * Who is in an incident, and who may see it. Every change here is a row in the incident's log,
 * and takes effect at once on open connections: a user removed from a restricted incident is
 * disconnected (4410) and gets 404 from then on.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { CLOSE_CODES } from '../../src/lib/shared/close-codes';
import { commandItem } from '../log/command-item';
import type { Connection } from '../sync/connection';
import { ApiError, notFound } from './api-error';
import type { AppDeps, AppEnv } from './context';
import { readBody } from './read-body';
import { incidentCommand, type CommandActor } from './incident-command';
import { requireVisibleIncident } from './session';

const addMemberBody = z.object({ userId: z.uuid({ error: 'must be a user id' }) });
const restrictionBody = z.object({ restricted: z.boolean({ error: 'must be true or false' }) });
const sharingBody = z.object({
	enabled: z.boolean({ error: 'must be true or false' }),
	/** Turning links on for a security incident needs this, from an explicit confirmation in the UI. */
	confirmed: z.boolean().optional()
});

export function membersRoutes(deps: AppDeps): Hono<AppEnv> {
	const app = new Hono<AppEnv>();

	app.get('/incidents/:id/members', async (c) => {
		const incident = await requireVisibleIncident(c, deps.incidents);
		return c.json({ members: await deps.members.list(incident.id) });
	});

	// Access changes stay possible on a closed incident (a reviewer added, a contractor removed);
	// there each row commits with a signed checkpoint (see RoomRegistry.record).
	app.post('/incidents/:id/members', async (c) => {
		const { userId } = await readBody(c, addMemberBody);
		return incidentCommand(c, deps, async (incident, actor) => {
			const user = await deps.users.findById(userId);
			if (!user || user.disabledAt) throw notFound('user');
			await addMember(deps, incident.id, user, actor);
			return c.json({ members: await deps.members.list(incident.id) }, 201);
		});
	});

	app.delete('/incidents/:id/members/:userId', async (c) => {
		// Under the lock: two members removing each other cannot both pass the last-member check.
		return incidentCommand(c, deps, async (incident, actor) => {
			const userId = c.req.param('userId');
			const members = await deps.members.list(incident.id);
			const member = members.find((m) => m.id === userId);
			if (!member) throw notFound('member');
			if (incident.restricted && members.length === 1) {
				throw new ApiError(409, 'last_member', 'a restricted incident needs at least one member; add someone else first');
			}
			await deps.members.remove(incident.id, userId);
			await deps.rooms.record(incident.id, commandItem(actor.id, { type: 'member.removed', userId, name: member.name }), actor);
			if (incident.restricted) {
				deps.connections.closeWhere(incident.id, (conn) => conn.user.id === userId, CLOSE_CODES.REMOVED, 'you were removed from this incident');
			}
			return c.json({ members: await deps.members.list(incident.id) });
		});
	});

	app.put('/incidents/:id/restriction', async (c) => {
		const { restricted } = await readBody(c, restrictionBody);
		return incidentCommand(c, deps, async (incident, actor) => {
			if (restricted && !(await deps.members.isMember(incident.id, actor.id))) {
				throw new ApiError(409, 'not_a_member', 'add yourself as a member before restricting the incident, or nobody you know could see it');
			}
			if (restricted !== incident.restricted) await restrict(deps, incident.id, restricted, actor);
			return c.json(await requireVisibleIncident(c, deps.incidents));
		});
	});

	app.put('/incidents/:id/sharing', async (c) => {
		const { enabled, confirmed } = await readBody(c, sharingBody);
		return incidentCommand(c, deps, async (incident, actor) => {
			if (enabled && incident.kind === 'security' && confirmed !== true) {
				throw new ApiError(
					422,
					'confirmation_required',
					'stakeholder links on a security incident may tip off whoever is inside; confirm with "confirmed": true'
				);
			}
			if (enabled !== incident.linksEnabled) await setSharing(deps, incident.id, enabled, actor);
			return c.json(await requireVisibleIncident(c, deps.incidents));
		});
	});

	return app;
}

/** Makes a user a member (logged), unless they are one already. */
export async function addMember(deps: AppDeps, incidentId: string, user: { id: string; name: string }, actor: CommandActor): Promise<void> {
	if (await deps.members.add(incidentId, user.id, actor.id)) {
		await deps.rooms.record(incidentId, commandItem(actor.id, { type: 'member.added', userId: user.id, name: user.name }), actor);
	}
}

/** Restricts an incident to its members (or opens it): logged, and non-members are cut off at once. */
export async function restrict(deps: AppDeps, incidentId: string, restricted: boolean, actor: CommandActor): Promise<void> {
	await deps.incidents.setFlags(incidentId, { restricted });
	await deps.rooms.record(incidentId, commandItem(actor.id, { type: 'incident.restricted', restricted }), actor);
	if (restricted) {
		const members = new Set((await deps.members.list(incidentId)).map((m) => m.id));
		deps.connections.closeWhere(incidentId, (conn: Connection) => !members.has(conn.user.id), CLOSE_CODES.REMOVED, 'this incident is now restricted to its members');
	}
}

/** Turns stakeholder links on or off: logged; turning them off closes every link's page at once. */
export async function setSharing(deps: AppDeps, incidentId: string, enabled: boolean, actor: CommandActor): Promise<void> {
	await deps.incidents.setFlags(incidentId, { linksEnabled: enabled });
	await deps.rooms.record(incidentId, commandItem(actor.id, { type: 'sharing.changed', enabled }), actor);
	if (!enabled) deps.share.closeIncident(incidentId, 'stakeholder links were turned off');
}
