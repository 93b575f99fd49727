/**
 * A writer's command on an incident, one at a time per incident: commands that check the records
 * (or the members) and then append run under the incident's lock, on the incident as it is once
 * the lock is held, so two of them never both pass a check that only one of them should.
 */
import type { Context } from 'hono';
import type { Incident } from '../incidents/incident-store';
import { ApiError } from './api-error';
import type { AppDeps, AppEnv } from './context';
import { requireVisibleIncident, requireWriter } from './session';

export type CommandActor = { id: string; name: string };

export async function incidentCommand<T>(
	c: Context<AppEnv>,
	deps: Pick<AppDeps, 'incidents' | 'incidentLock'>,
	task: (incident: Incident, actor: CommandActor) => Promise<T>,
	options: { open?: boolean } = {}
): Promise<T> {
	const actor = requireWriter(c);
	const visible = await requireVisibleIncident(c, deps.incidents);
	return deps.incidentLock.run(visible.id, async () => {
		const incident = await requireVisibleIncident(c, deps.incidents);
		if (options.open && incident.closedAt) throw closedError();
		return task(incident, { id: actor.id, name: actor.name });
	});
}

export function closedError(): ApiError {
	return new ApiError(409, 'incident_closed', 'the incident is closed: its record is frozen (an admin can reopen it, with a reason)');
}
