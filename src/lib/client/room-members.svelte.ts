/**
 * The room's Members panel: who is in the incident, who could be added, and whether only its
 * members may see it (server/http/members-routes.ts). Each change is a log row; when anyone's
 * change lands the room bumps `accessVersion` and MembersPanel calls `load()` again, so two
 * responders editing membership at once both end up with the server's list.
 */
import { api, type Member, type Person } from './api';
import type { IncidentRoom } from './incident-room.svelte';
import { ServerList } from './server-list.svelte';

export class RoomMembers extends ServerList {
	members = $state.raw<Member[] | null>(null);
	/** Active users, to pick new members from (not loaded for observers, who cannot add). */
	people = $state.raw<Person[]>([]);

	constructor(private readonly room: IncidentRoom) {
		super();
	}

	get restricted(): boolean {
		return this.room.incident?.restricted ?? false;
	}

	get isMember(): boolean {
		return this.members?.some((m) => m.id === this.room.user.id) ?? false;
	}

	/** People who are not members yet. */
	get candidates(): Person[] {
		const inside = new Set(this.members?.map((m) => m.id));
		return this.people.filter((p) => !inside.has(p.id));
	}

	load(): Promise<void> {
		return this.reload(
			() => Promise.all([api.members(this.room.incidentId), this.room.readOnly ? { people: [] } : api.people()]),
			([{ members }, { people }]) => {
				this.members = members;
				this.people = people;
			}
		);
	}

	add(userId: string): Promise<boolean> {
		return this.change(async () => {
			this.members = (await api.addMember(this.room.incidentId, userId)).members;
		});
	}

	remove(userId: string): Promise<boolean> {
		return this.change(async () => {
			this.members = (await api.removeMember(this.room.incidentId, userId)).members;
		});
	}

	setRestricted(restricted: boolean): Promise<boolean> {
		return this.change(async () => {
			this.room.incident = await api.setRestricted(this.room.incidentId, restricted);
		});
	}
}
