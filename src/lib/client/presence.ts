/**
 * Who is in the room, from the awareness states. The server stamps each state's `user` from the
 * session (server/sync/room-presence.ts), so names and roles here are the server's, not the
 * client's. Our own state never comes back stamped, so the caller adds "you" from the signed-in user.
 */
import type { Awareness } from 'y-protocols/awareness';

export interface PresentUser {
	id: string;
	name: string;
	color: string;
	/** Observers follow the room and cannot change it: shown as viewers, apart from editors. */
	viewer: boolean;
	/** How many tabs or devices this person has in the room. */
	connections: number;
}

export function readPresence(awareness: Awareness, self: { id: string; name: string; role: string }): PresentUser[] {
	const byId = new Map<string, PresentUser>();
	byId.set(self.id, { id: self.id, name: self.name, color: 'currentColor', viewer: self.role === 'observer', connections: 1 });
	awareness.getStates().forEach((state, clientId) => {
		if (clientId === awareness.clientID) return;
		const user = (state as { user?: unknown }).user;
		if (!isUser(user)) return;
		const known = byId.get(user.id);
		if (known) {
			known.connections++;
			if (known.id === self.id) known.color = user.color;
		} else {
			byId.set(user.id, { id: user.id, name: user.name, color: user.color, viewer: user.role === 'observer', connections: 1 });
		}
	});
	const [you, ...others] = byId.values();
	others.sort((a, b) => a.name.localeCompare(b.name));
	return [you, ...others];
}

function isUser(value: unknown): value is { id: string; name: string; color: string; role?: unknown } {
	if (typeof value !== 'object' || value === null) return false;
	const v = value as Record<string, unknown>;
	return typeof v.id === 'string' && typeof v.name === 'string' && typeof v.color === 'string';
}
