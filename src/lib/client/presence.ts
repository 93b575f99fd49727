/**
 * Who is in the room, from the awareness states. The server stamps each state's `user` from the
 * session (server/sync/awareness-filter.ts), so names here are the server's, not the client's.
 * Our own state never comes back stamped, so the caller adds "you" from the signed-in user.
 */
import type { Awareness } from 'y-protocols/awareness';

export interface PresentUser {
	id: string;
	name: string;
	color: string;
	/** How many tabs or devices this person has in the room. */
	connections: number;
}

export function readPresence(awareness: Awareness, self: { id: string; name: string }): PresentUser[] {
	const byId = new Map<string, PresentUser>();
	byId.set(self.id, { id: self.id, name: self.name, color: 'currentColor', connections: 1 });
	awareness.getStates().forEach((state, clientId) => {
		if (clientId === awareness.clientID) return;
		const user = (state as { user?: unknown }).user;
		if (!isUser(user)) return;
		const known = byId.get(user.id);
		if (known) {
			known.connections++;
			if (known.id === self.id) known.color = user.color;
		} else {
			byId.set(user.id, { ...user, connections: 1 });
		}
	});
	const [you, ...others] = byId.values();
	others.sort((a, b) => a.name.localeCompare(b.name));
	return [you, ...others];
}

function isUser(value: unknown): value is { id: string; name: string; color: string } {
	if (typeof value !== 'object' || value === null) return false;
	const v = value as Record<string, unknown>;
	return typeof v.id === 'string' && typeof v.name === 'string' && typeof v.color === 'string';
}
